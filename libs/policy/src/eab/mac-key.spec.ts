import { inspect } from 'node:util';
import { decodeMacKey, MacKey } from './mac-key.js';

describe(decodeMacKey.name, () => {
  it.each([
    ['unpadded base64url (cert-manager)', 'YW5vdXRoZXJfdmVyeV9sb25nX2htYWM', 'anouther_very_long_hmac'],
    ['padded base64url', 'YWJj', 'abc'],
    ['padding kept', 'YWI=', 'ab'],
    ['padding dropped', 'YWI', 'ab'],
    ['standard base64 alphabet', '+/+/', Buffer.from('+/+/', 'base64').toString('latin1')],
    ['url alphabet', '-_-_', Buffer.from('-_-_', 'base64url').toString('latin1')],
    ['surrounding whitespace', '  YWJj\n', 'abc'],
  ])('%s', (_case, text, bytes) => {
    const sut = decodeMacKey(text);
    expect('key' in sut && sut.key.bytes().toString('latin1')).toBe(bytes);
  });

  it.each([
    ['', 'is empty'],
    ['a.b', 'is not base64url (letters, digits, "-" and "_")'],
    ['ab-+', 'mixes the base64 and base64url alphabets'],
    ['abcde', 'has a length no base64url text can have'],
  ])('refuses %j: %s', (text, error) => {
    expect(decodeMacKey(text)).toEqual({ error });
  });
});

describe(MacKey.name, () => {
  it('never prints its bytes', () => {
    const sut = new MacKey(Buffer.from('secret-key-bytes'));
    expect(JSON.stringify({ sut })).toBe('{"sut":"[redacted]"}');
    expect(String(sut)).toBe('[redacted]');
    expect(inspect(sut)).toBe('MacKey(16 bytes, [redacted])');
  });
});
