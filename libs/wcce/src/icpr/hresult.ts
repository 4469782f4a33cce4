import { hex32 } from '../errors.js';

/**
 * HRESULTs an AD CS CA returns in pdwDisposition or as the CertServerRequest return value
 * (research notes §2.5; names as in impacket's hresult_errors / winerror.h).
 *
 * `transient`: the same request may succeed later or on another CA of the pool (the worker
 * retries and fails over); everything else is a permanent answer about this request.
 */
export interface HresultInfo {
  name: string;
  meaning: string;
  transient: boolean;
}

export const Hresult = {
  CERTSRV_E_BAD_REQUESTSUBJECT: 0x80094001,
  CERTSRV_E_BAD_REQUESTSTATUS: 0x80094003,
  CERTSRV_E_PROPERTY_EMPTY: 0x80094004,
  CERTSRV_E_SERVER_SUSPENDED: 0x80094006,
  CERTSRV_E_ENROLL_DENIED: 0x80094011,
  CERTSRV_E_TEMPLATE_DENIED: 0x80094012,
  CERTSRV_E_UNSUPPORTED_CERT_TYPE: 0x80094800,
  CERTSRV_E_NO_CERT_TYPE: 0x80094801,
  CERTSRV_E_TEMPLATE_CONFLICT: 0x80094802,
  CERTSRV_E_SUBJECT_ALT_NAME_REQUIRED: 0x80094803,
  CERTSRV_E_KEY_LENGTH: 0x80094811,
  CERTSRV_E_SUBJECT_DNS_REQUIRED: 0x8009480f,
  CERTSRV_E_SUBJECT_EMAIL_REQUIRED: 0x80094812,
  CRYPT_E_REVOCATION_OFFLINE: 0x80092013,
  ERROR_INVALID_DATA: 0x8007000d,
  E_ACCESSDENIED: 0x80070005,
  /** MS-ICPR 3.2.4.1.1 prints E_ACCESSDENIED as 0x80000009 (the old OLE value); treat it the same. */
  E_ACCESSDENIED_OLE: 0x80000009,
  E_INVALIDARG: 0x80070057,
  RPC_S_SERVER_UNAVAILABLE: 0x800706ba,
} as const;

const TABLE: Record<number, HresultInfo> = {
  [Hresult.CERTSRV_E_BAD_REQUESTSUBJECT]: {
    name: 'CERTSRV_E_BAD_REQUESTSUBJECT',
    meaning: 'the request subject name is invalid or too long',
    transient: false,
  },
  [Hresult.CERTSRV_E_BAD_REQUESTSTATUS]: {
    name: 'CERTSRV_E_BAD_REQUESTSTATUS',
    meaning: 'the request is not in a state that allows this operation',
    transient: false,
  },
  [Hresult.CERTSRV_E_PROPERTY_EMPTY]: {
    name: 'CERTSRV_E_PROPERTY_EMPTY',
    meaning: 'no such request id (retrieval) or a required property is empty',
    transient: false,
  },
  [Hresult.CERTSRV_E_SERVER_SUSPENDED]: { name: 'CERTSRV_E_SERVER_SUSPENDED', meaning: 'the CA service is suspended', transient: true },
  [Hresult.CERTSRV_E_ENROLL_DENIED]: { name: 'CERTSRV_E_ENROLL_DENIED', meaning: 'the caller may not enroll on this CA', transient: false },
  [Hresult.CERTSRV_E_TEMPLATE_DENIED]: { name: 'CERTSRV_E_TEMPLATE_DENIED', meaning: 'the caller has no Enroll right on the template', transient: false },
  [Hresult.CERTSRV_E_UNSUPPORTED_CERT_TYPE]: { name: 'CERTSRV_E_UNSUPPORTED_CERT_TYPE', meaning: 'the template is not published on this CA', transient: false },
  [Hresult.CERTSRV_E_NO_CERT_TYPE]: { name: 'CERTSRV_E_NO_CERT_TYPE', meaning: 'the request names no certificate template', transient: false },
  [Hresult.CERTSRV_E_TEMPLATE_CONFLICT]: { name: 'CERTSRV_E_TEMPLATE_CONFLICT', meaning: 'the request names conflicting templates', transient: false },
  [Hresult.CERTSRV_E_SUBJECT_ALT_NAME_REQUIRED]: {
    name: 'CERTSRV_E_SUBJECT_ALT_NAME_REQUIRED',
    meaning: 'the template requires a subject alternative name',
    transient: false,
  },
  [Hresult.CERTSRV_E_KEY_LENGTH]: { name: 'CERTSRV_E_KEY_LENGTH', meaning: 'the public key is shorter than the template allows', transient: false },
  [Hresult.CERTSRV_E_SUBJECT_DNS_REQUIRED]: {
    name: 'CERTSRV_E_SUBJECT_DNS_REQUIRED',
    meaning: 'the template requires a DNS name the requester lacks',
    transient: false,
  },
  [Hresult.CERTSRV_E_SUBJECT_EMAIL_REQUIRED]: {
    name: 'CERTSRV_E_SUBJECT_EMAIL_REQUIRED',
    meaning: 'the template requires an e-mail address the requester lacks',
    transient: false,
  },
  [Hresult.CRYPT_E_REVOCATION_OFFLINE]: {
    name: 'CRYPT_E_REVOCATION_OFFLINE',
    meaning: 'the CA cannot check revocation of its own certificate',
    transient: true,
  },
  [Hresult.ERROR_INVALID_DATA]: { name: 'ERROR_INVALID_DATA', meaning: 'the request (PKCS#10/CMC) could not be parsed', transient: false },
  [Hresult.E_ACCESSDENIED]: { name: 'E_ACCESSDENIED', meaning: 'access denied (also: packet privacy required by the CA)', transient: false },
  [Hresult.E_ACCESSDENIED_OLE]: { name: 'E_ACCESSDENIED', meaning: 'access denied (also: packet privacy required by the CA)', transient: false },
  [Hresult.E_INVALIDARG]: { name: 'E_INVALIDARG', meaning: 'invalid argument (unknown CA name, attribute length mismatch)', transient: false },
  [Hresult.RPC_S_SERVER_UNAVAILABLE]: {
    name: 'RPC_S_SERVER_UNAVAILABLE',
    meaning: 'ICPR is disabled on this CA (IF_NORPCICERTREQUEST) or the CA is unreachable',
    transient: true,
  },
};

/** Looks an HRESULT up; unknown values get their hex form as name and are treated as permanent. */
export function describeHresult(value: number): HresultInfo {
  return TABLE[value >>> 0] ?? { name: hex32(value), meaning: 'unrecognised HRESULT', transient: false };
}

export function isKnownHresult(value: number): boolean {
  return TABLE[value >>> 0] !== undefined;
}

export function isAccessDenied(value: number): boolean {
  const v = value >>> 0;
  return v === Hresult.E_ACCESSDENIED || v === Hresult.E_ACCESSDENIED_OLE;
}
