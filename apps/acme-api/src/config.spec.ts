import { ConfigError } from '@enrollgate/platform';
import { eabKeysOf, loadAcmeConfig, publicBaseOf } from './config.js';

describe(loadAcmeConfig.name, () => {
  it("defaults to plain HTTP on 127.0.0.1:4000 and leaves the policy variables unset (their defaults are the policy builder's)", () => {
    const sut = loadAcmeConfig({});
    expect(publicBaseOf(sut)).toBe('http://127.0.0.1:4000');
    expect([sut.ACME_POLICY_FILE, sut.ACME_DEFAULT_TEMPLATE, sut.ACME_RSA_MIN_BITS, sut.ACME_ALLOWED_CURVES, sut.ACME_IDENTIFIER_LIMIT]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('accepts EAB keys unpadded, padded or in standard base64 (cert-manager stores them unpadded)', () => {
    const key = Buffer.from([0xfb, 0xff, 0x01, 0x02]);
    const sut = loadAcmeConfig({
      ACME_EAB_KEYS: JSON.stringify({ a: key.toString('base64url'), b: key.toString('base64'), c: `${key.toString('base64url')}==` }),
    });
    expect([...eabKeysOf(sut).values()].map((k) => k.toString('hex'))).toEqual(['fbff0102', 'fbff0102', 'fbff0102']);
  });

  it.each([
    [{ ACME_EAB_REQUIRED: 'true' }, 'ACME_EAB_KEYS'],
    [{ ACME_PROFILES: '{"x": {}}' }, 'ACME_PROFILES'],
    [{ ACME_TLS_CERT_FILE: '/tmp/c.pem' }, 'ACME_TLS_KEY_FILE'],
    [{ ACME_PUBLIC_URL: 'ftp://x' }, 'ACME_PUBLIC_URL'],
    [{ ACME_ALLOWED_CURVES: 'P-256,secp256k1' }, 'ACME_ALLOWED_CURVES'],
    [{ ACME_RSA_MIN_BITS: '512' }, 'ACME_RSA_MIN_BITS'],
    [{ ACME_POLICY_FILE: '/etc/enrollgate/policy.yaml', ACME_PROFILES: '{"x": {"template": "X"}}' }, 'ACME_PROFILES: set profiles in ACME_POLICY_FILE instead'],
    [{ ACME_POLICY_FILE: '/etc/enrollgate/policy.yaml', ACME_DEFAULT_TEMPLATE: 'User' }, 'ACME_DEFAULT_TEMPLATE: set template in ACME_POLICY_FILE instead'],
    [
      { ACME_POLICY_FILE: '/etc/enrollgate/policy.yaml', ACME_IDENTIFIER_LIMIT: '5' },
      'ACME_IDENTIFIER_LIMIT: set identifier_limit in ACME_POLICY_FILE instead',
    ],
  ])('refuses %j naming %s', (env, key) => {
    expect(() => loadAcmeConfig(env)).toThrow(ConfigError);
    expect(() => loadAcmeConfig(env)).toThrow(key);
  });
});
