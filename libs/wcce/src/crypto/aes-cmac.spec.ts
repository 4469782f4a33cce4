import { readFileSync } from 'node:fs';
import { aesCmac, cmacSubkeys } from './aes-cmac.js';

interface Rfc4493Vectors {
  key: string;
  subkeys: { k1: string; k2: string };
  examples: { name: string; message: string; mac: string }[];
}

const vectors = JSON.parse(readFileSync(new URL('../../test/vectors/smb2/rfc4493-aes-cmac.json', import.meta.url), 'utf8')) as Rfc4493Vectors;
const key = Buffer.from(vectors.key, 'hex');

describe(aesCmac.name, () => {
  it('derives the RFC 4493 2.3 subkeys K1 and K2', () => {
    const [k1, k2] = cmacSubkeys(key);
    expect(k1.toString('hex')).toBe(vectors.subkeys.k1);
    expect(k2.toString('hex')).toBe(vectors.subkeys.k2);
  });

  it.each(vectors.examples)('matches RFC 4493 section 4 $name', ({ message, mac }) => {
    expect(aesCmac(key, Buffer.from(message, 'hex')).toString('hex')).toBe(mac);
  });

  it('refuses a key that is not an AES key size', () => {
    expect(() => aesCmac(Buffer.alloc(15), Buffer.alloc(0))).toThrow(RangeError);
  });
});
