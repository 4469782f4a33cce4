import { generateKeyPairSync } from 'node:crypto';
import { AcmeProblem } from '../acme/problems.js';
import { importAccountKey, jwkThumbprint } from './jwk.js';

const RFC7638_N =
  '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw';

describe(jwkThumbprint.name, () => {
  it('matches the RFC 7638 §3.1 example', () => {
    expect(jwkThumbprint({ kty: 'RSA', n: RFC7638_N, e: 'AQAB' })).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  });
});

describe(importAccountKey.name, () => {
  const ec = (curve: string) => generateKeyPairSync('ec', { namedCurve: curve }).publicKey.export({ format: 'jwk' });

  it.each([
    ['P-256', 'ES256'],
    ['P-384', 'ES384'],
    ['P-521', 'ES512'],
  ])('gives a %s key the algorithm %s and ignores members outside RFC 7638', (curve, alg) => {
    const sut = importAccountKey({ ...ec(curve), kid: 'ignored', use: 'sig' });
    expect(sut.alg).toBe(alg);
    expect(Object.keys(sut.jwk).sort()).toEqual(['crv', 'kty', 'x', 'y']);
  });

  it.each([
    ['an unknown key type', { kty: 'OKP', crv: 'Ed25519', x: 'AA' }, 'badPublicKey'],
    ['a JWK alg that disagrees with the key', { ...ec('P-256'), alg: 'RS256' }, 'badSignatureAlgorithm'],
    ['a short RSA key', generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' }), 'badPublicKey'],
    ['a non-object', 'jwk', 'malformed'],
  ])('refuses %s', (_what, jwk, type) => {
    expect(() => importAccountKey(jwk)).toThrow(expect.objectContaining({ type }) as AcmeProblem);
  });
});
