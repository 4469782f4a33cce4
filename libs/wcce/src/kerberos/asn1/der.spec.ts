import { WcceProtocolError } from '../../errors.js';
import { Fields, derFields, derInteger, derKerberosFlags, derKerberosTime, parseOne, readInteger, readKerberosFlags, readKerberosTime, DerTag } from './der.js';

describe(derInteger.name, () => {
  it.each([
    { value: 0, hex: '020100' },
    { value: 5, hex: '020105' },
    { value: 128, hex: '02020080' },
    { value: -138, hex: '0202ff76' },
    { value: 0x8003, hex: '0203008003' },
    { value: 0xffffffff, hex: '020500ffffffff' },
    { value: -1, hex: '0201ff' },
  ])('$value ↔ $hex', ({ value, hex }) => {
    expect(derInteger(value).toString('hex')).toBe(hex);
    expect(readInteger(parseOne(Buffer.from(hex, 'hex'), DerTag.INTEGER, 'T', 'v'), 'T', 'v')).toBe(value);
  });
});

describe('KerberosTime and KerberosFlags', () => {
  it('encodes RFC 4120 5.2.3 time without fractions and round-trips', () => {
    const t = new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678));
    const der = derKerberosTime(t);
    expect(der.subarray(2).toString('ascii')).toBe('20240102030405Z');
    expect(readKerberosTime(parseOne(der, 0x18, 'T', 't'), 'T', 't').getTime()).toBe(Date.UTC(2024, 0, 2, 3, 4, 5));
  });

  it('flags are a 32-bit BIT STRING with bit 0 first (forwardable = 0x40000000)', () => {
    expect(derKerberosFlags(0x40810010).toString('hex')).toBe('03050040810010');
    expect(readKerberosFlags(parseOne(derKerberosFlags(0x50800000), DerTag.BIT_STRING, 'T', 'f'), 'T', 'f')).toBe(0x50800000);
  });
});

describe(Fields.name, () => {
  it('finds fields by tag and reports a missing one with its offset', () => {
    const sut = new Fields(
      parseOne(
        derFields([
          [0, derInteger(5)],
          [2, derInteger(7)],
        ]),
        DerTag.SEQUENCE,
        'Thing',
        'Thing',
      ),
      'Thing',
    );
    expect(readInteger(sut.req(2, 'b'), 'Thing', 'b')).toBe(7);
    expect(sut.opt(1, 'a')).toBeUndefined();
    expect(() => sut.req(1, 'a')).toThrow(WcceProtocolError);
  });

  it('rejects out-of-order fields', () => {
    const bad = Buffer.from('300aa103020101a003020100', 'hex'); // [1] before [0]
    expect(() => new Fields(parseOne(bad, DerTag.SEQUENCE, 'T', 'T'), 'T')).toThrow(expect.objectContaining({ code: 'PROTOCOL', field: '[0]' }));
  });
});
