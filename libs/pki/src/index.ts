/**
 * @enrollgate/pki: X.509, PKCS#10 and certs-only PKCS#7 on @peculiar/x509 and node:crypto.
 * Every error is a PkiError with a stable code; parsers of untrusted bytes never leak raw exceptions.
 */
import './x509.js'; // installs the reflect-metadata polyfill and the WebCrypto provider first

export { PkiError, isPkiError, type PkiErrorCode, type PkiErrorDetails } from './errors.js';
export { encodePem, encodePemBlocks, decodePem, decodePemLabel, decodePemFirst, derFrom, looksLikePem, PemLabel, type PemBlock } from './pem.js';
export {
  KEY_SPECS,
  parseKeySpec,
  generateKeyPair,
  signingAlgorithmFor,
  exportPrivateKeyPem,
  exportPublicKeySpki,
  importPrivateKey,
  spkiOfPrivateKey,
  describePublicKey,
  publicKeyLabel,
  type KeySpec,
  type PublicKeyInfo,
} from './keys.js';
export { Oid, Eku, type NamedCurve } from './oids.js';
export { KEY_USAGES, isKeyUsageName, parseKeyUsage, encodeKeyUsage, parseExtendedKeyUsage, type KeyUsageName } from './key-usage.js';
export { parseGeneralNames, encodeGeneralNames, ipToBytes, nameToString, type SanEntry, type SanType, type IssuableSanType } from './general-names.js';
export type { SignatureAlgorithmInfo } from './signature.js';
export { parseCsr, verifyCsr, readCsr, type CsrInfo, type RequestedExtension, type NameValuePair } from './csr.js';
export { buildCsr, type CsrBuildOptions, type BuiltCsr } from './csr-builder.js';
export { parseCertificate, certificateSerialNumber, verifyIssuedBy, isIssuerOf, isSelfIssued, certificatePem, type CertificateInfo } from './certificate.js';
export { buildCertsOnlyPkcs7, readPkcs7Certificates, readPkcs7Chain, orderChain, type Pkcs7Chain } from './pkcs7.js';
export { sha1Thumbprint, sha256Thumbprint } from './thumbprint.js';
export { randomSerial, normaliseSerial } from './serial.js';
export {
  CertificateAuthority,
  createRootCa,
  DEFAULT_BACKDATE_MS,
  type CaCreateOptions,
  type IssueRequest,
  type IssuedCertificate,
  type ExtraExtension,
} from './ca.js';
export type { CryptoKey, CryptoKeyPair } from './x509.js';
export * as scep from './scep/index.js';
