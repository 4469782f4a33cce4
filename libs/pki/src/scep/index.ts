/** The SCEP message codec (RFC 8894): pkiMessage SignedData, EnvelopedData on node:crypto, CertRep. */
export * from './constants.js';
export * from './errors.js';
export { CONTENT_CIPHERS, contentCipherByOid, replyCipherFor, type ContentCipher, type DecryptOptions } from './ciphers.js';
export { rsaPkcs1v15DecryptImplicit, pkcs1v15ValidMask } from './pkcs1.js';
export { desCbcDecrypt, desCbcEncrypt } from './des.js';
export { berToDer } from './asn1.js';
export {
  parseSignedData,
  verifySignerInfo,
  findSignerCertificate,
  readCertificateLenient,
  buildSignedData,
  buildDegenerateSignedData,
  type ParsedSignedData,
  type ParsedSignerInfo,
  type LenientCertificate,
  type SignOptions,
} from './signed-data.js';
export {
  parseEnvelopedData,
  openEnvelope,
  buildEnvelopedData,
  type DecryptionIdentity,
  type KeyTransport,
  type OpenedEnvelope,
  type ParsedEnvelope,
} from './enveloped-data.js';
export {
  parsePkiMessage,
  verifyPkiMessage,
  openPkiEnvelope,
  parseIssuerAndSubject,
  parseIssuerAndSerial,
  encodeIssuerAndSubject,
  encodeIssuerAndSerial,
  buildCertRep,
  sha256Hex,
  type PkiMessage,
  type CertRepOutcome,
  type CertRepOptions,
  type IssuerAndSerial,
  type IssuerAndSubject,
} from './message.js';
export {
  createSignerCertificate,
  commonNameDer,
  buildPkiRequest,
  readCertRep,
  transactionIdFor,
  certificateSpki,
  type PkiRequestOptions,
  type CertRepRead,
  type SignerCertificateOptions,
} from './client.js';
