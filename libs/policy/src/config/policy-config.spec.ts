import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPolicyConfigFile, parsePolicyConfig, PolicyConfigError } from './policy-config.js';

describe(parsePolicyConfig.name, () => {
  it('applies acme2certifier defaults to an empty file', () => {
    const sut = parsePolicyConfig({});
    expect(sut).toMatchObject({
      allowedDomainlist: [],
      identifierLimit: 20,
      wildcardCertificateDisable: false,
      headerInfoList: [],
      profiles: {},
      eabProfiling: false,
      sanRequestAttribute: false,
      keyPolicy: { acme: { rsaMinBits: 2048, rsaMaxBits: 8192, curves: ['P-256', 'P-384'] } },
    });
    expect(sut.defaultTemplate).toBeUndefined();
  });

  it('reads both profile forms', () => {
    const sut = parsePolicyConfig({
      template: 'WebServer',
      header_info_list: ['HTTP_USER_AGENT', 'REMOTE_ADDR'],
      profiles: { template1: 'http://foo.bar/template1', tls: { description: 'TLS', template: 'WebServerModified', rsa_min_bits: 3072 } },
      key_policy: { scep: { rsa_min_bits: 1024 } },
    });
    expect(sut.headerInfoField).toBe('HTTP_USER_AGENT');
    expect(sut.profiles).toEqual({
      template1: { name: 'template1', description: 'http://foo.bar/template1', template: 'template1' },
      tls: { name: 'tls', description: 'TLS', template: 'WebServerModified', keyPolicy: { rsaMinBits: 3072 } },
    });
    expect(sut.keyPolicy.scep.rsaMinBits).toBe(1024);
    expect(sut.keyPolicy.acme.rsaMinBits).toBe(2048);
  });

  it('names every bad key', () => {
    expect(() =>
      parsePolicyConfig({ allowed_domainlist: ['ok.example', ''], allowed_iplist: ['10.0.0.0/40'], header_info_list: ['REMOTE_ADDR'], eab_profiling: true }),
    ).toThrow(
      new PolicyConfigError('policy', [
        'allowed_domainlist: empty entry',
        'allowed_iplist: "10.0.0.0/40" has a bad prefix length',
        'header_info_list: "REMOTE_ADDR" is not a request header (expected HTTP_<NAME>, e.g. HTTP_USER_AGENT)',
        'eab_key_file: missing; required when eab_profiling is true',
      ]),
    );
    expect(() => parsePolicyConfig({ identifier_limit: 0, surprise: 1 })).toThrow(/identifier_limit: .*\n.*surprise|Unrecognized key/);
  });
});

describe(loadPolicyConfigFile.name, () => {
  it('reads JSON and YAML files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'enrollgate-policy-'));
    try {
      writeFileSync(join(dir, 'p.json'), '{"allowed_domainlist": ["*.example.com"], "template": "WebServer"}');
      writeFileSync(join(dir, 'p.yaml'), 'allowed_domainlist:\n  - "*.example.com"\ntemplate: WebServer\n');
      expect(loadPolicyConfigFile(join(dir, 'p.json'))).toEqual(loadPolicyConfigFile(join(dir, 'p.yaml')));
      expect(() => loadPolicyConfigFile(join(dir, 'missing.json'))).toThrow(/cannot read the file \(ENOENT\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
