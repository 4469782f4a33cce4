import { decodeMessageParam, percentDecode, rawQueryParam } from './message-param.js';

const der = new Uint8Array([0x30, 0x82, 0x01, 0xfb, 0xff, 0xfe, 0x3e, 0x3f, 0x00, 0x10]);
const b64 = Buffer.from(der).toString('base64'); // contains + and / and =

describe(decodeMessageParam.name, () => {
  it.each([
    ['percent-encoded base64 (certmonger)', encodeURIComponent(b64)],
    ['literal + left unencoded (jScep; a form decoder would make it a space)', b64],
    ['a + that something turned into a space (fleet#45291)', b64.replace(/\+/g, ' ')],
    ['macOS: + and / raw, = as %3D', b64.replace(/=/g, '%3D')],
    ['Cisco IOS: %0A line breaks', `${encodeURIComponent(b64.slice(0, 4))}%0A${encodeURIComponent(b64.slice(4))}`],
    ['URL-safe alphabet without padding', Buffer.from(der).toString('base64url')],
    ['lower-case percent escapes', encodeURIComponent(b64).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase())],
  ])('%s', (_name, raw) => {
    expect(Buffer.from(decodeMessageParam(raw)!).equals(Buffer.from(der))).toBe(true);
  });

  it.each([[''], ['!!!!'], ['%ZZ']])('not base64 (%j) → undefined', (raw) => {
    expect(decodeMessageParam(raw)).toBeUndefined();
  });
});

describe(rawQueryParam.name, () => {
  it('returns the raw value, name matched case-insensitively', () => {
    expect(rawQueryParam('/scep?Operation=PKIOperation&MESSAGE=a%2Bb+c', 'message')).toBe('a%2Bb+c');
    expect(rawQueryParam('/scep?operation=GetCACaps', 'message')).toBeUndefined();
    expect(rawQueryParam('/scep', 'operation')).toBeUndefined();
  });
});

describe(percentDecode.name, () => {
  it('never throws on malformed escapes and keeps +', () => {
    expect(percentDecode('a%2Bb+%zz%')).toBe('a+b+%zz%');
  });
});
