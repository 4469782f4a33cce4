import type { SyntaxId } from '../dcerpc/syntax.js';

/** MS-ICPR 1.9 / 2.1: the ICertPassage interface, reached over `\PIPE\cert` or a dynamic TCP port. */
export const ICERT_PASSAGE: SyntaxId = { uuid: '91ae6020-9e3c-11cf-8d7c-00aa00c091be', major: 0, minor: 0 };

/** MS-ICPR 3.2.4.1: the interface's only method. */
export const OPNUM_CERT_SERVER_REQUEST = 0;

/** CR_DISP_* values returned in pdwDisposition (MS-ICPR 3.2.4.1.1, MS-WCCE 3.2.1.4.2.1.3). */
export const Disposition = {
  INCOMPLETE: 0,
  ERROR: 1,
  DENIED: 2,
  ISSUED: 3,
  ISSUED_OUT_OF_BAND: 4,
  UNDER_SUBMISSION: 5,
  REVOKED: 6,
} as const;
export type Disposition = (typeof Disposition)[keyof typeof Disposition];

/**
 * dwFlags request types (MS-WCCE 2.2.2.8 / 3.2.1.4.3.1.1, bits 8–15). 0 lets the CA detect the
 * format; acme2certifier, Certipy and RubySMB all send 0.
 */
export const RequestType = {
  DEFAULT: 0x000,
  PKCS10: 0x100,
  KEYGEN: 0x200,
  PKCS7: 0x300,
  CMC: 0x400,
} as const;
