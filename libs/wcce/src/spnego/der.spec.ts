import { WcceProtocolError } from '../errors.js';
import { DerReader, DerTag, derOid, derOctetString, readOid } from './der.js';
import { MechOid } from './oids.js';

describe(DerReader.name, () => {
  it.each([
    [MechOid.SPNEGO, '06062b0601050502'],
    [MechOid.NTLMSSP, '060a2b06010401823702020a'],
    [MechOid.MS_KRB5, '06092a864882f712010202'],
    [MechOid.KRB5, '06092a864886f712010202'],
  ])('round-trips OID %s (DER bytes as they appear in Windows tokens)', (oid, der) => {
    expect(derOid(oid).toString('hex')).toBe(der);
    const sut = new DerReader(Buffer.from(der, 'hex'), 'T');
    expect(readOid(sut, 'oid')).toBe(oid);
  });

  it('reads long-form lengths', () => {
    const value = Buffer.alloc(300, 7);
    const sut = new DerReader(derOctetString(value), 'T');
    expect(sut.expect(DerTag.OCTET_STRING, 'v').content).toEqual(value);
  });

  it('reports an unexpected tag with its offset', () => {
    const sut = new DerReader(Buffer.from('0500', 'hex'), 'T', 10);
    expect(() => sut.expect(DerTag.OID, 'oid')).toThrow(WcceProtocolError);
    expect(() => new DerReader(Buffer.from('0500', 'hex'), 'T', 10).expect(DerTag.OID, 'oid')).toThrow(/T\.oid at offset 10/);
  });
});
