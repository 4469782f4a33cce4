import { constants, generateKeyPairSync, publicEncrypt, randomBytes, type KeyObject } from 'node:crypto';
import { pkcs1v15ValidMask, rsaPkcs1v15DecryptImplicit } from './pkcs1.js';

/** Raw RSA of a hand-made encoded message, to present every kind of bad padding. */
function rawEncrypt(pub: KeyObject, em: Uint8Array): Buffer {
  return publicEncrypt({ key: pub, padding: constants.RSA_NO_PADDING }, em);
}

function encode(k: number, message: Uint8Array, tweak?: (em: Buffer) => void): Buffer {
  const em = Buffer.alloc(k);
  em[1] = 2;
  const ps = k - message.length - 3;
  for (let i = 0; i < ps; i++) em[2 + i] = 1 + (randomBytes(1)[0]! % 255);
  Buffer.from(message).copy(em, k - message.length);
  tweak?.(em);
  return em;
}

describe(rsaPkcs1v15DecryptImplicit.name, () => {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const k = 256;

  it('returns the key OpenSSL wrapped with RSA_PKCS1_PADDING', () => {
    const cek = randomBytes(16);
    const ct = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, cek);
    expect(rsaPkcs1v15DecryptImplicit(privateKey, ct, 16).equals(cek)).toBe(true);
  });

  it.each([
    ['first byte not 0x00', (em: Buffer) => (em[0] = 1)],
    ['block type 1 instead of 2', (em: Buffer) => (em[1] = 1)],
    ['a zero inside the padding string', (em: Buffer) => (em[5] = 0)],
    ['no zero separator', (em: Buffer) => (em[k - 17] = 7)],
  ])('implicit rejection: %s gives a synthetic key, not an error', (_name, tweak) => {
    const cek = randomBytes(16);
    const ct = rawEncrypt(publicKey, encode(k, cek, tweak));
    const sut = rsaPkcs1v15DecryptImplicit(privateKey, ct, 16);
    expect(sut).toHaveLength(16);
    expect(sut.equals(cek)).toBe(false);
    // deterministic per ciphertext: a retried request sees the same key (no fresh-randomness oracle)
    expect(rsaPkcs1v15DecryptImplicit(privateKey, ct, 16).equals(sut)).toBe(true);
  });

  it('implicit rejection: a well-formed message of the wrong length is rejected too', () => {
    const ct = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, randomBytes(24));
    const sut = rsaPkcs1v15DecryptImplicit(privateKey, ct, 16);
    expect(sut).toHaveLength(16);
  });

  it('different bad ciphertexts give different synthetic keys', () => {
    const a = rsaPkcs1v15DecryptImplicit(privateKey, randomBytes(k), 32);
    const b = rsaPkcs1v15DecryptImplicit(privateKey, randomBytes(k), 32);
    expect(a.equals(b)).toBe(false);
  });

  it('a ciphertext ≥ the modulus is answered the same way (synthetic), never thrown', () => {
    expect(rsaPkcs1v15DecryptImplicit(privateKey, Buffer.alloc(k, 0xff), 16)).toHaveLength(16);
  });
});

describe(pkcs1v15ValidMask.name, () => {
  it('is 0xff only for a valid encoding of the expected length', () => {
    const msg = randomBytes(16);
    expect(pkcs1v15ValidMask(encode(128, msg), 16)).toBe(0xff);
    expect(pkcs1v15ValidMask(encode(128, msg), 15)).toBe(0);
    expect(
      pkcs1v15ValidMask(
        encode(128, msg, (em) => (em[9] = 0)),
        16,
      ),
    ).toBe(0);
    // PS shorter than 8 bytes
    expect(pkcs1v15ValidMask(encode(26, msg), 16)).toBe(0);
  });
});
