import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { TESTDATA } from '../testing/fixtures.js';
import { importA2cConfig, type A2cImport, type ImportOptions } from './import.js';
import { parseIni } from './ini.js';

const options: ImportOptions = { paths: { policy: '/out/policy.json', password: '/out/wcce-password', pools: '/out/wcce-pools.json' } };
const fixture = (name: string) => parseIni(readFileSync(join(TESTDATA, 'a2c', name), 'utf8'));
const env = (entries: A2cImport['workerEnv']) => Object.fromEntries(entries.map((e) => [e.key, e.value]));
const statusOf = (r: A2cImport, section: string, key: string) => r.report.find((e) => e.section === section && e.key === key);

describe(importA2cConfig.name, () => {
  describe('the documented mswcce configuration (testdata/a2c/mswcce-documented.cfg)', () => {
    const sut = importA2cConfig(fixture('mswcce-documented.cfg'), { ...options, publicUrl: 'https://acme.example.com' });

    it('maps [CAhandler] to the wcce-worker keys, the password to a file', () => {
      expect(env(sut.workerEnv)).toEqual({
        WCCE_HOST: 'ca1.corp.example.com,ca2.corp.example.com',
        WCCE_USER: 'svc-enroll',
        WCCE_USE_KERBEROS: 'false',
        WCCE_PASSWORD_FILE: '/out/wcce-password',
        WCCE_CA_NAME: 'Corp Issuing CA 1,Corp Issuing CA 2',
        WCCE_DOMAIN_CONTROLLER: '192.0.2.10',
        WCCE_CA_BUNDLE: '/etc/acme2certifier/ca_bundle.pem',
        WCCE_TARGET_DOMAIN: 'CORP',
        WCCE_TIMEOUT: '5',
        WCCE_ENROLLMENT_CONFIG_LOG: 'true',
        WCCE_ENROLLMENT_CONFIG_LOG_SKIP_LIST: '["ca_bundle"]',
      });
      expect(sut.password?.reveal()).toBe('S3cr3t-P@ss;word');
      expect(sut.pools).toBeUndefined();
    });

    it('maps [Order], [EABhandler] and the default template to policy.json', () => {
      expect(sut.policy).toEqual({
        template: 'WebServer',
        allowed_domainlist: ['host-01.bar.local', '*.example.local'],
        allowed_iplist: ['10.0.0.0/8', '192.168.123.1', '172.16.0.25/32'],
        wildcard_certificate_disable: false,
        identifier_limit: 20,
        header_info_list: ['HTTP_USER_AGENT'],
        profiles: { template1: 'http://foo.bar/template1', template2: 'http://foo.bar/template2', template3: 'http://foo.bar/template3' },
        eab_strict_mode: true,
        eab_key_file: '/var/www/acme2certifier/volume/kid_profiles.json',
        eab_profiling: true,
      });
    });

    it('maps [Nonce], [Certificate], [Challenge], [Directory], [Authorization] to acme-api keys', () => {
      expect(env(sut.acmeEnv)).toEqual({
        // template, identifier_limit and profiles are in policy.json only: acme-api reads it
        ACME_POLICY_FILE: '/out/policy.json',
        ACME_RETRY_AFTER_SECONDS: '120',
        ACME_ORDER_LIFETIME_SECONDS: '86400',
        ACME_NONCE_TTL_SECONDS: '86400',
        ACME_FINALIZE_WAIT_MS: '5000',
        ACME_VALIDATION_TIMEOUT_SECONDS: '10',
        ACME_DNS_SERVERS: 'ip1,ip2',
        ACME_VALIDATION_BACKOFF_MS: '10000',
        ACME_PUBLIC_URL: 'https://acme.example.com/foo',
        ACME_TOS_URL: 'https://acme.example.com/tos.html',
        ACME_CAA_IDENTITIES: 'acme.example.com',
        ACME_AUTHZ_LIFETIME_SECONDS: '86400',
      });
    });

    it('lists every option it could not map, and why', () => {
      expect(sut.report.filter((e) => e.status === 'unmapped').map((e) => [`[${e.section}] ${e.key}`, e.reason])).toEqual([
        ['[DEFAULT] proxy_server_list', 'the worker talks to AD CS over SMB (445), which no HTTP/SOCKS proxy carries'],
        ['[CAhandler] allowed_domainlist', 'deprecated here; [Order] allowed_domainlist is set and wins (as in acme2certifier)'],
        ['[CAhandler] eab_profiling', 'deprecated here; [EABhandler] eab_profiling is set and wins'],
        ['[Authorization] prevalidated_domainlist', 'identifiers are never authorized without a challenge'],
        ['[Account] ecc_only', expect.stringMatching(/no enrollgate setting/)],
      ]);
    });

    it('accounts for every option of the file exactly once', () => {
      const doc = fixture('mswcce-documented.cfg');
      expect(sut.report.map((e) => `${e.section}.${e.key}`).sort()).toEqual(doc.options.map((o) => `${o.section}.${o.key}`).sort());
    });

    it('flags the placeholder DNS servers of the docs table as problems', () => {
      expect(sut.problems).toEqual(['[Challenge] dns_server_list: "ip1" is not an IP address', '[Challenge] dns_server_list: "ip2" is not an IP address']);
    });

    it('never shows the password', () => {
      expect(JSON.stringify(sut)).not.toContain('S3cr3t');
      expect(inspect(sut, { depth: 10 })).not.toContain('S3cr3t');
    });
  });

  it("maps acme2certifier's examples/acme_srv.cfg (disabled checks are what enrollgate does anyway)", () => {
    const sut = importA2cConfig(fixture('examples-acme_srv.cfg'), options);
    expect(sut.report.map((e) => [e.key, e.status])).toEqual([
      ['debug', 'default'],
      ['nonce_check_disable', 'default'],
      ['revocation_reason_check_disable', 'default'],
      ['challenge_validation_disable', 'default'],
      ['tnauthlist_support', 'default'],
    ]);
    // its [CAhandler] is empty: the import says what an enrollment needs
    expect(sut.problems).toEqual(expect.arrayContaining(['[CAhandler] host is missing (acme2certifier: "host parameter is missing in config file")']));
  });

  it('reports the placeholders of the docs/mswcce.md block verbatim', () => {
    const sut = importA2cConfig(fixture('mswcce-doc-placeholders.cfg'), options);
    expect(sut.problems).toContain('[CAhandler] host "<hostname>" is not HOST or HOST:PORT');
    expect(sut.policy.allowed_domainlist).toEqual(['example.com', '*.example2.com']);
    expect(statusOf(sut, 'CAhandler', 'eab_profiling')?.target).toBe('policy.json eab_profiling');
  });

  it('maps *_variable options to a pools file the worker reads (a direct value wins, as in acme2certifier)', () => {
    const doc = parseIni(`[CAhandler]
handler_file: examples/ca_handler/mswcce_ca_handler.py
host_variable: CA_HOST
user: svc-enroll
user_variable: CA_USER
password_variable: CA_PASSWORD
ca_name: Corp Issuing CA
target_domain: CORP
template: WebServer
timeout: 7
`);
    const sut = importA2cConfig(doc, options);
    expect(sut.pools).toEqual({
      pools: {
        default: {
          host_variable: 'CA_HOST',
          password_variable: 'CA_PASSWORD',
          user: 'svc-enroll',
          ca_name: 'Corp Issuing CA',
          target_domain: 'CORP',
          timeout: 7,
        },
      },
    });
    expect(env(sut.workerEnv)).toEqual({ WCCE_TIMEOUT: '7', WCCE_POOLS_FILE: '/out/wcce-pools.json' });
    expect(statusOf(sut, 'CAhandler', 'user_variable')).toMatchObject({
      status: 'unmapped',
      reason: 'user is set too, and a direct value wins in acme2certifier',
    });
    expect(sut.problems).toEqual([]);
  });

  it.each([
    ['[CAhandler]\nhandler_file: examples/ca_handler/openssl_ca_handler.py\n', 'CAhandler', 'handler_file', /is not mswcce_ca_handler\.py/],
    ['[CAhandler]\nkrb5_kinit_path: /usr/bin/kinit\n', 'CAhandler', 'krb5_kinit_path', /tickets itself/],
    ['[Nonce]\nnonce_check_disable: True\n', 'Nonce', 'nonce_check_disable', /always checked/],
    ['[Challenge]\nchallenge_validation_disable: True\n', 'Challenge', 'challenge_validation_disable', /always validated/],
    ['[Certificate]\ncert_reusage_timeframe: 300\n', 'Certificate', 'cert_reusage_timeframe', /not reused/],
    ['[Directory]\nurl_prefix: /acme\n', 'Directory', 'url_prefix', /--public-url/],
    ['[Order]\nallowed_domainlist: example.com\n', 'Order', 'allowed_domainlist', /JSON list of strings/],
    ['[EABhandler]\neab_handler_file: examples/eab_handler/sql_handler.py\n', 'EABhandler', 'eab_handler_file', /convert its keys/],
    ['[Hooks]\nhooks_file: /x.py\n', 'Hooks', 'hooks_file', /no pre\/post enrollment hooks/],
    ['[Strange]\nfoo: bar\n', 'Strange', 'foo', /not an acme2certifier option enrollgate knows in \[Strange\]/],
  ])('leaves %j unmapped', (text, section, key, reason) => {
    const sut = importA2cConfig(parseIni(text), options);
    const entry = statusOf(sut, section, key);
    expect(entry?.status).toBe('unmapped');
    expect(entry?.reason).toMatch(reason);
  });

  it('maps the Kerberos options onto the worker (use_kerberos, krb5_*, domain_controller, dns_server)', () => {
    const text =
      '[CAhandler]\nuse_kerberos: True\nkrb5_principal: svc@CORP.EXAMPLE\nkrb5_keytab: /etc/a.keytab\nkrb5_cache: /tmp/cc\nkrb5_config: /etc/krb5.conf\ndomain_controller: 192.0.2.10\ndns_server: 192.0.2.53\n';
    const sut = importA2cConfig(parseIni(text), options);
    expect(env(sut.workerEnv)).toMatchObject({
      WCCE_USE_KERBEROS: 'true',
      WCCE_KRB5_PRINCIPAL: 'svc@CORP.EXAMPLE',
      WCCE_KRB5_KEYTAB: '/etc/a.keytab',
      WCCE_KRB5_CACHE: '/tmp/cc',
      WCCE_KRB5_CONFIG: '/etc/krb5.conf',
      WCCE_DOMAIN_CONTROLLER: '192.0.2.10',
      WCCE_DNS_SERVER: '192.0.2.53',
    });
    expect(sut.report.filter((e) => e.status === 'unmapped')).toEqual([]);
  });

  it('takes [DEFAULT] dns_server_list over the deprecated [Challenge] one', () => {
    const sut = importA2cConfig(parseIni('[DEFAULT]\ndns_server_list: ["192.0.2.53"]\n[Challenge]\ndns_server_list: ["198.51.100.53"]\n'), options);
    expect(env(sut.acmeEnv)).toEqual({ ACME_POLICY_FILE: '/out/policy.json', ACME_DNS_SERVERS: '192.0.2.53' });
    expect(statusOf(sut, 'Challenge', 'dns_server_list')?.status).toBe('unmapped');
  });

  it('turns EAB on in strict mode for an [EABhandler] section, as acme2certifier does', () => {
    const sut = importA2cConfig(parseIni('[EABhandler]\neab_handler_file: examples/eab_handler/json_handler.py\nkey_file: volume/key_file.json\n'), options);
    expect(sut.policy).toEqual({ eab_strict_mode: true, eab_key_file: 'volume/key_file.json' });
    expect(sut.problems).toContain(
      '[EABhandler] key_file "volume/key_file.json" is relative (to acme2certifier\'s directory): make it absolute in policy.json',
    );
  });

  it('reports a written policy that would not load', () => {
    const sut = importA2cConfig(parseIni('[Order]\nallowed_iplist: ["10.0.0.0/99"]\n'), options);
    expect(sut.problems).toContain('policy.json allowed_iplist: "10.0.0.0/99" has a bad prefix length');
  });
});
