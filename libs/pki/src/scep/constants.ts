/**
 * SCEP constants (RFC 8894 §3.2.1): message types, statuses, failure reasons and the OIDs of the
 * authenticated attributes and CMS algorithms a SCEP server meets.
 */

/** RFC 8894 §3.2.1.2 messageType (PrintableString of the decimal number on the wire). */
export const MessageType = {
  CertRep: 3,
  RenewalReq: 17,
  PKCSReq: 19,
  /** "GetCertInitial" in draft-nourse-scep */
  CertPoll: 20,
  GetCert: 21,
  GetCRL: 22,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

export function messageTypeName(type: number): string {
  const entry = Object.entries(MessageType).find(([, v]) => v === type);
  return entry ? entry[0] : `unknown(${type})`;
}

/** RFC 8894 §3.2.1.3 pkiStatus. */
export const PkiStatus = { SUCCESS: 0, FAILURE: 2, PENDING: 3 } as const;
export type PkiStatus = (typeof PkiStatus)[keyof typeof PkiStatus];

/** RFC 8894 §3.2.1.4 failInfo. */
export const FailInfo = { badAlg: 0, badMessageCheck: 1, badRequest: 2, badTime: 3, badCertId: 4 } as const;
export type FailInfo = (typeof FailInfo)[keyof typeof FailInfo];
export type FailInfoName = keyof typeof FailInfo;

export function failInfoName(value: FailInfo): FailInfoName {
  switch (value) {
    case 0:
      return 'badAlg';
    case 1:
      return 'badMessageCheck';
    case 2:
      return 'badRequest';
    case 3:
      return 'badTime';
    case 4:
      return 'badCertId';
  }
}

/** OIDs of SCEP and the CMS algorithms used with it. */
export const ScepOid = {
  // id-VeriSign pki attributes (RFC 8894 §3.2.1)
  messageType: '2.16.840.1.113733.1.9.2',
  pkiStatus: '2.16.840.1.113733.1.9.3',
  failInfo: '2.16.840.1.113733.1.9.4',
  senderNonce: '2.16.840.1.113733.1.9.5',
  recipientNonce: '2.16.840.1.113733.1.9.6',
  transactionID: '2.16.840.1.113733.1.9.7',
  /** id-scep-failInfoText (RFC 8894 §3.2.1.4) */
  failInfoText: '1.3.6.1.5.5.7.24.1',
  // PKCS#9 attributes (RFC 2985)
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  // CMS content types (RFC 5652)
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  envelopedData: '1.2.840.113549.1.7.3',
  // key transport
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsaesOaep: '1.2.840.113549.1.1.7',
  mgf1: '1.2.840.113549.1.1.8',
  // digests
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
  // content encryption
  desCbc: '1.3.14.3.2.7',
  desEde3Cbc: '1.2.840.113549.3.7',
  aes128Cbc: '2.16.840.1.101.3.4.1.2',
  aes192Cbc: '2.16.840.1.101.3.4.1.22',
  aes256Cbc: '2.16.840.1.101.3.4.1.42',
} as const;

export type DigestName = 'sha1' | 'sha256' | 'sha384' | 'sha512';

export const DIGEST_BY_OID: Readonly<Record<string, DigestName>> = {
  [ScepOid.sha1]: 'sha1',
  [ScepOid.sha256]: 'sha256',
  [ScepOid.sha384]: 'sha384',
  [ScepOid.sha512]: 'sha512',
};

export const DIGEST_OID: Readonly<Record<DigestName, string>> = {
  sha1: ScepOid.sha1,
  sha256: ScepOid.sha256,
  sha384: ScepOid.sha384,
  sha512: ScepOid.sha512,
};

/** <hash>WithRSAEncryption signature OIDs, which some clients put in SignerInfo.signatureAlgorithm. */
export const RSA_SIGNATURE_DIGEST: Readonly<Record<string, DigestName>> = {
  '1.2.840.113549.1.1.5': 'sha1',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
};
