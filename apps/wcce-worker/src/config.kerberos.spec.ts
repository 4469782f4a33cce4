import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@enrollgate/platform';
import { enrollmentConfigLog, loadPools, loadWorkerConfig } from './config.js';

/** acme2certifier's Kerberos options (use_kerberos, krb5_*, domain_controller, dns_server) as WCCE_* env and per pool. */
const base = { WCCE_HOST: 'ca.test.local', WCCE_CA_NAME: 'TEST-CA', WCCE_TARGET_DOMAIN: 'test.local', WCCE_USE_KERBEROS: 'true' };

describe(`${loadPools.name} with use_kerberos`, () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'eg-krb-pools-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('default pool from a keytab: principal from user, realm from target_domain (upper-cased), no password needed', () => {
    const env = { ...base, WCCE_USER: 'svc-enroll', WCCE_KRB5_KEYTAB: '/etc/enrollgate/svc.keytab', WCCE_DOMAIN_CONTROLLER: 'dc1.test.local,10.0.0.2:88' };
    const sut = loadPools(loadWorkerConfig(env), env).pools[0]!;
    expect(sut.kerberos).toEqual({
      principal: 'svc-enroll',
      realm: 'TEST.LOCAL',
      keytab: '/etc/enrollgate/svc.keytab',
      domainControllers: ['dc1.test.local', '10.0.0.2:88'],
    });
    expect(sut.password).toBeUndefined();
    expect(enrollmentConfigLog(sut, [])).toMatchObject({
      use_kerberos: true,
      krb5_keytab: '/etc/enrollgate/svc.keytab',
      domain_controller: 'dc1.test.local,10.0.0.2:88',
    });
  });

  it('krb5_principal user@REALM wins over user and target_domain; ccache and krb5_config and dns_server are kept', () => {
    const env = {
      ...base,
      WCCE_TARGET_DOMAIN: undefined,
      WCCE_KRB5_PRINCIPAL: 'enroll@CORP.EXAMPLE',
      WCCE_KRB5_CACHE: 'FILE:/tmp/krb5cc',
      WCCE_KRB5_CONFIG: '/etc/krb5.conf',
      WCCE_DNS_SERVER: '10.0.0.53',
    };
    const sut = loadPools(loadWorkerConfig(env), env).pools[0]!;
    expect(sut.kerberos).toEqual({
      principal: 'enroll',
      realm: 'CORP.EXAMPLE',
      ccache: 'FILE:/tmp/krb5cc',
      krb5Config: '/etc/krb5.conf',
      domainControllers: [],
      dnsServer: '10.0.0.53',
    });
  });

  it('a password works for Kerberos too', () => {
    const env = { ...base, WCCE_USER: 'svc-enroll', WCCE_PASSWORD: 'hunter2' };
    const sut = loadPools(loadWorkerConfig(env), env).pools[0]!;
    expect(sut.password?.reveal()).toBe('hunter2');
    expect(sut.kerberos?.realm).toBe('TEST.LOCAL');
  });

  it.each([
    [{ WCCE_USER: 'svc' }, /WCCE_KRB5_KEYTAB.*krb5_keytab, krb5_cache or password/],
    [{ WCCE_KRB5_KEYTAB: '/k' }, /WCCE_KRB5_PRINCIPAL/],
    [{ WCCE_USER: 'svc', WCCE_KRB5_KEYTAB: '/k', WCCE_TARGET_DOMAIN: undefined }, /WCCE_TARGET_DOMAIN.*realm/],
    [{ WCCE_USER: 'svc', WCCE_KRB5_KEYTAB: '/k', WCCE_DOMAIN_CONTROLLER: 'bad host' }, /WCCE_DOMAIN_CONTROLLER/],
  ])('refuses an incomplete Kerberos default pool (%j)', (extra, message) => {
    expect(() => loadWorkerConfig({ ...base, ...extra })).toThrow(ConfigError);
    expect(() => loadWorkerConfig({ ...base, ...extra })).toThrow(message);
  });

  it('pools file: use_kerberos and krb5_* per pool; WCCE_* Kerberos options are the fallback', () => {
    const file = join(dir, 'pools.yaml');
    writeFileSync(
      file,
      'pools:\n  krb:\n    host: ca2.test.local\n    ca_name: CA-2\n    user: svc-b\n    use_kerberos: true\n    krb5_keytab: /k/b.keytab\n    domain_controller: dc9.test.local:1088\n  ntlm:\n    host: ca3\n    ca_name: CA-3\n    user: u\n    password: p\n    target_domain: CORP\n    use_kerberos: false\n',
    );
    const env = { ...base, WCCE_USER: 'svc', WCCE_KRB5_KEYTAB: '/k/default.keytab', WCCE_POOLS_FILE: file };
    const { pools } = loadPools(loadWorkerConfig(env), env);
    expect(pools.map((p) => [p.name, p.kerberos?.principal, p.kerberos?.keytab, p.kerberos?.domainControllers])).toEqual([
      ['default', 'svc', '/k/default.keytab', []],
      ['krb', 'svc-b', '/k/b.keytab', ['dc9.test.local:1088']],
      ['ntlm', undefined, undefined, undefined],
    ]);
    expect(pools[2]?.password?.reveal()).toBe('p');
  });

  it('pools file: a Kerberos pool without any key source is reported', () => {
    const file = join(dir, 'pools.yaml');
    writeFileSync(file, 'pools:\n  default:\n    host: ca\n    ca_name: CA\n    user: u\n    target_domain: test.local\n    use_kerberos: true\n');
    const env = { WCCE_POOLS_FILE: file };
    expect(() => loadPools(loadWorkerConfig(env), env)).toThrow(/pools\.default: use_kerberos needs krb5_keytab, krb5_cache or password/);
  });
});
