/**
 * Builds PKCS#10 requests: for tests, and for our own RA enrolment (the SCEP RA certificates are
 * requested from AD CS like any other certificate).
 */
import { x509, type CryptoKeyPair } from './x509.js';
import { derBmp, derSequence } from './der.js';
import { encodeGeneralNames, type SanEntry } from './general-names.js';
import { encodeKeyUsage, type KeyUsageName } from './key-usage.js';
import { Oid } from './oids.js';
import { encodePem, PemLabel } from './pem.js';
import { signingAlgorithmFor } from './keys.js';
import { guardAsync } from './errors.js';
import { toBytes } from './bytes.js';
import { derOid } from './der.js';
import { subtle, type CryptoKey } from './x509.js';

/**
 * WebCrypto RSASSA-PKCS1-v1_5 signs with the hash bound to the key at import, not the one in the
 * sign call; re-import the key when another digest is wanted (e.g. SHA-1). ECDSA takes it per call.
 */
async function withSigningHash(keys: CryptoKeyPair, alg: { name: string; hash: string }): Promise<CryptoKeyPair> {
  const bound = (keys.privateKey.algorithm as { hash?: { name: string } }).hash?.name;
  if (alg.name !== 'RSASSA-PKCS1-v1_5' || bound === alg.hash) return keys;
  const pkcs8 = await subtle.exportKey('pkcs8', keys.privateKey);
  const spki = await subtle.exportKey('spki', keys.publicKey);
  const params = { name: 'RSASSA-PKCS1-v1_5', hash: alg.hash };
  const privateKey: CryptoKey = await subtle.importKey('pkcs8', pkcs8, params, false, ['sign']);
  const publicKey: CryptoKey = await subtle.importKey('spki', spki, params, true, ['verify']);
  return { privateKey, publicKey };
}

export interface CsrBuildOptions {
  /** RFC 4514 string, e.g. `CN=web.example.com, O=Example`; empty for an empty subject */
  subject: string;
  keys: CryptoKeyPair;
  sans?: readonly SanEntry[];
  keyUsages?: readonly KeyUsageName[];
  extendedKeyUsages?: readonly string[];
  challengePassword?: string;
  /** Microsoft name/value pairs (1.3.6.1.4.1.311.13.2.1), e.g. ValidityPeriod/ValidityPeriodUnits */
  nameValuePairs?: ReadonlyArray<{ name: string; value: string }>;
  /** adds the Microsoft template-name extension (1.3.6.1.4.1.311.20.2) */
  templateName?: string;
  /** digest for the signature; default SHA-256 (SHA-384 for P-384). Windows SCEP profiles may use SHA-1. */
  hash?: 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512';
}

export interface BuiltCsr {
  der: Uint8Array;
  pem: string;
}

export async function buildCsr(options: CsrBuildOptions): Promise<BuiltCsr> {
  return guardAsync('INVALID_ARGUMENT', 'building CSR', async () => {
    const extensions: InstanceType<typeof x509.Extension>[] = [];
    if (options.sans !== undefined && options.sans.length > 0) {
      extensions.push(new x509.Extension(Oid.subjectAltName, options.subject === '', encodeGeneralNames(options.sans)));
    }
    if (options.keyUsages !== undefined && options.keyUsages.length > 0) {
      extensions.push(new x509.Extension(Oid.keyUsage, true, encodeKeyUsage(options.keyUsages)));
    }
    if (options.extendedKeyUsages !== undefined && options.extendedKeyUsages.length > 0) {
      extensions.push(new x509.Extension(Oid.extKeyUsage, false, derSequence(...options.extendedKeyUsages.map(derOid))));
    }
    if (options.templateName !== undefined) {
      extensions.push(new x509.Extension(Oid.msCertificateTemplateName, false, derBmp(options.templateName)));
    }
    const attributes: InstanceType<typeof x509.Attribute>[] = [];
    if (options.challengePassword !== undefined) attributes.push(new x509.ChallengePasswordAttribute(options.challengePassword));
    if (options.nameValuePairs !== undefined && options.nameValuePairs.length > 0) {
      attributes.push(
        new x509.Attribute(
          Oid.msEnrollmentNameValuePair,
          options.nameValuePairs.map((p) => derSequence(derBmp(p.name), derBmp(p.value))),
        ),
      );
    }
    const base = signingAlgorithmFor(options.keys.privateKey);
    const signingAlgorithm = options.hash === undefined ? base : { ...base, hash: options.hash };
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      name: options.subject,
      keys: await withSigningHash(options.keys, signingAlgorithm),
      signingAlgorithm,
      extensions,
      attributes,
    });
    const der = toBytes(csr.rawData);
    return { der, pem: encodePem(PemLabel.certificateRequest, der) };
  });
}
