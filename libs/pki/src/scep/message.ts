/**
 * The SCEP pkiMessage (RFC 8894 §3.2): a SignedData whose authenticated attributes carry the SCEP
 * fields and whose content is an EnvelopedData (pkcsPKIEnvelope). Server side: parse a request,
 * verify it, open its envelope, read its content; build the CertRep.
 */
import { createHash, randomBytes, type KeyObject } from 'node:crypto';
import { tlvRaw } from '../der.js';
import { isPkiError } from '../errors.js';
import { DerReader, Tag, derOctetString, derPrintable, derSequence, derTime, derTlv, tlvValue, type Tlv } from './asn1.js';
import { replyCipherFor, type ContentCipher, type DecryptOptions } from './ciphers.js';
import { FailInfo, PkiStatus, ScepOid, type DigestName } from './constants.js';
import { buildEnvelopedData, openEnvelope, type DecryptionIdentity, type KeyTransport } from './enveloped-data.js';
import { ScepError } from './errors.js';
import {
  attributeValue,
  buildDegenerateSignedData,
  buildSignedData,
  cmsAttribute,
  findSignerCertificate,
  parseSignedData,
  verifySignerInfo,
  type CmsAttribute,
  type LenientCertificate,
  type ParsedSignedData,
  type ParsedSignerInfo,
} from './signed-data.js';

export interface PkiMessage {
  signedData: ParsedSignedData;
  signer: ParsedSignerInfo;
  signerCertificate: LenientCertificate;
  messageType: number;
  /** transactionID as text (PrintableString or another string type) */
  transactionId: string;
  /** the transactionID attribute value exactly as received (echoed byte-identical in CertRep) */
  transactionIdDer: Uint8Array;
  senderNonce?: Uint8Array;
  recipientNonce?: Uint8Array;
  pkiStatus?: number;
  failInfo?: number;
  failInfoText?: string;
  digest: DigestName;
  /** the pkcsPKIEnvelope (eContent), absent in CertRep FAILURE/PENDING */
  envelope?: Uint8Array;
}

function stringValue(t: Tlv, field: string): string {
  try {
    return new DerReader(tlvRaw(t), 'BAD_PKCS7').string(new DerReader(tlvRaw(t), 'BAD_PKCS7').readRoot(field), field);
  } catch (e) {
    if (isPkiError(e)) throw new ScepError('BAD_MESSAGE', `${field}: ${e.message}`, { field });
    throw e;
  }
}

function numberAttr(attrs: CmsAttribute[], oid: string, field: string): number | undefined {
  const v = attributeValue(attrs, oid);
  if (v === undefined) return undefined;
  const text = stringValue(v, field).trim();
  if (!/^\d{1,3}$/.test(text)) throw new ScepError('BAD_MESSAGE', `${field} is not a number: ${JSON.stringify(text)}`, { field });
  return Number(text);
}

function octetsAttr(attrs: CmsAttribute[], oid: string, field: string): Uint8Array | undefined {
  const v = attributeValue(attrs, oid);
  if (v === undefined) return undefined;
  if (v.tag !== Tag.OCTET_STRING) throw new ScepError('BAD_MESSAGE', `${field} is not an OCTET STRING`, { field });
  return tlvValue(v);
}

/**
 * Parses a pkiMessage and its SCEP attributes without verifying the signature (so that a bad
 * signature can still be answered with a CertRep FAILURE badMessageCheck). Throws BAD_MESSAGE
 * when it is not a pkiMessage at all: then no CertRep can be built.
 */
export function parsePkiMessage(der: Uint8Array): PkiMessage {
  const signedData = parseSignedData(der);
  const signer = signedData.signers[0];
  if (signer === undefined) throw new ScepError('BAD_MESSAGE', 'the pkiMessage has no SignerInfo', { field: 'signerInfos' });
  const signerCertificate = findSignerCertificate(signedData, signer);
  const attrs = signer.attributes;
  const messageType = numberAttr(attrs, ScepOid.messageType, 'messageType');
  if (messageType === undefined) throw new ScepError('BAD_MESSAGE', 'messageType attribute missing', { field: 'messageType' });
  const tid = attributeValue(attrs, ScepOid.transactionID);
  if (tid === undefined) throw new ScepError('BAD_MESSAGE', 'transactionID attribute missing', { field: 'transactionID' });
  const transactionId = stringValue(tid, 'transactionID');
  if (transactionId.length === 0 || transactionId.length > 256)
    throw new ScepError('BAD_MESSAGE', 'transactionID must be 1 to 256 characters', { field: 'transactionID' });
  const pkiStatus = numberAttr(attrs, ScepOid.pkiStatus, 'pkiStatus');
  const failInfo = numberAttr(attrs, ScepOid.failInfo, 'failInfo');
  const failText = attributeValue(attrs, ScepOid.failInfoText);
  const senderNonce = octetsAttr(attrs, ScepOid.senderNonce, 'senderNonce');
  const recipientNonce = octetsAttr(attrs, ScepOid.recipientNonce, 'recipientNonce');
  return {
    signedData,
    signer,
    signerCertificate,
    messageType,
    transactionId,
    transactionIdDer: tlvRaw(tid),
    ...(senderNonce ? { senderNonce } : {}),
    ...(recipientNonce ? { recipientNonce } : {}),
    ...(pkiStatus !== undefined ? { pkiStatus } : {}),
    ...(failInfo !== undefined ? { failInfo } : {}),
    ...(failText ? { failInfoText: stringValue(failText, 'failInfoText') } : {}),
    digest: signer.digest,
    ...(signedData.content !== undefined && signedData.content.length > 0 ? { envelope: signedData.content } : {}),
  };
}

/** Verifies the message signature with its own signer certificate (RFC 8894 §3.2.1). Throws BAD_SIGNATURE. */
export function verifyPkiMessage(message: PkiMessage): void {
  verifySignerInfo(message.signer, message.signedData.content, message.signerCertificate.spki);
}

/** Opens the pkcsPKIEnvelope with one of our decryption identities. */
export function openPkiEnvelope(
  message: PkiMessage,
  identities: readonly DecryptionIdentity[],
  options: DecryptOptions = {},
): { content: Uint8Array; cipher: ContentCipher; keyTransport: KeyTransport } {
  if (message.envelope === undefined) throw new ScepError('BAD_CONTENT', 'the pkiMessage carries no pkcsPKIEnvelope', { field: 'encapContentInfo' });
  const opened = openEnvelope(message.envelope, identities, options);
  return { content: opened.content, cipher: opened.cipher, keyTransport: opened.keyTransport };
}

export interface IssuerAndSubject {
  issuer: Uint8Array;
  subject: Uint8Array;
}

export interface IssuerAndSerial {
  issuer: Uint8Array;
  /** INTEGER content octets */
  serial: Uint8Array;
}

function readPair(content: Uint8Array, field: string): [Tlv, Tlv, DerReader] {
  try {
    const r = new DerReader(content, 'BAD_DER');
    const [a, b, extra] = r.childrenOf(r.readRoot(field), Tag.SEQUENCE, field);
    if (a === undefined || b === undefined || extra !== undefined) return r.fail(field, 0, 'expected two elements');
    return [a, b, r];
  } catch (e) {
    if (isPkiError(e)) throw new ScepError('BAD_CONTENT', `${field}: ${e.message}`, { field });
    throw e;
  }
}

/** CertPoll content (RFC 8894 §3.3.3). */
export function parseIssuerAndSubject(content: Uint8Array): IssuerAndSubject {
  const [issuer, subject] = readPair(content, 'IssuerAndSubject');
  if (issuer.tag !== Tag.SEQUENCE || subject.tag !== Tag.SEQUENCE)
    throw new ScepError('BAD_CONTENT', 'IssuerAndSubject: expected two Names', { field: 'IssuerAndSubject' });
  return { issuer: tlvRaw(issuer), subject: tlvRaw(subject) };
}

/** GetCert / GetCRL content (RFC 8894 §3.3.4). */
export function parseIssuerAndSerial(content: Uint8Array): IssuerAndSerial {
  const [issuer, serial] = readPair(content, 'IssuerAndSerialNumber');
  if (issuer.tag !== Tag.SEQUENCE || serial.tag !== Tag.INTEGER)
    throw new ScepError('BAD_CONTENT', 'IssuerAndSerialNumber: expected a Name and an INTEGER', { field: 'IssuerAndSerialNumber' });
  return { issuer: tlvRaw(issuer), serial: tlvValue(serial) };
}

export function encodeIssuerAndSubject(v: IssuerAndSubject): Uint8Array {
  return derSequence(v.issuer, v.subject);
}

export function encodeIssuerAndSerial(v: IssuerAndSerial): Uint8Array {
  return derSequence(v.issuer, derTlv(Tag.INTEGER, v.serial));
}

// ---- CertRep ----

export type CertRepOutcome =
  | { status: 'SUCCESS'; certificates: readonly Uint8Array[]; crls?: readonly Uint8Array[] }
  | { status: 'PENDING' }
  | { status: 'FAILURE'; failInfo: FailInfo; failInfoText?: string };

export interface CertRepOptions {
  outcome: CertRepOutcome;
  /** the request's transactionID attribute value as received */
  transactionIdDer: Uint8Array;
  /** the request's senderNonce (becomes recipientNonce) */
  recipientNonce?: Uint8Array;
  /** fresh 16 random bytes unless given (tests) */
  senderNonce?: Uint8Array;
  digest: DigestName;
  /** RA signing identity */
  signerCertificate: Uint8Array;
  signerKey: KeyObject;
  /** after the signer in `certificates`: the CA chain, so strict clients can verify the signer */
  extraCertificates?: readonly Uint8Array[];
  /** SUCCESS: the requester's certificate (the pkiMessage signer) and the request's cipher */
  recipientCertificate?: Uint8Array;
  requestCipher?: ContentCipher;
  signingTime?: Date;
  /** include id-scep-failInfoText on FAILURE (default true) */
  includeFailInfoText?: boolean;
}

/** Builds a CertRep (RFC 8894 §3.3.2) with every authenticated attribute clients check. */
export function buildCertRep(options: CertRepOptions): Uint8Array {
  const o = options.outcome;
  const status = o.status === 'SUCCESS' ? PkiStatus.SUCCESS : o.status === 'PENDING' ? PkiStatus.PENDING : PkiStatus.FAILURE;
  const attributes = [
    cmsAttribute(ScepOid.messageType, derPrintable('3')),
    cmsAttribute(ScepOid.pkiStatus, derPrintable(String(status))),
    cmsAttribute(ScepOid.transactionID, options.transactionIdDer),
    cmsAttribute(ScepOid.senderNonce, derOctetString(options.senderNonce ?? randomBytes(16))),
    cmsAttribute(ScepOid.signingTime, derTime(options.signingTime ?? new Date())),
  ];
  if (options.recipientNonce !== undefined) attributes.push(cmsAttribute(ScepOid.recipientNonce, derOctetString(options.recipientNonce)));
  let content: Uint8Array | undefined;
  if (o.status === 'FAILURE') {
    attributes.push(cmsAttribute(ScepOid.failInfo, derPrintable(String(o.failInfo))));
    if (o.failInfoText && options.includeFailInfoText !== false)
      attributes.push(cmsAttribute(ScepOid.failInfoText, derTlv(Tag.UTF8_STRING, new Uint8Array(Buffer.from(o.failInfoText.slice(0, 512), 'utf8')))));
  } else if (o.status === 'SUCCESS') {
    if (options.recipientCertificate === undefined)
      throw new ScepError('BAD_CONTENT', 'a CertRep SUCCESS needs the recipient certificate', { field: 'recipient' });
    const degenerate = buildDegenerateSignedData(o.certificates, o.crls ?? []);
    content = buildEnvelopedData({
      content: degenerate,
      recipient: options.recipientCertificate,
      cipher: replyCipherFor(options.requestCipher ?? 'aes-128-cbc') as Exclude<ContentCipher, 'des-cbc'>,
    });
  }
  return buildSignedData({
    ...(content !== undefined ? { content } : {}),
    attributes,
    digest: options.digest,
    signerCertificate: options.signerCertificate,
    signerKey: options.signerKey,
    ...(options.extraCertificates ? { extraCertificates: options.extraCertificates } : {}),
  });
}

/** SHA-256 hex of bytes: request fingerprints (CSR hashes, signer keys). */
export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
