import { ctsKey, ctsPlaintext, ctsVectors, hex } from '../../../test/vectors/kerberos/rfc3961-3962.js';
import { ctsDecrypt, ctsEncrypt } from './aes-cts.js';

const key = hex(ctsKey);
const iv = Buffer.alloc(16);

describe(ctsEncrypt.name, () => {
  it.each(ctsVectors)('RFC 3962 Appendix B: $length-byte input', ({ length, output }) => {
    const input = Buffer.from(ctsPlaintext.slice(0, length), 'latin1');
    expect(ctsEncrypt(key, iv, input).toString('hex')).toBe(hex(output).toString('hex'));
  });
});

describe(ctsDecrypt.name, () => {
  it.each(ctsVectors)('RFC 3962 Appendix B: $length-byte output', ({ length, output }) => {
    expect(ctsDecrypt(key, iv, hex(output)).toString('latin1')).toBe(ctsPlaintext.slice(0, length));
  });

  it('round-trips a single block (plain CBC)', () => {
    const block = Buffer.from(ctsPlaintext.slice(0, 16), 'latin1');
    expect(ctsDecrypt(key, iv, ctsEncrypt(key, iv, block))).toEqual(block);
  });
});
