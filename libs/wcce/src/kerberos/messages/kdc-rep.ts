import {
  Fields,
  application,
  derApplication,
  derFields,
  derInteger,
  derKerberosFlags,
  derKerberosString,
  derKerberosTime,
  derSequenceOf,
  readInteger,
  readKerberosFlags,
  readKerberosString,
  readKerberosTime,
  readSequenceOf,
  unwrapApplication,
} from '../asn1/der.js';
import type { KerberosKey } from '../crypto/index.js';
import { ApplicationTag, MessageType } from './constants.js';
import { decodeEncryptedData, decodeEncryptionKey, encodeEncryptedData, encodeEncryptionKey, type EncryptedData } from './encrypted-data.js';
import { decodePaData, encodePaDataList, type PaData } from './padata.js';
import { decodePrincipalName, encodePrincipalName, type PrincipalName } from './principal.js';
import { decodeTicketElement, type Ticket } from './ticket.js';

/** AS-REP ([APPLICATION 11]) and TGS-REP ([APPLICATION 13]), RFC 4120 5.4.2. */
export interface KdcRep {
  msgType: typeof MessageType.AS_REP | typeof MessageType.TGS_REP;
  padata: PaData[];
  crealm: string;
  cname: PrincipalName;
  ticket: Ticket;
  encPart: EncryptedData;
}

export function decodeKdcRep(buf: Buffer, expected: typeof MessageType.AS_REP | typeof MessageType.TGS_REP): KdcRep {
  const s = expected === MessageType.AS_REP ? 'AS-REP' : 'TGS-REP';
  const f = new Fields(unwrapApplication(buf, expected, s), s);
  const pvno = readInteger(f.req(0, 'pvno'), s, 'pvno');
  if (pvno !== 5) f.fail('pvno', `${pvno}, expected 5`);
  const msgType = readInteger(f.req(1, 'msg-type'), s, 'msg-type');
  if (msgType !== expected) f.fail('msg-type', `${msgType}, expected ${expected}`);
  const pa = f.opt(2, 'padata');
  return {
    msgType: expected,
    padata: pa ? readSequenceOf(pa, s, 'padata', (x) => decodePaData(x, s)) : [],
    crealm: readKerberosString(f.req(3, 'crealm'), s, 'crealm'),
    cname: decodePrincipalName(f.req(4, 'cname'), s),
    ticket: decodeTicketElement(f.req(5, 'ticket')),
    encPart: decodeEncryptedData(f.req(6, 'enc-part'), s),
  };
}

export function encodeKdcRep(rep: KdcRep): Buffer {
  return derApplication(
    rep.msgType,
    derFields([
      [0, derInteger(5)],
      [1, derInteger(rep.msgType)],
      [2, rep.padata.length ? encodePaDataList(rep.padata) : undefined],
      [3, derKerberosString(rep.crealm)],
      [4, encodePrincipalName(rep.cname)],
      [5, rep.ticket.raw],
      [6, encodeEncryptedData(rep.encPart)],
    ]),
  );
}

/** EncKDCRepPart, RFC 4120 5.4.2 (last-req, caddr, encrypted-pa-data are not kept). */
export interface EncKdcRepPart {
  key: KerberosKey;
  nonce: number;
  keyExpiration?: Date;
  flags: number;
  authtime: Date;
  starttime?: Date;
  endtime: Date;
  renewTill?: Date;
  srealm: string;
  sname: PrincipalName;
}

/**
 * Decodes EncASRepPart ([APPLICATION 25]) or EncTGSRepPart ([APPLICATION 26]). RFC 4120 5.4.2
 * notes that some KDCs send the TGS tag in AS replies, so both are accepted for either.
 */
export function decodeEncKdcRepPart(buf: Buffer): EncKdcRepPart {
  const tag = buf[0] === application(ApplicationTag.ENC_AS_REP_PART) ? ApplicationTag.ENC_AS_REP_PART : ApplicationTag.ENC_TGS_REP_PART;
  const s = 'EncKDCRepPart';
  const f = new Fields(unwrapApplication(buf, tag, s), s);
  f.req(1, 'last-req');
  const exp = f.opt(3, 'key-expiration');
  const start = f.opt(6, 'starttime');
  const renew = f.opt(8, 'renew-till');
  return {
    key: decodeEncryptionKey(f.req(0, 'key'), s),
    nonce: readInteger(f.req(2, 'nonce'), s, 'nonce') >>> 0,
    ...(exp ? { keyExpiration: readKerberosTime(exp, s, 'key-expiration') } : {}),
    flags: readKerberosFlags(f.req(4, 'flags'), s, 'flags'),
    authtime: readKerberosTime(f.req(5, 'authtime'), s, 'authtime'),
    ...(start ? { starttime: readKerberosTime(start, s, 'starttime') } : {}),
    endtime: readKerberosTime(f.req(7, 'endtime'), s, 'endtime'),
    ...(renew ? { renewTill: readKerberosTime(renew, s, 'renew-till') } : {}),
    srealm: readKerberosString(f.req(9, 'srealm'), s, 'srealm'),
    sname: decodePrincipalName(f.req(10, 'sname'), s),
  };
}

export function encodeEncKdcRepPart(p: EncKdcRepPart, tag: 25 | 26): Buffer {
  return derApplication(
    tag,
    derFields([
      [0, encodeEncryptionKey(p.key)],
      [1, derSequenceOf([])],
      [2, derInteger(p.nonce >>> 0)],
      [3, p.keyExpiration ? derKerberosTime(p.keyExpiration) : undefined],
      [4, derKerberosFlags(p.flags)],
      [5, derKerberosTime(p.authtime)],
      [6, p.starttime ? derKerberosTime(p.starttime) : undefined],
      [7, derKerberosTime(p.endtime)],
      [8, p.renewTill ? derKerberosTime(p.renewTill) : undefined],
      [9, derKerberosString(p.srealm)],
      [10, encodePrincipalName(p.sname)],
    ]),
  );
}
