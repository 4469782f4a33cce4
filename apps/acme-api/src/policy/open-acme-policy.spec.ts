import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, Metrics } from '@enrollgate/platform';
import { loadAcmeConfig } from '../config.js';
import { AcmePolicy } from './acme-policy.js';
import { openAcmePolicy } from './open-acme-policy.js';

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined, child: () => silent };

describe(openAcmePolicy.name, () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'eg-acme-policy-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const file = (name: string, content: unknown) => {
    writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));
    return join(dir, name);
  };
  const open = (env: Record<string, string>) => {
    const config = loadAcmeConfig(env);
    const opened = openAcmePolicy(config);
    return { config, opened, sut: new AcmePolicy(opened, config, new Metrics('test'), silent as never) };
  };
  const failure = (env: Record<string, string>): string => {
    try {
      open(env).opened.close();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as Error).message;
    }
    throw new Error('expected a ConfigError');
  };

  it('builds the policy from the ACME_* variables when no policy file is set (their documented defaults)', () => {
    const { opened, sut } = open({
      ACME_PROFILES: JSON.stringify({ strict: { template: 'WebServerModified', curves: ['P-384'] }, ua: { description: 'described', template: 'X' } }),
    });
    expect(opened.policy.config).toMatchObject({
      defaultTemplate: 'WebServer',
      identifierLimit: 100,
      eabStrictMode: false,
      keyPolicy: { acme: { rsaMinBits: 2048, curves: ['P-256', 'P-384'] } },
    });
    expect(opened.policy.keyPolicyFor('acme', 'strict').curves).toEqual(['P-384']);
    expect(sut.directoryProfiles()).toEqual({ strict: 'AD CS template WebServerModified', ua: 'described' });
    expect(sut.eabRequired).toBe(false);
  });

  it('reads ACME_POLICY_FILE (YAML), its EAB key file relative to it, and requires EAB under eab_strict_mode', () => {
    file('kids.json', { 'kid-a': { hmac: Buffer.from('key a').toString('base64url') } });
    const policyFile = file('policy.yaml', 'template: User\neab_strict_mode: true\neab_profiling: true\neab_key_file: kids.json\n');
    const { opened, sut } = open({ ACME_POLICY_FILE: policyFile, ACME_EAB_KEYS: JSON.stringify({ 'kid-env': Buffer.from('key env').toString('base64url') }) });
    try {
      expect(opened.policy.config.defaultTemplate).toBe('User');
      expect(sut.eabRequired).toBe(true);
      // the union of ACME_EAB_KEYS and the key file
      expect(sut.macKeys.get('kid-a')?.toString()).toBe('key a');
      expect(sut.macKeys.get('kid-env')?.toString()).toBe('key env');
      expect(sut.macKeys.get('kid-x')).toBeUndefined();
    } finally {
      sut.close();
    }
  });

  it.each([
    ['a missing policy file', () => ({ ACME_POLICY_FILE: join(dir, 'nope.yaml') }), /ACME_POLICY_FILE .*nope\.yaml: cannot read the file \(ENOENT\)/],
    ['an unknown option', () => ({ ACME_POLICY_FILE: file('p.json', { allowed_domainlist: ['example.com'], tempalte: 'x' }) }), /Unrecognized key.*tempalte/],
    [
      'a missing EAB key file',
      () => ({ ACME_POLICY_FILE: file('p.json', { eab_profiling: true, eab_key_file: 'missing.json' }) }),
      /eab_key_file .*missing\.json \(ENOENT\)/,
    ],
    [
      'a kid in ACME_EAB_KEYS and the key file',
      () => ({
        ACME_POLICY_FILE: file('p.json', { eab_key_file: file('k.json', { 'kid-a': { hmac: 'YWJj' } }) }),
        ACME_EAB_KEYS: JSON.stringify({ 'kid-a': 'ZGVm' }),
      }),
      /kid "kid-a" is in the EAB key file too/,
    ],
    ['eab_strict_mode without any MAC key', () => ({ ACME_POLICY_FILE: file('p.json', { eab_strict_mode: true }) }), /EAB is required .* but no MAC key/],
  ])('refuses %s with a ConfigError (exit 2)', (_what, env, message) => {
    expect(failure(env())).toMatch(message);
  });

  it('never puts a MAC key into the error', () => {
    const message = failure({
      ACME_POLICY_FILE: file('p.json', { eab_key_file: file('k.json', { 'kid-a': { hmac: 'c2VjcmV0LW1hYy1rZXk' } }) }),
      ACME_EAB_KEYS: JSON.stringify({ 'kid-a': 'c2VjcmV0LW1hYy1rZXk' }),
    });
    expect(message).not.toContain('c2VjcmV0LW1hYy1rZXk');
  });
});
