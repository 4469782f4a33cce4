import {
  describePublicKey,
  exportPrivateKeyPem,
  exportPublicKeySpki,
  generateKeyPair,
  importPrivateKey,
  parseKeySpec,
  spkiOfPrivateKey,
  KEY_SPECS,
} from './keys.js';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { TempDir, opensslOk } from './testing/openssl.js';

describe(generateKeyPair.name, () => {
  it.each([
    ['rsa2048', { type: 'rsa', bits: 2048 }],
    ['rsa3072', { type: 'rsa', bits: 3072 }],
    ['rsa4096', { type: 'rsa', bits: 4096 }],
    ['p256', { type: 'ec', curve: 'P-256', bits: 256 }],
    ['p384', { type: 'ec', curve: 'P-384', bits: 384 }],
  ] as const)('generates %s', async (spec, expected) => {
    const sut = await generateKeyPair(spec);
    expect(describePublicKey(await exportPublicKeySpki(sut.publicKey))).toEqual(expected);
  });

  it('round-trips the private key through PKCS#8 PEM that openssl reads', async () => {
    const keys = await generateKeyPair('p256');
    const pem = await exportPrivateKeyPem(keys.privateKey);
    expect(opensslOk(['pkey', '-noout', '-text'], pem)).toContain('NIST CURVE: P-256');
    const sut = await importPrivateKey(pem);
    expect(spkiOfPrivateKey(pem)).toEqual(await exportPublicKeySpki(keys.publicKey));
    expect(sut.type).toBe('private');
  });
});

describe(importPrivateKey.name, () => {
  const tmp = new TempDir();
  afterAll(() => tmp.cleanup());

  it.each([
    ['PKCS#1 RSA PRIVATE KEY', ['genrsa', '2048'], 'RSASSA-PKCS1-v1_5'],
    ['SEC1 EC PRIVATE KEY', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout'], 'ECDSA'],
  ])('imports openssl %s', async (_name, args, algorithm) => {
    const pem = opensslOk(args);
    const sut = await importPrivateKey(pem);
    expect(sut.algorithm.name).toBe(algorithm);
  });

  it.each([
    ['no key block', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', 'BAD_PEM'],
    ['garbage key', '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n', 'BAD_KEY'],
    ['encrypted PKCS#8', '-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n', 'BAD_KEY'],
  ])('rejects %s', async (_name, pem, code) => {
    await expect(importPrivateKey(pem)).rejects.toMatchObject({ code });
  });

  it('rejects an Ed25519 key as a CA signing key with UNSUPPORTED_KEY', async () => {
    await expect(importPrivateKey(opensslOk(['genpkey', '-algorithm', 'ED25519']))).rejects.toMatchObject({ code: 'UNSUPPORTED_KEY' });
  });
});

describe(parseKeySpec.name, () => {
  it.each([
    ['rsa2048', 'rsa2048'],
    ['RSA-3072', 'rsa3072'],
    ['rsa', 'rsa2048'],
    ['p256', 'p256'],
    ['P-256', 'p256'],
    ['ec', 'p256'],
    ['ecdsa-p384', 'p384'],
    ['secp384r1', 'p384'],
  ])('reads %s as %s', (text, spec) => {
    expect(parseKeySpec(text)).toBe(spec);
  });

  it.each(['rsa1024', 'ed25519', 'p521', ''])('rejects %j with UNSUPPORTED_KEY listing the choices', (text) => {
    expect(() => parseKeySpec(text)).toThrow(
      expect.objectContaining({
        code: 'UNSUPPORTED_KEY',
        message: expect.stringContaining(KEY_SPECS.join(', ')),
      }),
    );
  });
});

describe(`${describePublicKey.name} (RSA modulus read from the DER)`, () => {
  it.each([1024, 1031, 1536, 2047, 2048, 3072])('%i-bit keys: the size OpenSSL reports', (modulusLength) => {
    const spki = new Uint8Array(generateKeyPairSync('rsa', { modulusLength }).publicKey.export({ format: 'der', type: 'spki' }));
    const expected = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }).asymmetricKeyDetails?.modulusLength;
    expect(describePublicKey(spki)).toEqual({ type: 'rsa', bits: expected });
    expect(expected).toBe(modulusLength);
  });

  it('a malformed RSAPublicKey is BAD_DER, as before', () => {
    const spki = new Uint8Array(generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'der', type: 'spki' }));
    // the BIT STRING holds SEQUENCE { modulus, exponent }: turn the modulus tag into an OCTET STRING
    const bad = Uint8Array.from(spki);
    const seqAt = bad.indexOf(0x30, 20);
    const intAt = bad.indexOf(0x02, seqAt + 1);
    bad[intAt] = 0x04;
    expect(() => describePublicKey(bad)).toThrow(/RSA key does not parse/);
  });
});
