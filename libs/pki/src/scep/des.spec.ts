import { randomBytes } from 'node:crypto';
import { opensslBytes } from '../testing/openssl.js';
import { desBlock, desCbcDecrypt, desCbcEncrypt, desRoundKeys } from './des.js';

const hex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));

describe('DES (FIPS 46-3)', () => {
  it.each([
    // the classic worked example (key 133457799BBCDFF1), and NBS known-answer vectors
    ['133457799bbcdff1', '0123456789abcdef', '85e813540f0ab405'],
    ['0101010101010101', '95f8a5e5dd31d900', '8000000000000000'],
    ['8001010101010101', '0000000000000000', '95a8d72813daa94d'],
  ])('key %s encrypts %s to %s', (key, plain, cipher) => {
    const keys = desRoundKeys(hex(key));
    expect(Buffer.from(desBlock(keys, hex(plain), false)).toString('hex')).toBe(cipher);
    expect(Buffer.from(desBlock(keys, hex(cipher), true)).toString('hex')).toBe(plain);
  });
});

describe(desCbcDecrypt.name, () => {
  it.each([1, 8, 100, 1234])('decrypts what `openssl enc -des-cbc` (legacy provider) made, %i bytes', (n) => {
    const key = randomBytes(8);
    const iv = randomBytes(8);
    const plain = randomBytes(n);
    const cipher = opensslBytes(
      ['enc', '-des-cbc', '-provider', 'legacy', '-provider', 'default', '-K', key.toString('hex'), '-iv', iv.toString('hex')],
      plain,
    );
    const sut = desCbcDecrypt(key, iv, cipher);
    expect(Buffer.from(sut).equals(plain)).toBe(true);
  });

  it('encrypts what `openssl enc -d -des-cbc` decrypts', () => {
    const key = randomBytes(8);
    const iv = randomBytes(8);
    const plain = randomBytes(77);
    const sut = desCbcEncrypt(key, iv, plain);
    const back = opensslBytes(
      ['enc', '-d', '-des-cbc', '-provider', 'legacy', '-provider', 'default', '-K', key.toString('hex'), '-iv', iv.toString('hex')],
      sut,
    );
    expect(Buffer.from(back).equals(plain)).toBe(true);
  });

  it('refuses a bad padding and a partial block', () => {
    const key = randomBytes(8);
    const iv = randomBytes(8);
    const bad = desCbcEncrypt(key, iv, randomBytes(16));
    bad[bad.length - 1]! ^= 0xff;
    expect(() => desCbcDecrypt(key, iv, bad.subarray(0, 15))).toThrow(RangeError);
  });
});
