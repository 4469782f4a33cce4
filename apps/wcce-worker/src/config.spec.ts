import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { ConfigError } from '@enrollgate/platform';
import { enrollmentConfigLog, loadPools, loadWorkerConfig, pairTargets } from './config.js';

const base = {
  WCCE_HOST: 'ca1.corp,ca2.corp:1445',
  WCCE_CA_NAME: 'CA-One,CA-Two',
  WCCE_TARGET_DOMAIN: 'CORP',
  WCCE_USER: 'svc-enroll',
  WCCE_PASSWORD: 'hunter2',
};

describe(pairTargets.name, () => {
  it("pairs host, ca_name and ca_bundle by index, as acme2certifier's handler does", () => {
    expect(pairTargets(['a', 'b:1445'], ['CA1', 'CA2'], ['a.pem', 'b.pem'])).toEqual([
      { host: 'a', port: 445, caName: 'CA1', caBundle: 'a.pem' },
      { host: 'b', port: 1445, caName: 'CA2', caBundle: 'b.pem' },
    ]);
  });
  it('pairs the optional server names (SPN host names) by index too', () => {
    expect(pairTargets(['10.0.0.5', '10.0.0.6'], ['CA'], undefined, ['ca1.corp', 'ca2.corp']).map((t) => t.serverName)).toEqual(['ca1.corp', 'ca2.corp']);
    expect(pairTargets(['10.0.0.5'], ['CA'], undefined).map((t) => t.serverName)).toEqual([undefined]);
  });
  it('uses a single CA name and bundle for every host', () => {
    expect(pairTargets(['a', '[::1]:4445'], ['CA'], ['x.pem']).map((t) => [t.host, t.port, t.caName, t.caBundle])).toEqual([
      ['a', 445, 'CA', 'x.pem'],
      ['::1', 4445, 'CA', 'x.pem'],
    ]);
  });
});

describe(loadPools.name, () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'eg-pools-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('builds the default pool from WCCE_*', () => {
    const sut = loadPools(loadWorkerConfig(base), {});
    expect(sut.pools.map((p) => [p.name, p.targets.length, p.domain, p.user])).toEqual([['default', 2, 'CORP', 'svc-enroll']]);
    expect(sut.pools[0]?.password?.reveal()).toBe('hunter2');
  });

  it('adds pools and template routes from a YAML file, with *_variable lookups', () => {
    const file = join(dir, 'pools.yaml');
    writeFileSync(
      file,
      'pools:\n  issuing-b:\n    host_variable: POOL_B_HOST\n    ca_name: CA-B\n    user: svc-b\n    password_variable: POOL_B_PASSWORD\n    timeout: 9\ntemplates:\n  User: issuing-b\n',
    );
    const sut = loadPools(loadWorkerConfig({ ...base, WCCE_POOLS_FILE: file }), { POOL_B_HOST: 'cab.corp', POOL_B_PASSWORD: 'b-secret' });
    const b = sut.pools.find((p) => p.name === 'issuing-b');
    expect(b?.targets).toEqual([{ host: 'cab.corp', port: 445, caName: 'CA-B', caBundle: undefined }]);
    expect([b?.user, b?.domain, b?.timeoutSeconds, b?.password?.reveal()]).toEqual(['svc-b', 'CORP', 9, 'b-secret']);
    expect(sut.templates).toEqual({ User: 'issuing-b' });
  });

  it('names every problem in the pools file', () => {
    const file = join(dir, 'pools.json');
    writeFileSync(file, JSON.stringify({ pools: { b: { ca_name: 'X', password_variable: 'UNSET' } }, templates: { User: 'nope' } }));
    let message = '';
    try {
      loadPools(loadWorkerConfig({ WCCE_POOLS_FILE: file }), {});
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      message = (e as Error).message;
    }
    for (const expected of [
      'pools.b.host: missing',
      'pools.b.user: missing',
      'pools.b.password: missing',
      'templates.User: unknown pool "nope"',
      'no default CA pool',
    ]) {
      expect(message).toContain(expected);
    }
  });

  it('rejects unknown options in a pool (a typo must not be ignored)', () => {
    const file = join(dir, 'pools.yaml');
    writeFileSync(file, 'pools:\n  default:\n    host: a\n    ca_name: CA\n    user: u\n    password: p\n    target_domain: D\n    tiemout: 5\n');
    expect(() => loadPools(loadWorkerConfig({ WCCE_POOLS_FILE: file }), {})).toThrow(/tiemout/);
  });
});

describe(enrollmentConfigLog.name, () => {
  it('logs the pool options without secrets and without the skip list', () => {
    const pool = loadPools(loadWorkerConfig({ ...base, WCCE_CA_BUNDLE: '/etc/ca.pem' }), {}).pools[0]!;
    const sut = enrollmentConfigLog(pool, ['ca_bundle']);
    expect(sut).toMatchObject({
      pool: 'default',
      host: 'ca1.corp,ca2.corp:1445',
      ca_name: 'CA-One,CA-Two',
      target_domain: 'CORP',
      user: 'svc-enroll',
      timeout: 5,
    });
    expect(sut).not.toHaveProperty('ca_bundle');
    expect(sut).not.toHaveProperty('password');
    expect(inspect(sut) + JSON.stringify(sut)).not.toContain('hunter2');
  });
});

describe(loadWorkerConfig.name, () => {
  it('requires the default pool settings when no pools file is given', () => {
    expect(() => loadWorkerConfig({})).toThrow(/WCCE_HOST: missing; required for the default CA pool/);
  });
  it('rejects a malformed enrollment_config_log_skip_list', () => {
    expect(() => loadWorkerConfig({ ...base, WCCE_ENROLLMENT_CONFIG_LOG_SKIP_LIST: 'ca_bundle' })).toThrow(/expected a JSON list/);
  });
});
