/** Encryption types (RFC 3961 8, RFC 3962 7, RFC 4757). Only these are implemented. */
export const EncType = {
  AES128_CTS_HMAC_SHA1_96: 17,
  AES256_CTS_HMAC_SHA1_96: 18,
  RC4_HMAC: 23,
} as const;
export type EncType = (typeof EncType)[keyof typeof EncType];

/** Checksum types (RFC 3961 8, RFC 3962 7, RFC 4757, RFC 4121 4.1.1). */
export const ChecksumType = {
  HMAC_SHA1_96_AES128: 15,
  HMAC_SHA1_96_AES256: 16,
  /** RFC 4757 HMAC-MD5 keyed checksum: -138 on the wire (a signed Int32). */
  HMAC_MD5: -138,
  /** The GSS-API authenticator checksum of RFC 4121 4.1.1. */
  GSSAPI: 0x8003,
} as const;
export type ChecksumType = (typeof ChecksumType)[keyof typeof ChecksumType];

/** Key usage numbers, RFC 4120 7.5.1 and RFC 4121 2. */
export const KeyUsage = {
  AS_REQ_PA_ENC_TIMESTAMP: 1,
  KDC_REP_TICKET: 2,
  AS_REP_ENC_PART: 3,
  TGS_REQ_AUTHDATA_SESSION_KEY: 4,
  TGS_REQ_AUTHDATA_SUBKEY: 5,
  TGS_REQ_PA_TGS_REQ_CHECKSUM: 6,
  TGS_REQ_PA_TGS_REQ_AUTHENTICATOR: 7,
  TGS_REP_ENC_PART_SESSION_KEY: 8,
  TGS_REP_ENC_PART_SUBKEY: 9,
  AP_REQ_AUTHENTICATOR_CHECKSUM: 10,
  AP_REQ_AUTHENTICATOR: 11,
  AP_REP_ENC_PART: 12,
  /** RFC 4121 2: KG-USAGE-ACCEPTOR-SEAL … KG-USAGE-INITIATOR-SIGN. */
  GSS_ACCEPTOR_SEAL: 22,
  GSS_ACCEPTOR_SIGN: 23,
  GSS_INITIATOR_SEAL: 24,
  GSS_INITIATOR_SIGN: 25,
} as const;

/** A long-term or session key: its encryption type and raw key bytes. Never logged. */
export interface KerberosKey {
  etype: number;
  value: Buffer;
}
