import { nfoldVectors } from '../../../test/vectors/kerberos/rfc3961-3962.js';
import { nfold } from './nfold.js';

describe(nfold.name, () => {
  it.each(nfoldVectors)('RFC 3961 A.1: $bits-fold("$input")', ({ bits, input, output }) => {
    const sut = nfold;
    expect(sut(Buffer.from(input, 'latin1'), bits / 8).toString('hex')).toBe(output);
  });

  it('refuses empty input', () => {
    expect(() => nfold(Buffer.alloc(0), 16)).toThrow(RangeError);
  });
});
