import { encodeGeneralNames, ipToBytes, parseGeneralNames, type SanEntry } from './general-names.js';

describe(ipToBytes.name, () => {
  it.each([
    ['192.0.2.1', 'c0000201'],
    ['::1', '00000000000000000000000000000001'],
    ['2001:db8::5', '20010db8000000000000000000000005'],
    ['fe80::1:2', 'fe800000000000000000000000010002'],
    ['::ffff:10.0.0.1', '00000000000000000000ffff0a000001'],
    ['2001:db8:0:0:1:0:0:1', '20010db8000000000001000000000001'],
  ])('encodes %s', (ip, hex) => {
    expect(Buffer.from(ipToBytes(ip)).toString('hex')).toBe(hex);
  });

  it.each(['999.1.1.1', 'example.com', ''])('rejects %j with INVALID_ARGUMENT', (ip) => {
    expect(() => ipToBytes(ip)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe(parseGeneralNames.name, () => {
  it('round-trips the SAN types we issue, printing IPv6 per RFC 5952', () => {
    const entries: SanEntry[] = [
      { type: 'dns', value: 'a.example.com' },
      { type: 'ip', value: '2001:db8::5' },
      { type: 'ip', value: '::ffff:10.0.0.1' },
      { type: 'ip', value: '10.9.8.7' },
      { type: 'email', value: 'x@example.com' },
      { type: 'upn', value: 'user@corp.example' },
      { type: 'uri', value: 'https://example.com/id' },
    ];
    expect(parseGeneralNames(encodeGeneralNames(entries))).toEqual(entries);
  });

  it('keeps unknown otherNames instead of throwing (Windows CSRs carry several)', () => {
    // SEQUENCE { [0] { OID 1.2.3.4, [0] { UTF8String "x" } } }
    const der = Uint8Array.from(Buffer.from('300ca00a06032a0304a0030c0178', 'hex'));
    expect(parseGeneralNames(der)).toEqual([{ type: 'otherName', oid: '1.2.3.4', value: '0c0178' }]);
  });

  it.each([
    ['IP of 5 octets', '30078705 0102030405'],
    ['truncated', '3005 8203 6162'],
  ])('rejects %s with the given code', (_name, hex) => {
    expect(() => parseGeneralNames(Uint8Array.from(Buffer.from(hex.replace(/\s/g, ''), 'hex')), 'BAD_CSR')).toThrow(
      expect.objectContaining({ code: 'BAD_CSR' }),
    );
  });

  it('refuses to encode a type we do not issue', () => {
    expect(() => encodeGeneralNames([{ type: 'dn', value: 'CN=x' }])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
