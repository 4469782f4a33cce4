import { cacheFullPage, challengePage, ndesThumbprint, utf16le } from './ndes-admin-page.js';

describe(challengePage.name, () => {
  it("has NDES's exact sentences, which Fleet's regex reads after UTF-16 decoding", () => {
    const body = utf16le(challengePage('8CE317021F690069', Uint8Array.of(1, 2, 3), 60));
    expect([body[0], body[1]]).toEqual([0xff, 0xfe]);
    const text = body.subarray(2).toString('utf16le');
    expect(/The enrollment challenge password is: <B> (\S*)/.exec(text)?.[1]).toBe('8CE317021F690069');
    expect(text).toContain('This password can be used only once and will expire within 60 minutes.');
    expect(text).toMatch(/The thumbprint \(hash value\) for the CA certificate is: <B> [0-9A-F]{8} [0-9A-F]{8} [0-9A-F]{8} [0-9A-F]{8} <\/B>/);
  });

  it('cache full page carries the sentence Fleet maps to its error', () => {
    expect(cacheFullPage()).toContain('The password cache is full.');
  });

  it('thumbprint is MD5 in four groups (as NDES shows it)', () => {
    expect(ndesThumbprint(Buffer.from('abc'))).toBe('90015098 3CD24FB0 D6963F7D 28E17F72');
  });
});
