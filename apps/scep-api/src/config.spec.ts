import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@enrollgate/platform';
import { loadScepConfig } from './config.js';

describe(loadScepConfig.name, () => {
  const dir = mkdtempSync(join(tmpdir(), 'eg-scep-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const problems = (env: Record<string, string>): string[] => {
    try {
      loadScepConfig(env);
    } catch (e) {
      if (e instanceof ConfigError) return [...e.problems];
      throw e;
    }
    return [];
  };

  it('SCEP_POLICY_FILE is read with libs/policy (the format acme-api uses)', () => {
    const config = loadScepConfig({
      SCEP_POLICY_FILE: file('ok.yaml', 'allowed_domainlist: ["*.example.com"]\nkey_policy: { scep: { rsa_min_bits: 3072 } }\n'),
    });
    expect(config.policy.allowedDomainlist).toEqual(['*.example.com']);
    expect(config.policy.keyPolicy.scep.rsaMinBits).toBe(3072);
  });

  it('a bad policy file stops the start with every problem, naming SCEP_POLICY_FILE', () => {
    const out = problems({ SCEP_POLICY_FILE: file('bad.yaml', 'allowed_domainlist: ["exa mple"]\nidentifier_limit: 0\n') });
    expect(out.length).toBeGreaterThan(0);
    expect(out.every((p) => p.startsWith('SCEP_POLICY_FILE'))).toBe(true);
    expect(problems({ SCEP_POLICY_FILE: join(dir, 'missing.yaml') })[0]).toContain('cannot read the file');
  });

  it('a profile with the old allowedDnsSuffixes says where the rule went', () => {
    const out = problems({ SCEP_PROFILES_FILE: file('p.yaml', 'profiles:\n  x:\n    allowedDnsSuffixes: [".example.com"]\n') });
    expect(out.join('\n')).toContain('allowed_domainlist in SCEP_POLICY_FILE');
  });

  it('SCEP_RA_STORE=database needs SCEP_RA_KEY_ENCRYPTION_KEY (or its _FILE): base64 of 32 bytes, never echoed', () => {
    expect(loadScepConfig({}).SCEP_RA_STORE).toBe('dir');
    expect(problems({ SCEP_RA_STORE: 'database' })).toEqual([
      'SCEP_RA_KEY_ENCRYPTION_KEY: missing; required with SCEP_RA_STORE=database (base64 of 32 random bytes)',
    ]);
    const short = Buffer.alloc(16, 7).toString('base64');
    const out = problems({ SCEP_RA_STORE: 'database', SCEP_RA_KEY_ENCRYPTION_KEY: short });
    expect(out).toEqual(['SCEP_RA_KEY_ENCRYPTION_KEY: expected base64 of exactly 32 bytes (e.g. openssl rand -base64 32)']);
    expect(out.join()).not.toContain(short);
    const key = Buffer.alloc(32, 9).toString('base64');
    const config = loadScepConfig({ SCEP_RA_STORE: 'database', SCEP_RA_KEY_ENCRYPTION_KEY_FILE: file('kek', `${key}\n`) });
    expect(config.SCEP_RA_KEY_ENCRYPTION_KEY?.reveal()).toBe(key);
    expect(JSON.stringify(config)).not.toContain(key);
    expect(problems({ SCEP_RA_STORE: 'nfs' })[0]).toMatch(/^SCEP_RA_STORE: /);
  });
});
