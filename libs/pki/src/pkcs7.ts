/**
 * Degenerate "certs-only" PKCS#7/CMS SignedData (RFC 5652 §5; RFC 8894 §3.4 calls it a
 * certs-only message): what AD CS returns in ICPR's pctbCert (the issued certificate plus the CA
 * chain, research/wcce-protocol.md §2.4) and what SCEP GetCACert returns.
 */
import { DerReader, Tag, contextTag, derOid, derSequence, derSmallInteger, derTlv, tlvRaw } from './der.js';
import { PkiError, isPkiError } from './errors.js';
import { Oid } from './oids.js';
import { decodePem, looksLikePem } from './pem.js';
import { isIssuerOf, isSelfIssued, parseCertificate, type CertificateInfo } from './certificate.js';
import { bytesEqual } from './bytes.js';

/**
 * Builds ContentInfo{signedData} with version 1, no digest algorithms, eContentType id-data
 * without content, the certificates and no signers. The certificates keep the order given
 * (leaf first, as AD CS and `openssl crl2pkcs7` emit them) instead of the DER sort of a SET OF:
 * readers treat the set as unordered, and people reading dumps expect the leaf first.
 */
export function buildCertsOnlyPkcs7(certificates: readonly Uint8Array[], options: { checked?: boolean } = {}): Uint8Array {
  if (certificates.length === 0) throw new PkiError('INVALID_ARGUMENT', 'a certs-only PKCS#7 needs at least one certificate');
  // Refuse to wrap garbage, unless the caller made the certificates itself (`checked`: a CA's own output).
  if (!options.checked) for (const c of certificates) parseCertificate(c);
  const signedData = derSequence(
    derSmallInteger(1),
    derTlv(Tag.SET),
    derSequence(derOid(Oid.data)),
    derTlv(contextTag(0, true), ...certificates),
    derTlv(Tag.SET),
  );
  return derSequence(derOid(Oid.signedData), derTlv(contextTag(0, true), signedData));
}

/**
 * The certificates of a PKCS#7/CMS SignedData (DER, or PEM "PKCS7"/"CMS"), in the order found.
 * Other CertificateChoices (attribute certificates, "other") are skipped; signers are ignored.
 * Throws BAD_PKCS7 (BAD_PEM for broken PEM).
 */
export function readPkcs7Certificates(input: Uint8Array | string): CertificateInfo[] {
  const der = pkcs7Der(input);
  const r: DerReader = new DerReader(der, 'BAD_PKCS7');
  const [typeTlv, wrapped, extra] = r.childrenOf(r.readRoot('ContentInfo'), Tag.SEQUENCE, 'ContentInfo');
  if (typeTlv === undefined || wrapped === undefined || extra !== undefined) return r.fail('ContentInfo', 0, 'expected contentType and content');
  const contentType = r.oid(typeTlv, 'ContentInfo.contentType');
  if (contentType !== Oid.signedData) r.fail('ContentInfo.contentType', typeTlv.offset, `expected signedData, found ${contentType}`);
  r.expect(wrapped, contextTag(0, true), 'ContentInfo.content');
  const [signedData, extra2] = r.children(wrapped, 'ContentInfo.content');
  if (signedData === undefined || extra2 !== undefined) return r.fail('ContentInfo.content', wrapped.offset, 'expected one SignedData');
  const fields = r.childrenOf(signedData, Tag.SEQUENCE, 'SignedData');
  const [version, digestAlgs, encap] = fields;
  if (version === undefined || digestAlgs === undefined || encap === undefined) return r.fail('SignedData', signedData.offset, 'missing mandatory fields');
  r.smallInteger(version, 'SignedData.version');
  r.expect(digestAlgs, Tag.SET, 'SignedData.digestAlgorithms');
  r.expect(encap, Tag.SEQUENCE, 'SignedData.encapContentInfo');
  const certSet = fields.slice(3).find((t) => t.tag === contextTag(0, true));
  if (certSet === undefined) return [];
  const out: CertificateInfo[] = [];
  r.children(certSet, 'SignedData.certificates').forEach((choice, i) => {
    if (choice.tag !== Tag.SEQUENCE) return; // [0]..[3]: extended/attribute/other certificate formats
    try {
      out.push(parseCaCached(tlvRaw(choice)));
    } catch (e) {
      if (!isPkiError(e)) throw e;
      throw new PkiError(
        'BAD_PKCS7',
        `SignedData.certificates[${i}] at offset ${choice.offset}: ${e.message}`,
        {
          field: `SignedData.certificates[${i}]`,
          offset: choice.offset,
        },
        e,
      );
    }
  });
  return out;
}

/**
 * CA certificates recur in every message from the same CA (ICPR pctbCert carries the whole chain
 * with each certificate): their parsed form is kept by DER (frozen, bounded), leaves are parsed anew.
 */
const caCertificates = new Map<string, CertificateInfo>();
const CA_CACHE_SIZE = 64;

function parseCaCached(der: Uint8Array): CertificateInfo {
  const key = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
  const cached = caCertificates.get(key);
  if (cached !== undefined) return cached;
  const info = parseCertificate(der);
  if (info.isCa) {
    if (caCertificates.size >= CA_CACHE_SIZE) caCertificates.delete(caCertificates.keys().next().value as string);
    // Parsed again from a copy, so the cached entry does not share the caller's buffer.
    caCertificates.set(key, Object.freeze(parseCertificate(new Uint8Array(der))));
  }
  return info;
}

function pkcs7Der(input: Uint8Array | string): Uint8Array {
  if (typeof input !== 'string' && !looksLikePem(input)) return input;
  const text = typeof input === 'string' ? input : Buffer.from(input).toString('latin1');
  const block = decodePem(text).find((b) => b.label === 'PKCS7' || b.label === 'CMS');
  if (block === undefined)
    throw new PkiError('BAD_PEM', 'no PKCS7 or CMS PEM block found', {
      field: 'PKCS7',
    });
  return block.der;
}

/**
 * Orders certificates into a chain from `leaf` up to a self-issued root (or as far as the set
 * reaches), matching issuer to subject (and AKI to SKI when both are present), never trusting the
 * input order. Without `leaf`, the leaf is the one certificate that issued no other in the set,
 * preferring a non-CA one. Throws BAD_CHAIN when that is ambiguous or `leaf` is not in the set.
 */
export function orderChain(certificates: readonly CertificateInfo[], leaf?: CertificateInfo | Uint8Array): CertificateInfo[] {
  const start = leaf === undefined ? findLeaf(certificates) : findGiven(certificates, leaf);
  const chain = [start];
  const used = new Set<CertificateInfo>([start]);
  for (let current = start; !isSelfIssued(current);) {
    const issuer = certificates.find((c) => !used.has(c) && isIssuerOf(c, current));
    if (issuer === undefined) break;
    chain.push(issuer);
    used.add(issuer);
    current = issuer;
  }
  return chain;
}

function findGiven(certificates: readonly CertificateInfo[], leaf: CertificateInfo | Uint8Array): CertificateInfo {
  const der = leaf instanceof Uint8Array ? leaf : leaf.der;
  const found = certificates.find((c) => bytesEqual(c.der, der));
  if (found !== undefined) return found;
  // The leaf may legitimately travel apart from the bundle (ICPR pctbEncodedCert vs pctbCert).
  return leaf instanceof Uint8Array ? parseCertificate(leaf) : leaf;
}

function findLeaf(certificates: readonly CertificateInfo[]): CertificateInfo {
  if (certificates.length === 0) throw new PkiError('BAD_CHAIN', 'no certificates');
  const leaves = certificates.filter((c) => !certificates.some((other) => other !== c && isIssuerOf(c, other)));
  const endEntities = leaves.filter((c) => !c.isCa);
  const pick = endEntities.length === 1 ? endEntities : leaves;
  if (pick.length !== 1) {
    throw new PkiError('BAD_CHAIN', `cannot tell the leaf among ${pick.length} candidates (${pick.map((c) => c.subject).join('; ')}); name it explicitly`);
  }
  return pick[0]!;
}

export interface Pkcs7Chain {
  leaf: CertificateInfo;
  /** leaf first, then its issuers up to the root when present */
  chain: CertificateInfo[];
  /** every certificate of the message, in message order */
  certificates: CertificateInfo[];
}

/** Reads a certs-only PKCS#7 and orders it leaf→root (e.g. ICPR pctbCert with pctbEncodedCert as leaf). */
export function readPkcs7Chain(input: Uint8Array | string, options: { leaf?: Uint8Array } = {}): Pkcs7Chain {
  const certificates = readPkcs7Certificates(input);
  if (certificates.length === 0 && options.leaf === undefined) throw new PkiError('BAD_PKCS7', 'SignedData carries no certificates');
  const chain = orderChain(certificates, options.leaf);
  return { leaf: chain[0]!, chain, certificates };
}
