import { md4 } from './md4.js';

// RFC 1320 Appendix A.5 "Test suite".
const RFC1320_SUITE: ReadonlyArray<[input: string, digest: string]> = [
  ['', '31d6cfe0d16ae931b73c59d7e0c089c0'],
  ['a', 'bde52cb31de33e46245e05fbdbd6fb24'],
  ['abc', 'a448017aaf21d8525fc10ae87aa6729d'],
  ['message digest', 'd9130a8164549fe818874806e1c7014b'],
  ['abcdefghijklmnopqrstuvwxyz', 'd79e1c308aa5bbcdeea8ed63df412da9'],
  ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', '043f8582f241db351ce627e153e7f0e4'],
  ['12345678901234567890123456789012345678901234567890123456789012345678901234567890', 'e33b4ddc9c38f2199c3e7b164fcc0536'],
];

describe(md4.name, () => {
  it.each(RFC1320_SUITE)('MD4(%j) (RFC 1320 A.5)', (input, digest) => {
    const sut = md4;
    expect(sut(Buffer.from(input, 'latin1')).toString('hex')).toBe(digest);
  });

  it('hashes inputs around the 55/56/64-byte padding boundaries without throwing', () => {
    const sut = md4;
    for (const n of [55, 56, 57, 63, 64, 65, 119, 120, 128]) {
      expect(sut(Buffer.alloc(n, 0x61))).toHaveLength(16);
    }
  });
});
