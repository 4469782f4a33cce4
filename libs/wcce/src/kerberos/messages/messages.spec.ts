import { mitAsn1 } from '../../../test/vectors/kerberos/mit-asn1.js';
import { aes256CtsHmacSha1, EncType, KeyUsage } from '../crypto/index.js';
import { decodeApRep, decodeEncApRepPart, encodeApRep, encodeEncApRepPart } from './ap-rep.js';
import { decodeApReq, encodeApReq } from './ap-req.js';
import { GssFlags, decodeAuthenticator, encodeAuthenticator, gssChecksum, parseGssChecksum } from './authenticator.js';
import { KdcOptions, MessageType, NameType, PaDataType } from './constants.js';
import { decodeEncryptedData, encodeEncryptedData, openData, sealData, type EncryptedData } from './encrypted-data.js';
import { DerTag, parseOne } from '../asn1/der.js';
import { decodeEncKdcRepPart, decodeKdcRep, encodeEncKdcRepPart, encodeKdcRep } from './kdc-rep.js';
import { decodeKdcReq, encodeKdcReq, type KdcReq } from './kdc-req.js';
import { decodeKrbError, encodeKrbError, isKrbError } from './krb-error.js';
import {
  decodeEtypeInfo2,
  decodeMethodData,
  decodePaEncTsEnc,
  decodePaPacRequest,
  encodeEtypeInfo2,
  encodePaDataList,
  encodePaEncTsEnc,
  paPacRequest,
} from './padata.js';
import { parsePrincipal, principalToString } from './principal.js';
import { decodeEncTicketPart, decodeTicket, encodeEncTicketPart, encodeTicket } from './ticket.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const mitTime = new Date(Date.UTC(1994, 5, 10, 6, 3, 17));
const hftsai = { nameType: 1, nameString: ['hftsai', 'extra'] };

describe('Kerberos messages against MIT reference encodings', () => {
  it('Authenticator (optionals empty) encodes byte for byte', () => {
    const sut = encodeAuthenticator({ crealm: 'ATHENA.MIT.EDU', cname: hftsai, cusec: 123456, ctime: mitTime });
    expect(sut.toString('hex')).toBe(hex(mitAsn1.authenticatorOptionalsEmpty).toString('hex'));
    expect(decodeAuthenticator(sut)).toEqual({ crealm: 'ATHENA.MIT.EDU', cname: hftsai, cusec: 123456, ctime: mitTime });
  });

  it('Ticket decodes and re-encodes byte for byte', () => {
    const t = decodeTicket(hex(mitAsn1.ticket));
    expect(t.realm).toBe('ATHENA.MIT.EDU');
    expect(t.sname).toEqual(hftsai);
    expect(t.encPart).toEqual({ etype: 0, kvno: 5, cipher: Buffer.from('krbASN.1 test message') });
    expect(encodeTicket(t)).toEqual(hex(mitAsn1.ticket));
  });

  it('AS-REP decodes (padata, crealm, cname, ticket, enc-part) and re-encodes', () => {
    const sut = decodeKdcRep(hex(mitAsn1.asRep), MessageType.AS_REP);
    expect(sut.padata).toEqual([
      { type: 13, value: Buffer.from('pa-data') },
      { type: 13, value: Buffer.from('pa-data') },
    ]);
    expect(sut.crealm).toBe('ATHENA.MIT.EDU');
    expect(sut.cname).toEqual(hftsai);
    expect(sut.encPart.cipher.toString()).toBe('krbASN.1 test message');
    expect(encodeKdcRep(sut)).toEqual(hex(mitAsn1.asRep));
  });

  it('AP-REQ decodes and re-encodes byte for byte', () => {
    const sut = decodeApReq(hex(mitAsn1.apReq));
    expect(sut.apOptions).toBe(0xfedcba98);
    expect(sut.ticket.realm).toBe('ATHENA.MIT.EDU');
    expect(encodeApReq(sut)).toEqual(hex(mitAsn1.apReq));
  });

  it('AP-REP and EncAPRepPart encode byte for byte', () => {
    const part = { ctime: mitTime, cusec: 123456, subkey: { etype: 1, value: Buffer.from('12345678') }, seqNumber: 17 };
    expect(encodeEncApRepPart(part)).toEqual(hex(mitAsn1.apRepEncPart));
    expect(decodeEncApRepPart(hex(mitAsn1.apRepEncPart))).toEqual(part);
    const enc = decodeApRep(hex(mitAsn1.apRep));
    expect(encodeApRep(enc)).toEqual(hex(mitAsn1.apRep));
  });

  it.each([
    { name: 'full', der: mitAsn1.error },
    { name: 'optionals NULL', der: mitAsn1.errorOptionalsNull },
  ])('KRB-ERROR ($name) decodes', ({ der }) => {
    const buf = hex(der);
    expect(isKrbError(buf)).toBe(true);
    const sut = decodeKrbError(buf);
    expect(sut.errorCode).toBe(60);
    expect(sut.stime).toEqual(mitTime);
    expect(sut.realm).toBe('ATHENA.MIT.EDU');
    expect(sut.sname).toEqual(hftsai);
  });

  it('a truncated message is a PROTOCOL error naming the structure', () => {
    const buf = hex(mitAsn1.apReq).subarray(0, 60);
    expect(() => decodeApReq(buf)).toThrow(expect.objectContaining({ code: 'PROTOCOL', structure: 'AP-REQ' }));
  });

  it('a wrong application tag is a PROTOCOL error', () => {
    expect(() => decodeKdcRep(hex(mitAsn1.apReq), MessageType.AS_REP)).toThrow(expect.objectContaining({ code: 'PROTOCOL' }));
  });
});

describe('Kerberos messages round trip', () => {
  const key = { etype: EncType.AES256_CTS_HMAC_SHA1_96, value: Buffer.alloc(32, 9) };

  it('AS-REQ with PA-ENC-TIMESTAMP and PA-PAC-REQUEST', () => {
    const now = new Date(Date.UTC(2025, 0, 1, 12, 0, 0, 250));
    const ts = sealData(key, KeyUsage.AS_REQ_PA_ENC_TIMESTAMP, encodePaEncTsEnc(now));
    const req: KdcReq = {
      msgType: MessageType.AS_REQ,
      padata: [{ type: PaDataType.ENC_TIMESTAMP, value: encodeEncryptedData(ts) }, paPacRequest(true)],
      body: {
        kdcOptions: KdcOptions.FORWARDABLE | KdcOptions.RENEWABLE,
        cname: { nameType: NameType.PRINCIPAL, nameString: ['alice'] },
        realm: 'TEST.LOCAL',
        sname: { nameType: NameType.SRV_INST, nameString: ['krbtgt', 'TEST.LOCAL'] },
        till: new Date(Date.UTC(2025, 0, 2)),
        nonce: 0x87654321,
        etypes: [18, 17],
      },
    };
    const sut = decodeKdcReq(encodeKdcReq(req));
    expect(sut.body).toEqual(req.body);
    expect(decodePaPacRequest(sut.padata[1]!.value)).toBe(true);
    expect(decodePaEncTsEnc(openData(key, 1, decodeEdForTest(sut.padata[0]!.value))).getTime()).toBe(now.getTime());
  });

  it('ETYPE-INFO2 inside METHOD-DATA', () => {
    const info = [
      { etype: 18, salt: 'TEST.LOCALalice' },
      { etype: 17, salt: 'x', s2kParams: hex('00001000') },
    ];
    const md = encodePaDataList([{ type: PaDataType.ETYPE_INFO2, value: encodeEtypeInfo2(info) }]);
    const pa = decodeMethodData(md);
    expect(decodeEtypeInfo2(pa[0]!.value)).toEqual(info);
  });

  it('EncTicketPart and EncKDCRepPart (both application tags)', () => {
    const part = {
      key,
      nonce: 42,
      flags: 0x40e10000,
      authtime: mitTime,
      endtime: new Date(mitTime.getTime() + 3600_000),
      srealm: 'TEST.LOCAL',
      sname: { nameType: 2, nameString: ['cifs', 'ca.test.local'] },
    };
    expect(decodeEncKdcRepPart(encodeEncKdcRepPart(part, 25))).toEqual(part);
    expect(decodeEncKdcRepPart(encodeEncKdcRepPart(part, 26))).toEqual(part);
    const tp = { flags: 0x40e10000, key, crealm: 'TEST.LOCAL', cname: hftsai, authtime: mitTime, endtime: mitTime };
    expect(decodeEncTicketPart(encodeEncTicketPart(tp))).toEqual(tp);
    expect(decodeTicket(encodeTicket({ realm: 'R', sname: hftsai, encPart: { etype: 18, kvno: 2, cipher: Buffer.from('x') } })).encPart.kvno).toBe(2);
  });

  it('Authenticator with the RFC 4121 0x8003 checksum (DCE flags 0x103E), subkey and seq-number', () => {
    const flags = GssFlags.CONF | GssFlags.INTEG | GssFlags.SEQUENCE | GssFlags.REPLAY | GssFlags.MUTUAL | GssFlags.DCE_STYLE;
    expect(flags).toBe(0x103e);
    const a = { crealm: 'TEST.LOCAL', cname: hftsai, cksum: gssChecksum(flags), cusec: 7, ctime: mitTime, subkey: key, seqNumber: 0 };
    const back = decodeAuthenticator(encodeAuthenticator(a));
    expect(back).toEqual(a);
    expect(back.cksum!.value.toString('hex')).toBe('10000000' + '00'.repeat(16) + '3e100000');
    expect(parseGssChecksum(back.cksum!).flags).toBe(0x103e);
  });

  it('KRB-ERROR encode/decode', () => {
    const e = { stime: mitTime, errorCode: 25, realm: 'TEST.LOCAL', sname: hftsai, eData: Buffer.from('3000', 'hex') };
    expect(decodeKrbError(encodeKrbError(e))).toEqual(e);
  });

  it('principal names', () => {
    expect(parsePrincipal('alice', 'TEST.LOCAL')).toEqual({ name: { nameType: 1, nameString: ['alice'] }, realm: 'TEST.LOCAL' });
    expect(parsePrincipal('cifs/ca.test.local@TEST.LOCAL')).toEqual({ name: { nameType: 2, nameString: ['cifs', 'ca.test.local'] }, realm: 'TEST.LOCAL' });
    expect(principalToString(parsePrincipal('a\\/b@R'))).toBe('a\\/b@R');
    expect(() => parsePrincipal('alice')).toThrow(expect.objectContaining({ code: 'CONFIG' }));
  });

  it('sealData/openData uses the key usage', () => {
    const ed = sealData(key, KeyUsage.AP_REP_ENC_PART, Buffer.from('x'));
    expect(aes256CtsHmacSha1.decrypt(key.value, 12, ed.cipher).toString()).toBe('x');
    expect(() => openData(key, 11, ed)).toThrow(expect.objectContaining({ code: 'INTEGRITY' }));
  });
});

function decodeEdForTest(buf: Buffer): EncryptedData {
  return decodeEncryptedData(parseOne(buf, DerTag.SEQUENCE, 'PA-ENC-TIMESTAMP', 'EncryptedData'), 'PA-ENC-TIMESTAMP');
}
