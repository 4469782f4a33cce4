import {
  Fields,
  application,
  derApplication,
  derFields,
  derInteger,
  derKerberosString,
  derKerberosTime,
  derOctetString,
  readInteger,
  readKerberosString,
  readKerberosTime,
  readOctetString,
  unwrapApplication,
} from '../asn1/der.js';
import { MessageType } from './constants.js';
import { decodePrincipalName, encodePrincipalName, type PrincipalName } from './principal.js';

/** Error codes of RFC 4120 7.5.9 that the client treats specially. */
export const KrbErrorCode = {
  KDC_ERR_C_PRINCIPAL_UNKNOWN: 6,
  KDC_ERR_S_PRINCIPAL_UNKNOWN: 7,
  KDC_ERR_ETYPE_NOSUPP: 14,
  KDC_ERR_CLIENT_REVOKED: 18,
  KDC_ERR_KEY_EXPIRED: 23,
  KDC_ERR_PREAUTH_FAILED: 24,
  KDC_ERR_PREAUTH_REQUIRED: 25,
  KRB_AP_ERR_BAD_INTEGRITY: 31,
  KRB_AP_ERR_TKT_EXPIRED: 32,
  KRB_AP_ERR_SKEW: 37,
  KRB_AP_ERR_MODIFIED: 41,
  KRB_ERR_RESPONSE_TOO_BIG: 52,
  KRB_ERR_GENERIC: 60,
} as const;

/** KRB-ERROR, RFC 4120 5.9.1 ([APPLICATION 30]). */
export interface KrbError {
  ctime?: Date;
  stime: Date;
  errorCode: number;
  crealm?: string;
  cname?: PrincipalName;
  realm: string;
  sname: PrincipalName;
  eText?: string;
  eData?: Buffer;
}

export function isKrbError(buf: Buffer): boolean {
  return buf.length > 0 && buf[0] === application(MessageType.KRB_ERROR);
}

export function decodeKrbError(buf: Buffer): KrbError {
  const s = 'KRB-ERROR';
  const f = new Fields(unwrapApplication(buf, MessageType.KRB_ERROR, s), s);
  const pvno = readInteger(f.req(0, 'pvno'), s, 'pvno');
  if (pvno !== 5) f.fail('pvno', `${pvno}, expected 5`);
  const ctime = f.opt(2, 'ctime');
  const crealm = f.opt(7, 'crealm');
  const cname = f.opt(8, 'cname');
  const eText = f.opt(11, 'e-text');
  const eData = f.opt(12, 'e-data');
  return {
    ...(ctime ? { ctime: readKerberosTime(ctime, s, 'ctime') } : {}),
    stime: readKerberosTime(f.req(4, 'stime'), s, 'stime'),
    errorCode: readInteger(f.req(6, 'error-code'), s, 'error-code'),
    ...(crealm ? { crealm: readKerberosString(crealm, s, 'crealm') } : {}),
    ...(cname ? { cname: decodePrincipalName(cname, s) } : {}),
    realm: readKerberosString(f.req(9, 'realm'), s, 'realm'),
    sname: decodePrincipalName(f.req(10, 'sname'), s),
    ...(eText ? { eText: readKerberosString(eText, s, 'e-text') } : {}),
    ...(eData ? { eData: readOctetString(eData, s, 'e-data') } : {}),
  };
}

export function encodeKrbError(e: KrbError): Buffer {
  return derApplication(
    MessageType.KRB_ERROR,
    derFields([
      [0, derInteger(5)],
      [1, derInteger(MessageType.KRB_ERROR)],
      [2, e.ctime ? derKerberosTime(e.ctime) : undefined],
      [4, derKerberosTime(e.stime)],
      [5, derInteger(0)],
      [6, derInteger(e.errorCode)],
      [7, e.crealm ? derKerberosString(e.crealm) : undefined],
      [8, e.cname ? encodePrincipalName(e.cname) : undefined],
      [9, derKerberosString(e.realm)],
      [10, encodePrincipalName(e.sname)],
      [11, e.eText ? derKerberosString(e.eText) : undefined],
      [12, e.eData ? derOctetString(e.eData) : undefined],
    ]),
  );
}
