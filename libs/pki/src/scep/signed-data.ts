/**
 * CMS SignedData (RFC 5652 §5) as SCEP uses it: the outer layer of every pkiMessage. Parses and
 * verifies what clients send (tolerant of the Windows signer: SignerInfo signatureAlgorithm
 * rsaEncryption or <hash>WithRSA, a self-signed signer with a critical AKI) and builds what a
 * server sends (one signer, DER-sorted authenticated attributes, rsaEncryption as strongSwan needs).
 */
import { createHash, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { publicKeyFromSpki } from '../keys.js';
import { bytesEqual } from '../bytes.js';
import { parseCertificate, type CertificateInfo } from '../certificate.js';
import { derSetOf, derSmallInteger, tlvRaw } from '../der.js';
import { isPkiError } from '../errors.js';
import {
  Tag,
  contextTag,
  DerReader,
  algorithmIdentifier,
  berToDer,
  derExplicit,
  derOctetString,
  derOid,
  derSequence,
  derSet,
  derTlv,
  tlvValue,
  type Tlv,
} from './asn1.js';
import { DIGEST_BY_OID, DIGEST_OID, RSA_SIGNATURE_DIGEST, ScepOid, type DigestName } from './constants.js';
import { ScepError } from './errors.js';

/** An attribute as received: its OID, and the raw TLVs of its values. */
export interface CmsAttribute {
  oid: string;
  values: Tlv[];
}

export interface SignerIdentifier {
  /** IssuerAndSerialNumber: issuer Name DER and the serial INTEGER's content octets */
  issuer?: Uint8Array;
  serial?: Uint8Array;
  /** [0] SubjectKeyIdentifier */
  subjectKeyId?: Uint8Array;
}

export interface ParsedSignerInfo {
  sid: SignerIdentifier;
  digest: DigestName;
  signatureAlgorithm: string;
  /** the [0] IMPLICIT signedAttrs exactly as received (tag 0xA0); absent when there are none */
  signedAttrs?: Uint8Array;
  attributes: CmsAttribute[];
  signature: Uint8Array;
}

export interface ParsedSignedData {
  /** the DER of the whole message (normalised from BER when the client sent BER) */
  der: Uint8Array;
  eContentType: string;
  /** eContent octets; absent for a detached/empty content */
  content?: Uint8Array;
  /** raw DER of each certificate in `certificates` */
  certificates: Uint8Array[];
  /** raw DER of each CRL in `crls` */
  crls: Uint8Array[];
  signers: ParsedSignerInfo[];
}

/** A certificate read leniently: what we need even when a strict parser refuses it. */
export interface LenientCertificate {
  der: Uint8Array;
  issuer: Uint8Array;
  serial: Uint8Array;
  subject: Uint8Array;
  spki: Uint8Array;
  /** the full strict parse, when it succeeded */
  info?: CertificateInfo;
}

/** Reads a certificate; if the strict parser refuses it, walks just the TBS fields SCEP needs. */
export function readCertificateLenient(der: Uint8Array): LenientCertificate {
  let info: CertificateInfo | undefined;
  try {
    info = parseCertificate(der);
  } catch (e) {
    if (!isPkiError(e)) throw e;
  }
  const r = new DerReader(der, 'BAD_CERTIFICATE');
  try {
    const [tbs] = r.childrenOf(r.readRoot('Certificate'), Tag.SEQUENCE, 'Certificate');
    if (tbs === undefined) return r.fail('Certificate', 0, 'empty');
    const fields = r.childrenOf(tbs, Tag.SEQUENCE, 'TBSCertificate');
    const i = fields[0]?.tag === contextTag(0, true) ? 1 : 0;
    const [serial, , issuer, , subject, spki] = fields.slice(i);
    if (serial === undefined || issuer === undefined || subject === undefined || spki === undefined)
      return r.fail('TBSCertificate', tbs.offset, 'missing fields');
    return {
      der,
      issuer: tlvRaw(r.expect(issuer, Tag.SEQUENCE, 'issuer')),
      serial: tlvValue(r.expect(serial, Tag.INTEGER, 'serialNumber')),
      subject: tlvRaw(subject),
      spki: tlvRaw(r.expect(spki, Tag.SEQUENCE, 'subjectPublicKeyInfo')),
      ...(info ? { info } : {}),
    };
  } catch (e) {
    throw new ScepError('BAD_MESSAGE', `signer certificate does not parse: ${(e as Error).message}`, { field: 'SignedData.certificates' }, e);
  }
}

function fail(field: string, offset: number, reason: string): never {
  throw new ScepError('BAD_MESSAGE', `${field} at offset ${offset}: ${reason}`, { field, offset });
}

/** Runs a DerReader walk, turning its PkiErrors into BAD_MESSAGE ScepErrors. */
function walk<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (isPkiError(e)) throw new ScepError('BAD_MESSAGE', e.message, { field: e.details.field, offset: e.details.offset }, e);
    throw e;
  }
}

/** Parses ContentInfo{signedData}. DER preferred; BER (indefinite lengths) is normalised first. */
export function parseSignedData(input: Uint8Array): ParsedSignedData {
  let der = input;
  try {
    new DerReader(input, 'BAD_PKCS7').readRoot('ContentInfo');
  } catch {
    der = berToDer(input);
  }
  return walk(() => parseSignedDataDer(der));
}

function parseSignedDataDer(der: Uint8Array): ParsedSignedData {
  const r = new DerReader(der, 'BAD_PKCS7');
  const [typeTlv, wrapped] = r.childrenOf(r.readRoot('ContentInfo'), Tag.SEQUENCE, 'ContentInfo');
  if (typeTlv === undefined || wrapped === undefined) return fail('ContentInfo', 0, 'expected contentType and content');
  const type = r.oid(typeTlv, 'ContentInfo.contentType');
  if (type !== ScepOid.signedData) return fail('ContentInfo.contentType', typeTlv.offset, `expected signedData, found ${type}`);
  const [sd] = r.childrenOf(wrapped, contextTag(0, true), 'ContentInfo.content');
  if (sd === undefined) return fail('ContentInfo.content', wrapped.offset, 'empty');
  const fields = r.childrenOf(sd, Tag.SEQUENCE, 'SignedData');
  const [version, digestAlgs, encap, ...rest] = fields;
  if (version === undefined || digestAlgs === undefined || encap === undefined) return fail('SignedData', sd.offset, 'missing mandatory fields');
  r.smallInteger(version, 'SignedData.version');
  r.expect(digestAlgs, Tag.SET, 'SignedData.digestAlgorithms');
  const [eTypeTlv, eContentWrap] = r.childrenOf(encap, Tag.SEQUENCE, 'SignedData.encapContentInfo');
  if (eTypeTlv === undefined) return fail('SignedData.encapContentInfo', encap.offset, 'no eContentType');
  const eContentType = r.oid(eTypeTlv, 'encapContentInfo.eContentType');
  let content: Uint8Array | undefined;
  if (eContentWrap !== undefined) {
    const [octets] = r.childrenOf(eContentWrap, contextTag(0, true), 'encapContentInfo.eContent');
    if (octets !== undefined) content = tlvValue(r.expect(octets, Tag.OCTET_STRING, 'encapContentInfo.eContent'));
  }
  const certificates: Uint8Array[] = [];
  const crls: Uint8Array[] = [];
  let signerSet: Tlv | undefined;
  for (const t of rest) {
    if (t.tag === contextTag(0, true)) for (const c of r.children(t, 'SignedData.certificates')) if (c.tag === Tag.SEQUENCE) certificates.push(tlvRaw(c));
    if (t.tag === contextTag(1, true)) for (const c of r.children(t, 'SignedData.crls')) if (c.tag === Tag.SEQUENCE) crls.push(tlvRaw(c));
    if (t.tag === Tag.SET) signerSet = t;
  }
  if (signerSet === undefined) return fail('SignedData.signerInfos', sd.end, 'missing');
  const signers = r.children(signerSet, 'SignedData.signerInfos').map((s, i) => parseSignerInfo(r, s, `signerInfos[${i}]`));
  return { der, eContentType, ...(content !== undefined ? { content } : {}), certificates, crls, signers };
}

function parseSignerInfo(r: DerReader, s: Tlv, field: string): ParsedSignerInfo {
  const parts = r.childrenOf(s, Tag.SEQUENCE, field);
  const [version, sidTlv, digestAlg, ...rest] = parts;
  if (version === undefined || sidTlv === undefined || digestAlg === undefined) return fail(field, s.offset, 'missing mandatory fields');
  r.smallInteger(version, `${field}.version`);
  const sid: SignerIdentifier = {};
  if (sidTlv.tag === Tag.SEQUENCE) {
    const [issuer, serial] = r.children(sidTlv, `${field}.sid`);
    if (issuer === undefined || serial === undefined) return fail(`${field}.sid`, sidTlv.offset, 'expected issuer and serialNumber');
    sid.issuer = tlvRaw(r.expect(issuer, Tag.SEQUENCE, `${field}.sid.issuer`));
    sid.serial = tlvValue(r.expect(serial, Tag.INTEGER, `${field}.sid.serialNumber`));
  } else if (sidTlv.tag === contextTag(0, false)) {
    sid.subjectKeyId = tlvValue(sidTlv);
  } else return fail(`${field}.sid`, sidTlv.offset, 'unknown SignerIdentifier');
  const digestOid = algOid(r, digestAlg, `${field}.digestAlgorithm`);
  const digest = DIGEST_BY_OID[digestOid];
  if (digest === undefined)
    throw new ScepError('UNSUPPORTED_ALGORITHM', `digest algorithm ${digestOid} is not supported (SHA-1, SHA-256, SHA-384, SHA-512 are)`, {
      field: `${field}.digestAlgorithm`,
    });
  let i = 0;
  let signedAttrs: Uint8Array | undefined;
  const attributes: CmsAttribute[] = [];
  if (rest[0]?.tag === contextTag(0, true)) {
    const attrsTlv = rest[0];
    signedAttrs = tlvRaw(attrsTlv);
    for (const [n, a] of r.children(attrsTlv, `${field}.signedAttrs`).entries()) {
      const [oidTlv, values] = r.childrenOf(a, Tag.SEQUENCE, `${field}.signedAttrs[${n}]`);
      if (oidTlv === undefined || values === undefined) return fail(`${field}.signedAttrs[${n}]`, a.offset, 'expected type and values');
      attributes.push({ oid: r.oid(oidTlv, `${field}.signedAttrs[${n}].type`), values: r.childrenOf(values, Tag.SET, `${field}.signedAttrs[${n}].values`) });
    }
    i = 1;
  }
  const sigAlg = rest[i];
  const sig = rest[i + 1];
  if (sigAlg === undefined || sig === undefined) return fail(field, s.offset, 'missing signatureAlgorithm or signature');
  return {
    sid,
    digest,
    signatureAlgorithm: algOid(r, sigAlg, `${field}.signatureAlgorithm`),
    ...(signedAttrs ? { signedAttrs } : {}),
    attributes,
    signature: tlvValue(r.expect(sig, Tag.OCTET_STRING, `${field}.signature`)),
  };
}

function algOid(r: DerReader, t: Tlv, field: string): string {
  const [oid] = r.childrenOf(t, Tag.SEQUENCE, field);
  if (oid === undefined) return fail(field, t.offset, 'empty AlgorithmIdentifier');
  return r.oid(oid, `${field}.algorithm`);
}

/** The certificate of `certificates` that `sid` names (issuer+serial, or subject key id). */
export function findSignerCertificate(sd: ParsedSignedData, signer: ParsedSignerInfo): LenientCertificate {
  for (const der of sd.certificates) {
    const cert = readCertificateLenient(der);
    if (signer.sid.issuer && signer.sid.serial && bytesEqual(cert.issuer, signer.sid.issuer) && bytesEqual(cert.serial, signer.sid.serial)) return cert;
    if (signer.sid.subjectKeyId && cert.info?.subjectKeyId === Buffer.from(signer.sid.subjectKeyId).toString('hex')) return cert;
  }
  throw new ScepError('BAD_MESSAGE', 'the signer certificate is not in the message', { field: 'SignedData.certificates' });
}

/** The SET OF attributes bytes that were signed: the received [0] with its tag changed to SET (RFC 5652 §5.4). */
export function signedAttributesForVerify(signedAttrs: Uint8Array): Uint8Array {
  const copy = new Uint8Array(signedAttrs);
  copy[0] = Tag.SET;
  return copy;
}

/**
 * Verifies one SignerInfo against the signer's SPKI: the messageDigest attribute against the
 * content, then the signature over the attributes as received (not re-sorted: some clients sign
 * them unsorted). signatureAlgorithm may be rsaEncryption (the digest algorithm decides) or
 * <hash>WithRSA. Throws BAD_SIGNATURE.
 */
export function verifySignerInfo(signer: ParsedSignerInfo, content: Uint8Array | undefined, spki: Uint8Array): void {
  if (signer.signedAttrs === undefined) throw new ScepError('BAD_SIGNATURE', 'a pkiMessage must carry authenticated attributes', { field: 'signedAttrs' });
  const md = attributeValue(signer.attributes, ScepOid.messageDigest);
  if (md === undefined || md.tag !== Tag.OCTET_STRING)
    throw new ScepError('BAD_SIGNATURE', 'messageDigest attribute missing', { field: 'signedAttrs.messageDigest' });
  const actual = createHash(signer.digest)
    .update(content ?? new Uint8Array(0))
    .digest();
  if (!bytesEqual(tlvValue(md), actual))
    throw new ScepError('BAD_SIGNATURE', 'messageDigest does not match the content', { field: 'signedAttrs.messageDigest' });
  let hash: DigestName;
  if (signer.signatureAlgorithm === ScepOid.rsaEncryption) hash = signer.digest;
  else if (RSA_SIGNATURE_DIGEST[signer.signatureAlgorithm] !== undefined) hash = RSA_SIGNATURE_DIGEST[signer.signatureAlgorithm]!;
  else
    throw new ScepError('UNSUPPORTED_ALGORITHM', `signature algorithm ${signer.signatureAlgorithm} is not supported (RSA PKCS#1 v1.5 is)`, {
      field: 'signatureAlgorithm',
    });
  let key: KeyObject;
  try {
    key = publicKeyFromSpki(spki);
  } catch (e) {
    throw new ScepError('BAD_SIGNATURE', `the signer's public key cannot be used: ${(e as Error).message}`, { field: 'signerCertificate' }, e);
  }
  if (key.asymmetricKeyType !== 'rsa')
    throw new ScepError('UNSUPPORTED_ALGORITHM', `signer key type ${key.asymmetricKeyType ?? '?'}: SCEP uses RSA`, { field: 'signerCertificate' });
  let ok: boolean;
  try {
    ok = nodeVerify(hash, signedAttributesForVerify(signer.signedAttrs), key, signer.signature);
  } catch {
    ok = false;
  }
  if (!ok) throw new ScepError('BAD_SIGNATURE', 'the pkiMessage signature does not verify', { field: 'signature' });
}

export function attributeValue(attributes: readonly CmsAttribute[], oid: string): Tlv | undefined {
  return attributes.find((a) => a.oid === oid)?.values[0];
}

// ---- building ----

/** One authenticated attribute: OID and one value (DER). */
export function cmsAttribute(oid: string, value: Uint8Array): Uint8Array {
  return derSequence(derOid(oid), derSet(value));
}

export interface SignOptions {
  /** eContent; absent for CertRep FAILURE / PENDING and certs-only */
  content?: Uint8Array;
  /** authenticated attributes other than contentType and messageDigest (added here) */
  attributes: Uint8Array[];
  digest: DigestName;
  signerCertificate: Uint8Array;
  signerKey: KeyObject;
  /** put into `certificates` after the signer's certificate */
  extraCertificates?: readonly Uint8Array[];
  /** SignerInfo.signatureAlgorithm: rsaEncryption (default; strongSwan needs it) or <hash>WithRSA */
  signatureAlgorithm?: 'rsaEncryption' | 'hashWithRsa';
}

const HASH_WITH_RSA: Record<DigestName, string> = {
  sha1: '1.2.840.113549.1.1.5',
  sha256: '1.2.840.113549.1.1.11',
  sha384: '1.2.840.113549.1.1.12',
  sha512: '1.2.840.113549.1.1.13',
};

/** Builds ContentInfo{SignedData} with one RSA signer over DER-sorted authenticated attributes. */
export function buildSignedData(options: SignOptions): Uint8Array {
  const signer = readCertificateLenient(options.signerCertificate);
  const content = options.content;
  const messageDigest = createHash(options.digest)
    .update(content ?? new Uint8Array(0))
    .digest();
  const attrs = [
    cmsAttribute(ScepOid.contentType, derOid(ScepOid.data)),
    cmsAttribute(ScepOid.messageDigest, derOctetString(messageDigest)),
    ...options.attributes,
  ];
  const attrSet = derSetOf(attrs);
  const signature = nodeSign(options.digest, attrSet, options.signerKey);
  const signedAttrs = new Uint8Array(attrSet);
  signedAttrs[0] = contextTag(0, true);
  const digestAlg = algorithmIdentifier(DIGEST_OID[options.digest]);
  const sigAlg = options.signatureAlgorithm === 'hashWithRsa' ? algorithmIdentifier(HASH_WITH_RSA[options.digest]) : algorithmIdentifier(ScepOid.rsaEncryption);
  const signerInfo = derSequence(
    derSmallInteger(1),
    derSequence(signer.issuer, derTlv(Tag.INTEGER, signer.serial)),
    digestAlg,
    signedAttrs,
    sigAlg,
    derOctetString(signature),
  );
  const encap = content === undefined ? derSequence(derOid(ScepOid.data)) : derSequence(derOid(ScepOid.data), derExplicit(0, derOctetString(content)));
  const certs = [options.signerCertificate, ...(options.extraCertificates ?? [])];
  const signedData = derSequence(derSmallInteger(1), derSet(digestAlg), encap, derTlv(contextTag(0, true), ...certs), derSet(signerInfo));
  return derSequence(derOid(ScepOid.signedData), derExplicit(0, signedData));
}

/** A degenerate (certs-only, no signers) SignedData, optionally with CRLs (GetCRL reply). */
export function buildDegenerateSignedData(certificates: readonly Uint8Array[], crls: readonly Uint8Array[] = []): Uint8Array {
  const parts = [derSmallInteger(1), derSet(), derSequence(derOid(ScepOid.data))];
  if (certificates.length > 0) parts.push(derTlv(contextTag(0, true), ...certificates));
  if (crls.length > 0) parts.push(derTlv(contextTag(1, true), ...crls));
  parts.push(derSet());
  return derSequence(derOid(ScepOid.signedData), derExplicit(0, derSequence(...parts)));
}
