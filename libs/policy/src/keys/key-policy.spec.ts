import type { PublicKeyInfo } from '@enrollgate/pki';
import { csr } from '../testing/fixtures.js';
import { checkPublicKey, DEFAULT_KEY_POLICIES, type KeyPolicy } from './key-policy.js';

describe(checkPublicKey.name, () => {
  const acme = DEFAULT_KEY_POLICIES.acme;
  const scepLegacy: KeyPolicy = { ...DEFAULT_KEY_POLICIES.scep, rsaMinBits: 1024 };

  it.each<[string, PublicKeyInfo, KeyPolicy, string, string]>([
    ['RSA 2048 for ACME', { type: 'rsa', bits: 2048 }, acme, 'allow', 'key.allowed'],
    ['RSA 1024 for ACME', { type: 'rsa', bits: 1024 }, acme, 'reject', 'key.rsa_min_bits'],
    ['RSA 1024 for a SCEP profile that lowers the minimum', { type: 'rsa', bits: 1024 }, scepLegacy, 'allow', 'key.allowed'],
    ['RSA 16384', { type: 'rsa', bits: 16384 }, acme, 'reject', 'key.rsa_max_bits'],
    ['P-256 for ACME', { type: 'ec', curve: 'P-256', bits: 256 }, acme, 'allow', 'key.allowed'],
    ['P-521 for ACME', { type: 'ec', curve: 'P-521', bits: 521 }, acme, 'reject', 'key.curve'],
    ['P-521 for SCEP', { type: 'ec', curve: 'P-521', bits: 521 }, DEFAULT_KEY_POLICIES.scep, 'allow', 'key.allowed'],
    ['secp256k1', { type: 'ec', curve: '1.3.132.0.10', bits: 256 }, acme, 'reject', 'key.curve'],
    ['Ed25519', { type: 'ed25519', bits: 256 }, acme, 'reject', 'key.type'],
    ['DSA', { type: 'unknown', oid: '1.2.840.10040.4.1' }, acme, 'reject', 'key.type'],
  ])('%s', (_case, key, policy, decision, rule) => {
    const sut = checkPublicKey(key, policy);
    expect({ decision: sut.decision, rule: sut.rule }).toEqual({ decision, rule });
  });

  it('explains a rejection as badPublicKey', () => {
    const sut = checkPublicKey({ type: 'rsa', bits: 1024 }, acme);
    expect(sut.decision === 'reject' && sut.problem).toEqual({
      type: 'urn:ietf:params:acme:error:badPublicKey',
      detail: 'RSA key of 1024 bits; at least 2048 required',
    });
  });

  it("checks a real CsrInfo's key", async () => {
    const info = await csr('CN=www.example.com', [], 'p384');
    expect(checkPublicKey(info.publicKey, acme).decision).toBe('allow');
    expect(checkPublicKey(info.publicKey, { ...acme, curves: ['P-256'] }).rule).toBe('key.curve');
  });
});
