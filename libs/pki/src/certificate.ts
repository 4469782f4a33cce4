/**
 * X.509 certificates read with the strict DER reader: the raw issuer/subject bytes and key
 * identifiers that chain ordering needs, plus a summary for logs and policy. Anything malformed is
 * a PkiError BAD_CERTIFICATE (a CA's response is untrusted input too).
 */
import { createHash } from 'node:crypto';
import { DerReader, Tag, contextTag, tlvRaw, tlvValue, type Tlv } from './der.js';
import { isPkiError } from './errors.js';
import { Oid } from './oids.js';
import { derFrom, encodePem, PemLabel } from './pem.js';
import { describePublicKey, type PublicKeyInfo } from './keys.js';
import { nameToString, parseGeneralNames, type SanEntry } from './general-names.js';
import { parseExtendedKeyUsage, parseKeyUsage, type KeyUsageName } from './key-usage.js';
import { readSignatureAlgorithm, verifySignature, type SignatureAlgorithmInfo } from './signature.js';
import { toHex } from './bytes.js';
import { sha1Thumbprint, sha256Thumbprint } from './thumbprint.js';

export interface CertificateInfo {
  der: Uint8Array;
  /** lower-case hex of the serial's magnitude, without a sign octet */
  serialNumber: string;
  subject: string;
  issuer: string;
  subjectDer: Uint8Array;
  issuerDer: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  publicKey: PublicKeyInfo;
  spki: Uint8Array;
  signatureAlgorithm: SignatureAlgorithmInfo;
  /** BasicConstraints cA (false when the extension is absent) */
  isCa: boolean;
  pathLength?: number;
  /** hex */
  subjectKeyId?: string;
  /** hex keyIdentifier of AuthorityKeyIdentifier */
  authorityKeyId?: string;
  sans: SanEntry[];
  keyUsages?: KeyUsageName[];
  extendedKeyUsages?: string[];
  extensionOids: string[];
  /** upper-case hex */
  sha1Thumbprint: string;
  sha256Thumbprint: string;
}

interface CertParts {
  info: CertificateInfo;
  tbs: Uint8Array;
  signature: Uint8Array;
  plan: ReturnType<typeof readSignatureAlgorithm>;
}

function split(der: Uint8Array): CertParts {
  const r: DerReader = new DerReader(der, 'BAD_CERTIFICATE');
  const [tbs, algId, sig, extra] = r.childrenOf(r.readRoot('Certificate'), Tag.SEQUENCE, 'Certificate');
  if (tbs === undefined || algId === undefined || sig === undefined || extra !== undefined) {
    return r.fail('Certificate', 0, 'expected tbsCertificate, signatureAlgorithm and signatureValue');
  }
  const fields = r.childrenOf(tbs, Tag.SEQUENCE, 'TBSCertificate');
  let i = 0;
  if (fields[0]?.tag === contextTag(0, true)) i++;
  const [serial, , issuer, validity, subject, spki] = fields.slice(i);
  if (serial === undefined || issuer === undefined || validity === undefined || subject === undefined || spki === undefined) {
    return r.fail('TBSCertificate', tbs.offset, 'missing mandatory fields');
  }
  r.expect(serial, Tag.INTEGER, 'TBSCertificate.serialNumber');
  r.expect(issuer, Tag.SEQUENCE, 'TBSCertificate.issuer');
  r.expect(subject, Tag.SEQUENCE, 'TBSCertificate.subject');
  const [nb, na] = r.childrenOf(validity, Tag.SEQUENCE, 'TBSCertificate.validity');
  if (nb === undefined || na === undefined) return r.fail('TBSCertificate.validity', validity.offset, 'expected notBefore and notAfter');
  const spkiDer = tlvRaw(r.expect(spki, Tag.SEQUENCE, 'TBSCertificate.subjectPublicKeyInfo'));
  let publicKey: PublicKeyInfo;
  try {
    publicKey = describePublicKey(spkiDer);
  } catch (e) {
    throw isPkiError(e) ? e.withCode('BAD_CERTIFICATE', 'TBSCertificate.subjectPublicKeyInfo') : e;
  }
  const plan = readSignatureAlgorithm(r, algId, 'Certificate.signatureAlgorithm');
  const serialBytes = tlvValue(serial);
  const info: CertificateInfo = {
    der,
    serialNumber: toHex(serialBytes).replace(/^(00)+(?=.)/, ''),
    subject: nameToString(tlvRaw(subject)),
    issuer: nameToString(tlvRaw(issuer)),
    subjectDer: tlvRaw(subject),
    issuerDer: tlvRaw(issuer),
    notBefore: readTime(r, nb, 'TBSCertificate.validity.notBefore'),
    notAfter: readTime(r, na, 'TBSCertificate.validity.notAfter'),
    publicKey,
    spki: spkiDer,
    signatureAlgorithm: plan.info,
    isCa: false,
    sans: [],
    extensionOids: [],
    sha1Thumbprint: sha1Thumbprint(der),
    sha256Thumbprint: sha256Thumbprint(der),
  };
  const extsWrapper = fields.slice(i + 6).find((t) => t.tag === contextTag(3, true));
  if (extsWrapper !== undefined) {
    const [exts] = r.children(extsWrapper, 'TBSCertificate.extensions');
    if (exts !== undefined) {
      r.childrenOf(exts, Tag.SEQUENCE, 'TBSCertificate.extensions').forEach((ext, n) => readExtension(r, ext, `extensions[${n}]`, info));
    }
  }
  return {
    info,
    tbs: tlvRaw(tbs),
    signature: r.bitStringBytes(sig, 'Certificate.signatureValue'),
    plan,
  };
}

function readExtension(r: DerReader, ext: Tlv, field: string, info: CertificateInfo): void {
  const parts = r.childrenOf(ext, Tag.SEQUENCE, field);
  const [oidTlv] = parts;
  if (oidTlv === undefined || parts.length < 2) return r.fail(field, ext.offset, 'expected extnID and extnValue');
  const oid = r.oid(oidTlv, `${field}.extnID`);
  const value = tlvValue(r.expect(parts[parts.length - 1]!, Tag.OCTET_STRING, `${field}.extnValue`));
  info.extensionOids.push(oid);
  const sub = new DerReader(value, 'BAD_CERTIFICATE');
  const f = `${field}(${oid})`;
  switch (oid) {
    case Oid.basicConstraints: {
      for (const t of sub.childrenOf(sub.readRoot(f), Tag.SEQUENCE, f)) {
        if (t.tag === Tag.BOOLEAN) info.isCa = tlvValue(t)[0] !== 0;
        else if (t.tag === Tag.INTEGER) info.pathLength = sub.smallInteger(t, `${f}.pathLenConstraint`);
      }
      break;
    }
    case Oid.subjectKeyIdentifier:
      info.subjectKeyId = toHex(tlvValue(sub.readRoot(f, Tag.OCTET_STRING)));
      break;
    case Oid.authorityKeyIdentifier: {
      const keyId = sub.childrenOf(sub.readRoot(f), Tag.SEQUENCE, f).find((t) => t.tag === contextTag(0, false));
      if (keyId !== undefined) info.authorityKeyId = toHex(tlvValue(keyId));
      break;
    }
    case Oid.subjectAltName:
      info.sans = parseGeneralNames(value, 'BAD_CERTIFICATE', f);
      break;
    case Oid.keyUsage:
      info.keyUsages = parseKeyUsage(value, 'BAD_CERTIFICATE');
      break;
    case Oid.extKeyUsage:
      info.extendedKeyUsages = parseExtendedKeyUsage(value, 'BAD_CERTIFICATE');
      break;
  }
}

function readTime(r: DerReader, t: Tlv, field: string): Date {
  const s = Buffer.from(tlvValue(t)).toString('latin1');
  let m: RegExpExecArray | null;
  if (t.tag === Tag.UTC_TIME && (m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s))) {
    const yy = Number(m[1]);
    // RFC 5280 §4.1.2.5.1: YY >= 50 is 19YY, else 20YY
    return new Date(Date.UTC(yy >= 50 ? 1900 + yy : 2000 + yy, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
  }
  if (t.tag === Tag.GENERALIZED_TIME && (m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.\d+)?Z$/.exec(s))) {
    return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
  }
  return r.fail(field, t.offset, `bad time ${JSON.stringify(s)}`);
}

/**
 * The serial number of a certificate (DER, or PEM text/bytes) as parseCertificate gives it
 * (lower-case hex without leading zero octets), reading only as far as the serial: for a
 * certificate that is only stored or looked up, not inspected. Throws BAD_CERTIFICATE / BAD_PEM.
 */
export function certificateSerialNumber(input: string | Uint8Array): string {
  const der = derFrom(input, PemLabel.certificate);
  const r: DerReader = new DerReader(der, 'BAD_CERTIFICATE');
  const [tbs] = r.childrenOf(r.readRoot('Certificate'), Tag.SEQUENCE, 'Certificate');
  if (tbs === undefined) return r.fail('Certificate', 0, 'expected tbsCertificate');
  const fields = r.childrenOf(tbs, Tag.SEQUENCE, 'TBSCertificate');
  const serial = fields[fields[0]?.tag === contextTag(0, true) ? 1 : 0];
  if (serial === undefined) return r.fail('TBSCertificate', tbs.offset, 'missing serialNumber');
  return toHex(tlvValue(r.expect(serial, Tag.INTEGER, 'TBSCertificate.serialNumber'))).replace(/^(00)+(?=.)/, '');
}

/** Parses a certificate (DER, or PEM text/bytes). Throws BAD_CERTIFICATE / BAD_PEM. */
export function parseCertificate(input: string | Uint8Array): CertificateInfo {
  const der = derFrom(input, PemLabel.certificate);
  const key = createHash('sha256').update(der).digest('base64');
  let info = parsed.get(key);
  if (info === undefined) {
    info = split(der).info;
    if (parsed.size >= PARSED_CACHE_SIZE) parsed.delete(parsed.keys().next().value!);
  } else {
    parsed.delete(key); // least recently used goes first
  }
  parsed.set(key, info);
  return { ...info };
}

/**
 * Parses by content (SHA-256 of the DER), least recently used dropped first: the same RA, CA and
 * chain certificates come through every SCEP request and every CA response, and a parse (names,
 * extensions, thumbprints) costs far more than the hash. Callers get their own copy of the object.
 */
const PARSED_CACHE_SIZE = 256;
const parsed = new Map<string, CertificateInfo>();

/** Checks that `issuer` signed `cert` (signature only: no dates, no policy). Throws BAD_SIGNATURE. */
export function verifyIssuedBy(cert: CertificateInfo | Uint8Array, issuer: CertificateInfo | Uint8Array): void {
  const parts = split(cert instanceof Uint8Array ? cert : cert.der);
  const issuerInfo = issuer instanceof Uint8Array ? parseCertificate(issuer) : issuer;
  verifySignature(parts.plan, parts.tbs, parts.signature, issuerInfo.spki, 'certificate');
}

/** True when `parent` is the issuer of `child` by name, and by key identifier when both carry one. */
export function isIssuerOf(parent: CertificateInfo, child: CertificateInfo): boolean {
  if (Buffer.compare(Buffer.from(parent.subjectDer), Buffer.from(child.issuerDer)) !== 0) return false;
  if (parent.subjectKeyId !== undefined && child.authorityKeyId !== undefined) return parent.subjectKeyId === child.authorityKeyId;
  return true;
}

export function isSelfIssued(cert: CertificateInfo): boolean {
  return isIssuerOf(cert, cert);
}

/** PEM of a certificate. */
export function certificatePem(cert: CertificateInfo | Uint8Array): string {
  const der = cert instanceof Uint8Array ? cert : cert.der;
  return encodePem(PemLabel.certificate, der);
}
