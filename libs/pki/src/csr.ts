/**
 * PKCS#10 certification requests (RFC 2986): parse into a summary, verify the self-signature.
 * The structure is walked with the strict DER reader so that a malformed request from a client is
 * always a PkiError BAD_CSR naming the field, never an exception from inside a library.
 */
import { DerReader, Tag, contextTag, tlvRaw, tlvValue, type Tlv } from './der.js';
import { PkiError, isPkiError } from './errors.js';
import { Oid } from './oids.js';
import { derFrom, PemLabel } from './pem.js';
import { describePublicKey, type PublicKeyInfo } from './keys.js';
import { nameToString, parseGeneralNames, type SanEntry } from './general-names.js';
import { parseExtendedKeyUsage, parseKeyUsage, type KeyUsageName } from './key-usage.js';
import { readSignatureAlgorithm, verifySignature, type SignatureAlgorithmInfo } from './signature.js';

/** Microsoft's pre-standard extensionRequest attribute, still emitted by old Windows clients. */
const MS_EXTENSION_REQUEST = '1.3.6.1.4.1.311.2.1.14';

export interface RequestedExtension {
  oid: string;
  critical: boolean;
  /** extnValue (the DER inside the OCTET STRING) */
  value: Uint8Array;
}

export interface NameValuePair {
  name: string;
  value: string;
}

export interface CsrInfo {
  der: Uint8Array;
  /** RFC 4514-style, e.g. `CN=web.example.com, O=Example` (empty string for an empty subject) */
  subject: string;
  subjectDer: Uint8Array;
  /** the first commonName, if any */
  commonName?: string;
  /** from the requested SubjectAltName extension */
  sans: SanEntry[];
  publicKey: PublicKeyInfo;
  /** SubjectPublicKeyInfo DER, copied unchanged into an issued certificate */
  spki: Uint8Array;
  signatureAlgorithm: SignatureAlgorithmInfo;
  challengePassword?: string;
  /** every extension of the extensionRequest attribute, in request order */
  requestedExtensions: RequestedExtension[];
  keyUsages?: KeyUsageName[];
  extendedKeyUsages?: string[];
  /** Microsoft enrolment name/value pairs (1.3.6.1.4.1.311.13.2.1), e.g. ValidityPeriod */
  nameValuePairs: NameValuePair[];
  /** Microsoft template name extension (1.3.6.1.4.1.311.20.2) */
  templateName?: string;
  /** Microsoft template extension (1.3.6.1.4.1.311.21.7) */
  templateOid?: string;
  /** OIDs of all attributes, in order */
  attributeOids: string[];
}

interface CsrParts {
  tbs: Uint8Array;
  signature: Uint8Array;
  plan: ReturnType<typeof readSignatureAlgorithm>;
  subject: Tlv;
  spki: Tlv;
  attributes: Tlv[];
  reader: DerReader;
}

function splitCsr(der: Uint8Array): CsrParts {
  const r: DerReader = new DerReader(der, 'BAD_CSR');
  const [info, algId, sig] = r.childrenOf(r.readRoot('CertificationRequest'), Tag.SEQUENCE, 'CertificationRequest');
  if (info === undefined || algId === undefined || sig === undefined) {
    return r.fail('CertificationRequest', 0, 'expected certificationRequestInfo, signatureAlgorithm and signature');
  }
  const [version, subject, spki, attrs, extra] = r.childrenOf(info, Tag.SEQUENCE, 'CertificationRequestInfo');
  if (version === undefined || subject === undefined || spki === undefined) {
    return r.fail('CertificationRequestInfo', info.offset, 'expected version, subject and subjectPKInfo');
  }
  const v = r.smallInteger(version, 'CertificationRequestInfo.version');
  if (v !== 0) r.fail('CertificationRequestInfo.version', version.offset, `version ${v}, expected 0 (v1)`);
  r.expect(subject, Tag.SEQUENCE, 'CertificationRequestInfo.subject');
  r.expect(spki, Tag.SEQUENCE, 'CertificationRequestInfo.subjectPKInfo');
  // attributes [0] IMPLICIT SET OF Attribute is mandatory (possibly empty); some clients omit it.
  if (attrs !== undefined) r.expect(attrs, contextTag(0, true), 'CertificationRequestInfo.attributes');
  if (extra !== undefined) r.fail('CertificationRequestInfo', extra.offset, 'unexpected trailing element');
  return {
    tbs: tlvRaw(info),
    signature: r.bitStringBytes(sig, 'CertificationRequest.signature'),
    plan: readSignatureAlgorithm(r, algId, 'CertificationRequest.signatureAlgorithm'),
    subject,
    spki,
    attributes: attrs === undefined ? [] : r.children(attrs, 'CertificationRequestInfo.attributes'),
    reader: r,
  };
}

/** Parses a CSR (DER, or PEM text/bytes) without checking its signature. Throws BAD_CSR / BAD_PEM. */
export function parseCsr(input: string | Uint8Array): CsrInfo {
  const der = derFrom(input, PemLabel.certificateRequest);
  const parts = splitCsr(der);
  const r = parts.reader;
  const spki = tlvRaw(parts.spki);
  let publicKey: PublicKeyInfo;
  try {
    publicKey = describePublicKey(spki);
  } catch (e) {
    throw isPkiError(e) ? e.withCode('BAD_CSR', 'CertificationRequestInfo.subjectPKInfo') : e;
  }
  const out: CsrInfo = {
    der,
    subject: parts.subject.end - parts.subject.valueOffset === 0 ? '' : nameToString(tlvRaw(parts.subject)),
    subjectDer: tlvRaw(parts.subject),
    sans: [],
    publicKey,
    spki,
    signatureAlgorithm: parts.plan.info,
    requestedExtensions: [],
    nameValuePairs: [],
    attributeOids: [],
  };
  const cn = firstCommonName(r, parts.subject);
  if (cn !== undefined) out.commonName = cn;

  parts.attributes.forEach((attr, i) => {
    const field = `attributes[${i}]`;
    const [typeTlv, values] = r.childrenOf(attr, Tag.SEQUENCE, field);
    if (typeTlv === undefined || values === undefined) return r.fail(field, attr.offset, 'expected type and values');
    const oid = r.oid(typeTlv, `${field}.type`);
    const items = r.childrenOf(values, Tag.SET, `${field}.values`);
    out.attributeOids.push(oid);
    if (oid === Oid.challengePassword) {
      const first = items[0];
      if (first === undefined) return r.fail(`${field}.challengePassword`, values.offset, 'no value');
      out.challengePassword = r.string(first, `${field}.challengePassword`);
    } else if (oid === Oid.extensionRequest || oid === MS_EXTENSION_REQUEST) {
      for (const exts of items) out.requestedExtensions.push(...readExtensions(r, exts, `${field}.extensionRequest`));
    } else if (oid === Oid.msEnrollmentNameValuePair) {
      items.forEach((pair, j) => {
        const [name, value] = r.childrenOf(pair, Tag.SEQUENCE, `${field}.nameValuePair[${j}]`);
        if (name === undefined || value === undefined) return r.fail(`${field}.nameValuePair[${j}]`, pair.offset, 'expected name and value');
        out.nameValuePairs.push({
          name: r.string(name, `${field}.nameValuePair[${j}].name`),
          value: r.string(value, `${field}.nameValuePair[${j}].value`),
        });
      });
    }
  });

  for (const ext of out.requestedExtensions) summariseExtension(out, ext);
  return out;
}

function readExtensions(r: DerReader, seq: Tlv, field: string): RequestedExtension[] {
  return r.childrenOf(seq, Tag.SEQUENCE, field).map((ext, i) => {
    const f = `${field}[${i}]`;
    const parts = r.childrenOf(ext, Tag.SEQUENCE, f);
    const [oidTlv] = parts;
    if (oidTlv === undefined || parts.length < 2 || parts.length > 3) return r.fail(f, ext.offset, 'expected extnID, [critical,] extnValue');
    const oid = r.oid(oidTlv, `${f}.extnID`);
    let critical = false;
    if (parts.length === 3) {
      const c = r.expect(parts[1]!, Tag.BOOLEAN, `${f}.critical`);
      critical = tlvValue(c)[0] !== 0;
    }
    const value = r.expect(parts[parts.length - 1]!, Tag.OCTET_STRING, `${f}.extnValue`);
    return { oid, critical, value: tlvValue(value) };
  });
}

function summariseExtension(out: CsrInfo, ext: RequestedExtension): void {
  const field = `extensionRequest(${ext.oid})`;
  try {
    switch (ext.oid) {
      case Oid.subjectAltName:
        out.sans.push(...parseGeneralNames(ext.value, 'BAD_CSR', field));
        break;
      case Oid.keyUsage:
        out.keyUsages = parseKeyUsage(ext.value, 'BAD_CSR');
        break;
      case Oid.extKeyUsage:
        out.extendedKeyUsages = parseExtendedKeyUsage(ext.value, 'BAD_CSR');
        break;
      case Oid.msCertificateTemplateName: {
        const r = new DerReader(ext.value, 'BAD_CSR');
        out.templateName = r.string(r.readRoot(field), field);
        break;
      }
      case Oid.msCertificateTemplate: {
        const r = new DerReader(ext.value, 'BAD_CSR');
        const [oid] = r.childrenOf(r.readRoot(field), Tag.SEQUENCE, field);
        if (oid !== undefined) out.templateOid = r.oid(oid, field);
        break;
      }
    }
  } catch (e) {
    throw isPkiError(e) ? e.withCode('BAD_CSR', field) : new PkiError('BAD_CSR', `${field}: ${String(e)}`, { field });
  }
}

function firstCommonName(r: DerReader, name: Tlv): string | undefined {
  for (const rdn of r.children(name, 'subject')) {
    for (const atv of r.childrenOf(rdn, Tag.SET, 'subject.rdn')) {
      const [type, value] = r.childrenOf(atv, Tag.SEQUENCE, 'subject.rdn.attribute');
      if (type === undefined || value === undefined) continue;
      if (r.oid(type, 'subject.rdn.attribute.type') === Oid.commonName) return r.string(value, 'subject.commonName');
    }
  }
  return undefined;
}

/**
 * Verifies the CSR's self-signature (proof of possession). Throws BAD_SIGNATURE if it does not
 * verify, UNSUPPORTED_KEY / UNSUPPORTED_ALGORITHM if it cannot be judged.
 */
export function verifyCsr(csr: CsrInfo | Uint8Array): void {
  const der = csr instanceof Uint8Array ? csr : csr.der;
  // A parsed CSR already verified with these very bytes needs no second signature check (the
  // simulated CA verifies on submission, then CertificateAuthority.issue verifies again).
  if (!(csr instanceof Uint8Array) && verifiedCsrs.get(csr) === der) return;
  const parts = splitCsr(der);
  verifySignature(parts.plan, parts.tbs, parts.signature, tlvRaw(parts.spki), 'CSR');
  if (!(csr instanceof Uint8Array)) verifiedCsrs.set(csr, der);
}

/** Parsed CSRs whose signature verified, with the DER it verified over (a replaced `der` is checked again). */
const verifiedCsrs = new WeakMap<CsrInfo, Uint8Array>();

/** Parse and verify: what a server does with a CSR from a client. */
export function readCsr(input: string | Uint8Array): CsrInfo {
  const csr = parseCsr(input);
  verifyCsr(csr);
  return csr;
}
