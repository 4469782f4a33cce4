import { checksumVectors, decryptVectors, hex } from '../../../test/vectors/kerberos/rfc3961-3962.js';
import { encryptionProfile } from './index.js';
import { Rc4HmacProfile, rc4Hmac } from './rc4-hmac.js';

describe(Rc4HmacProfile.name, () => {
  const sut = rc4Hmac;

  it.each(decryptVectors.filter((v) => v.etype === 23))('decrypts MIT t_decrypt.c usage $usage "$plaintext"', ({ plaintext, usage, key, ciphertext }) => {
    expect(sut.decrypt(hex(key), usage, hex(ciphertext)).toString('latin1')).toBe(plaintext);
  });

  it('encrypt/decrypt round trip, and a wrong key fails with INTEGRITY', () => {
    const key = sut.stringToKey('Passw0rd!');
    const c = sut.encrypt(key, 7, Buffer.from('hello'));
    expect(sut.decrypt(key, 7, c).toString()).toBe('hello');
    expect(() => sut.decrypt(Buffer.alloc(16), 7, c)).toThrow(expect.objectContaining({ code: 'INTEGRITY' }));
  });

  it('string-to-key is the NT hash (MS-NLMP 4.2.1: "Password")', () => {
    expect(sut.stringToKey('Password').toString('hex')).toBe('a4f49c406510bdcab6824ee7c30fd852');
  });

  it.each(checksumVectors.filter((v) => v.etype === 23))('HMAC-MD5 checksum (MIT t_cksums.c usage $usage)', ({ plaintext, usage, key, checksum }) => {
    expect(sut.checksum(hex(key), usage, Buffer.from(plaintext, 'latin1')).toString('hex')).toBe(checksum.toLowerCase());
  });

  it('is refused unless explicitly enabled', () => {
    expect(() => encryptionProfile(23)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }));
    expect(encryptionProfile(23, { allowRc4: true })).toBe(rc4Hmac);
  });
});
