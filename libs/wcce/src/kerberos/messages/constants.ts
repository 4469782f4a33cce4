/** RFC 4120 5.10 / 7.5.7 message types (the [APPLICATION n] numbers). */
export const MessageType = {
  AS_REQ: 10,
  AS_REP: 11,
  TGS_REQ: 12,
  TGS_REP: 13,
  AP_REQ: 14,
  AP_REP: 15,
  KRB_ERROR: 30,
} as const;

/** [APPLICATION n] of the encrypted parts, RFC 4120 5.3 - 5.5. */
export const ApplicationTag = {
  TICKET: 1,
  AUTHENTICATOR: 2,
  ENC_TICKET_PART: 3,
  ENC_AS_REP_PART: 25,
  ENC_TGS_REP_PART: 26,
  ENC_AP_REP_PART: 27,
} as const;

/** RFC 4120 6.2 name types. */
export const NameType = {
  UNKNOWN: 0,
  PRINCIPAL: 1,
  SRV_INST: 2,
  SRV_HST: 3,
  ENTERPRISE: 10,
} as const;

/** RFC 4120 7.5.2 PA-DATA types (+ MS-KILE 2.2.2 PA-PAC-REQUEST). */
export const PaDataType = {
  TGS_REQ: 1,
  ENC_TIMESTAMP: 2,
  PW_SALT: 3,
  ETYPE_INFO: 11,
  ETYPE_INFO2: 19,
  PAC_REQUEST: 128,
} as const;

/** KDCOptions bits, RFC 4120 5.4.1 (bit 0 = 0x80000000). */
export const KdcOptions = {
  FORWARDABLE: 0x40000000,
  FORWARDED: 0x20000000,
  PROXIABLE: 0x10000000,
  RENEWABLE: 0x00800000,
  CANONICALIZE: 0x00010000,
  RENEWABLE_OK: 0x00000010,
  ENC_TKT_IN_SKEY: 0x00000008,
  RENEW: 0x00000002,
  VALIDATE: 0x00000001,
} as const;

/** APOptions, RFC 4120 5.5.1. */
export const ApOptions = {
  USE_SESSION_KEY: 0x40000000,
  MUTUAL_REQUIRED: 0x20000000,
} as const;

/** TicketFlags, RFC 4120 5.3. */
export const TicketFlags = {
  FORWARDABLE: 0x40000000,
  RENEWABLE: 0x00800000,
  INITIAL: 0x00400000,
  PRE_AUTHENT: 0x00200000,
} as const;
