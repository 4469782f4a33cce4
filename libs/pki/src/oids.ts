/** Object identifiers used across libs/pki, named as in their RFC or Microsoft documentation. */
export const Oid = {
  // PKCS#9 / PKCS#10 attributes (RFC 2985)
  challengePassword: '1.2.840.113549.1.9.7',
  extensionRequest: '1.2.840.113549.1.9.14',
  // Microsoft request attributes and extensions
  msEnrollmentNameValuePair: '1.3.6.1.4.1.311.13.2.1', // ValidityPeriod etc. inside a PKCS#10
  msCertificateTemplateName: '1.3.6.1.4.1.311.20.2', // szOID_ENROLL_CERTTYPE_EXTENSION (BMPString name)
  msCertificateTemplate: '1.3.6.1.4.1.311.21.7', // szOID_CERTIFICATE_TEMPLATE (OID + version)
  msUpn: '1.3.6.1.4.1.311.20.2.3', // otherName UserPrincipalName
  // X.509 extensions (RFC 5280 §4.2)
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  // Names
  commonName: '2.5.4.3',
  // Key algorithms
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsassaPss: '1.2.840.113549.1.1.10',
  ecPublicKey: '1.2.840.10045.2.1',
  ed25519: '1.3.101.112',
  ed448: '1.3.101.113',
  // Curves
  prime256v1: '1.2.840.10045.3.1.7',
  secp384r1: '1.3.132.0.34',
  secp521r1: '1.3.132.0.35',
  // Hashes
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
  mgf1: '1.2.840.113549.1.1.8',
  // CMS (RFC 5652)
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
} as const;

/** Extended key usages by name (RFC 5280 §4.2.1.12, Microsoft and RFC 4945 additions). */
export const Eku = {
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  codeSigning: '1.3.6.1.5.5.7.3.3',
  emailProtection: '1.3.6.1.5.5.7.3.4',
  timeStamping: '1.3.6.1.5.5.7.3.8',
  ocspSigning: '1.3.6.1.5.5.7.3.9',
  /** iKEIntermediate, the EKU of NDES's default SCEP template IPSECIntermediateOffline */
  ipsecIkeIntermediate: '1.3.6.1.5.5.8.2.2',
  /** Certificate Request Agent (szOID_ENROLLMENT_AGENT), carried by NDES's two RA certificates */
  certificateRequestAgent: '1.3.6.1.4.1.311.20.2.1',
  /** Encrypting File System (szOID_EFS_CRYPTO) */
  efs: '1.3.6.1.4.1.311.10.3.4',
  /** Smart card logon (szOID_KP_SMARTCARD_LOGON) */
  smartcardLogon: '1.3.6.1.4.1.311.20.2.2',
} as const;

/** Signature algorithm OIDs we verify, with the node:crypto digest name (null: the key decides). */
export const SignatureAlgorithms: Readonly<Record<string, { name: string; hash: string | null; family: 'rsa' | 'ecdsa' | 'eddsa' }>> = {
  '1.2.840.113549.1.1.5': {
    name: 'sha1WithRSAEncryption',
    hash: 'sha1',
    family: 'rsa',
  },
  '1.2.840.113549.1.1.11': {
    name: 'sha256WithRSAEncryption',
    hash: 'sha256',
    family: 'rsa',
  },
  '1.2.840.113549.1.1.12': {
    name: 'sha384WithRSAEncryption',
    hash: 'sha384',
    family: 'rsa',
  },
  '1.2.840.113549.1.1.13': {
    name: 'sha512WithRSAEncryption',
    hash: 'sha512',
    family: 'rsa',
  },
  '1.2.840.10045.4.1': {
    name: 'ecdsa-with-SHA1',
    hash: 'sha1',
    family: 'ecdsa',
  },
  '1.2.840.10045.4.3.2': {
    name: 'ecdsa-with-SHA256',
    hash: 'sha256',
    family: 'ecdsa',
  },
  '1.2.840.10045.4.3.3': {
    name: 'ecdsa-with-SHA384',
    hash: 'sha384',
    family: 'ecdsa',
  },
  '1.2.840.10045.4.3.4': {
    name: 'ecdsa-with-SHA512',
    hash: 'sha512',
    family: 'ecdsa',
  },
  '1.3.101.112': { name: 'Ed25519', hash: null, family: 'eddsa' },
};

export const HashOids: Readonly<Record<string, string>> = {
  [Oid.sha1]: 'sha1',
  [Oid.sha256]: 'sha256',
  [Oid.sha384]: 'sha384',
  [Oid.sha512]: 'sha512',
};

export const CurveOids: Readonly<Record<string, NamedCurve>> = {
  [Oid.prime256v1]: 'P-256',
  [Oid.secp384r1]: 'P-384',
  [Oid.secp521r1]: 'P-521',
};

export type NamedCurve = 'P-256' | 'P-384' | 'P-521';
