/**
 * Dispositions and HRESULTs the simulated CA answers with (research/wcce-protocol.md §2.4–2.6;
 * names as impacket's hresult_errors). Message texts follow the Windows error table; the exact
 * wording AD CS puts into pctbDispositionMessage is unverified beyond "Issued" and
 * "Taken Under Submission" (§2.4), so nothing should parse it.
 */

/** MS-WCCE / MS-ICPR disposition values that are not HRESULTs. */
export const Disposition = {
  /** CR_DISP_DENIED: what a retrieval reports for a denied or failed request (§2.4) */
  DENIED: 2,
  /** CR_DISP_ISSUED */
  ISSUED: 3,
  /** CR_DISP_UNDER_SUBMISSION: pending manager approval */
  UNDER_SUBMISSION: 5,
} as const;

export const HResult = {
  /** The CA does not exist under that name. Exact ICPR value unverified: the CSRA analogue returns E_INVALIDARG (§2.4, Certipy #169). */
  E_INVALIDARG: 0x80070057,
  /** Malformed PKCS#10 / CMC request. */
  ERROR_INVALID_DATA: 0x8007000d,
  /** The request's signature does not verify. Unverified for ICPR: AD CS reports the CryptoAPI error of the check. */
  NTE_BAD_SIGNATURE: 0x80090006,
  /** Key algorithm not allowed by the template (e.g. EC on an RSA-only template). Unverified. */
  NTE_BAD_ALGID: 0x80090008,
  CERTSRV_E_BAD_REQUESTSUBJECT: 0x80094001,
  /** Unknown request id on retrieval (§2.6). */
  CERTSRV_E_PROPERTY_EMPTY: 0x80094004,
  CERTSRV_E_TEMPLATE_DENIED: 0x80094012,
  CERTSRV_E_ADMIN_DENIED_REQUEST: 0x80094014,
  CERTSRV_E_UNSUPPORTED_CERT_TYPE: 0x80094800,
  CERTSRV_E_NO_CERT_TYPE: 0x80094801,
  CERTSRV_E_SUBJECT_ALT_NAME_REQUIRED: 0x80094803,
  CERTSRV_E_SUBJECT_DNS_REQUIRED: 0x8009480f,
  CERTSRV_E_KEY_LENGTH: 0x80094811,
  CERTSRV_E_SUBJECT_EMAIL_REQUIRED: 0x80094812,
  /** A name outside the template's allowed DNS suffixes or SAN types (simulator policy; AD CS uses this code for name constraints). */
  CERT_E_INVALID_NAME: 0x800b0114,
} as const;
export type HResultName = keyof typeof HResult;

const TEXT: Readonly<Record<number, string>> = {
  [HResult.E_INVALIDARG]: 'The parameter is incorrect.',
  [HResult.ERROR_INVALID_DATA]: 'The data is invalid.',
  [HResult.NTE_BAD_SIGNATURE]: 'Invalid Signature.',
  [HResult.NTE_BAD_ALGID]: 'Invalid algorithm specified.',
  [HResult.CERTSRV_E_BAD_REQUESTSUBJECT]: 'The request subject name is invalid or too long.',
  [HResult.CERTSRV_E_PROPERTY_EMPTY]: 'The requested property value is empty.',
  [HResult.CERTSRV_E_TEMPLATE_DENIED]: 'The permissions on the certificate template do not allow the current user to enroll for this type of certificate.',
  [HResult.CERTSRV_E_ADMIN_DENIED_REQUEST]: 'The request was denied by a certificate manager or CA administrator.',
  [HResult.CERTSRV_E_UNSUPPORTED_CERT_TYPE]: 'The requested certificate template is not supported by this CA.',
  [HResult.CERTSRV_E_NO_CERT_TYPE]: 'The request contains no certificate template information.',
  [HResult.CERTSRV_E_SUBJECT_ALT_NAME_REQUIRED]: 'The request is missing a required Subject Alternate name extension.',
  [HResult.CERTSRV_E_SUBJECT_DNS_REQUIRED]: 'The Domain Name System (DNS) name is unavailable and cannot be added to the Subject Alternate name.',
  [HResult.CERTSRV_E_KEY_LENGTH]: 'The public key does not meet the minimum size required by the specified certificate template.',
  [HResult.CERTSRV_E_SUBJECT_EMAIL_REQUIRED]: 'The e-mail name is unavailable and cannot be added to the Subject or Subject Alternate name.',
  [HResult.CERT_E_INVALID_NAME]: 'The certificate has an invalid name. The name is not included in the permitted list or is explicitly excluded.',
};

export function hresultHex(value: number): string {
  return '0x' + (value >>> 0).toString(16).toUpperCase().padStart(8, '0');
}

/** "Denied by Policy Module  0x80094800, The requested certificate template is not supported by this CA." */
export function failureMessage(hresult: number, prefix = 'Denied by Policy Module', detail?: string): string {
  const text = TEXT[hresult >>> 0] ?? 'Unknown error.';
  return `${prefix}  ${hresultHex(hresult)}, ${text}${detail ? ` ${detail}` : ''}`;
}

export const MESSAGE_ISSUED = 'Issued';
export const MESSAGE_UNDER_SUBMISSION = 'Taken Under Submission';
