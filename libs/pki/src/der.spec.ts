import { DerReader, Tag, derLength, derOid, derSequence, derSmallInteger, tlvValue } from './der.js';

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s/g, ''), 'hex'));

describe(DerReader.name, () => {
  it.each([
    ['2.5.29.17', '0603551d11'],
    ['1.2.840.113549.1.7.2', '06092a864886f70d010702'],
    ['1.3.6.1.4.1.311.20.2.3', '060a2b0601040182371402 03'],
    ['2.16.840.1.101.3.4.2.1', '0609608648016503040201'],
  ])('decodes and encodes OID %s', (oid, encoded) => {
    const sut = new DerReader(hex(encoded), 'BAD_DER');
    expect(sut.oid(sut.readRoot('oid'), 'oid')).toBe(oid);
    expect(Buffer.from(derOid(oid)).toString('hex')).toBe(encoded.replace(/\s/g, ''));
  });

  it.each([
    ['truncated length', '30', 0, /truncated length/],
    ['value past the end', '3005 0101ff', 0, /runs past the end/],
    ['indefinite length', '3080 0000', 0, /indefinite length/],
    ['non-minimal long length', '3081 05 0101ff0500', 0, /non-minimal length/],
    ['trailing bytes', '3000 00', 2, /trailing bytes/],
    ['high tag number', '1f01 00', 0, /high tag/],
    ['oversized length', '3085 0100000000', 0, /too large/],
  ])('rejects %s with the offset', (_name, input, offset, message) => {
    const sut = new DerReader(hex(input), 'BAD_CSR');
    expect(() => sut.readRoot('root')).toThrow(
      expect.objectContaining({
        code: 'BAD_CSR',
        details: expect.objectContaining({ offset }),
        message: expect.stringMatching(message),
      }),
    );
  });

  it('names the child that failed and its absolute offset', () => {
    // SEQUENCE { INTEGER 1, SEQUENCE { runs past its parent } }
    const sut = new DerReader(hex('3006 020101 3005 00'), 'BAD_PKCS7');
    const root = sut.readRoot('outer');
    expect(() => sut.children(root, 'outer')).toThrow(expect.objectContaining({ details: { field: 'outer[1]', offset: 5 } }));
  });

  it('reads long-form lengths', () => {
    const body = new Uint8Array(300).fill(5);
    const encoded = derSequence(Uint8Array.of(Tag.OCTET_STRING), derLength(300), body);
    const sut = new DerReader(encoded, 'BAD_DER');
    const [octets] = sut.children(sut.readRoot('seq'), 'seq');
    expect(tlvValue(octets!)).toHaveLength(300);
  });

  it.each([
    [0, '020100'],
    [1, '020101'],
    [128, '02020080'],
    [65537, '0203010001'],
  ])('encodes INTEGER %d minimally and reads it back', (n, encoded) => {
    expect(Buffer.from(derSmallInteger(n)).toString('hex')).toBe(encoded);
    const sut = new DerReader(hex(encoded), 'BAD_DER');
    expect(sut.smallInteger(sut.readRoot('int'), 'int')).toBe(n);
  });
});
