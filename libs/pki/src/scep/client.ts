/**
 * The client half of the codec: self-signed signer certificates, PKCSReq/RenewalReq/CertPoll
 * messages and CertRep reading. Used by our tests and benchmark clients (e.g. to emulate the
 * Windows client exactly: OAEP, AES-128, SHA-1, a critical-AKI signer), and by RA self-enrolment.
 */
import { createHash, createPublicKey, randomBytes, sign as nodeSign, type KeyObject } from 'node:crypto';
import { derSmallInteger } from '../der.js';
import {
  Tag,
  algorithmIdentifier,
  contextTag,
  derExplicit,
  derOctetString,
  derOid,
  derPrintable,
  derSequence,
  derTime,
  derTlv,
  tlvValue,
  DerReader,
} from './asn1.js';
import { type ContentCipher, type DecryptOptions } from './ciphers.js';
import { PkiStatus, ScepOid, type DigestName } from './constants.js';
import { buildEnvelopedData, openEnvelope, type KeyTransport } from './enveloped-data.js';
import { ScepError } from './errors.js';
import { parsePkiMessage, verifyPkiMessage, type PkiMessage } from './message.js';
import { buildSignedData, cmsAttribute, parseSignedData, readCertificateLenient } from './signed-data.js';

const HASH_WITH_RSA: Record<DigestName, string> = {
  sha1: '1.2.840.113549.1.1.5',
  sha256: '1.2.840.113549.1.1.11',
  sha384: '1.2.840.113549.1.1.12',
  sha512: '1.2.840.113549.1.1.13',
};

/** A Name with one CN (UTF8String, as Windows writes `CN=SCEP Protocol Certificate`). */
export function commonNameDer(cn: string): Uint8Array {
  return derSequence(derTlv(Tag.SET, derSequence(derOid('2.5.4.3'), derTlv(Tag.UTF8_STRING, new Uint8Array(Buffer.from(cn, 'utf8'))))));
}

export interface SignerCertificateOptions {
  privateKey: KeyObject;
  /** Name DER; default CN=SCEP Protocol Certificate */
  subject?: Uint8Array;
  hash?: DigestName;
  /** add AuthorityKeyIdentifier marked critical, as the Windows client does */
  criticalAki?: boolean;
  notBefore?: Date;
  notAfter?: Date;
}

/** A self-signed RSA certificate for signing SCEP requests (RFC 8894 §2.3), built by hand so every quirk can be reproduced. */
export function createSignerCertificate(options: SignerCertificateOptions): Uint8Array {
  const spki = new Uint8Array(createPublicKey(options.privateKey).export({ format: 'der', type: 'spki' }));
  const name = options.subject ?? commonNameDer('SCEP Protocol Certificate');
  const hash = options.hash ?? 'sha256';
  const sigAlg = algorithmIdentifier(HASH_WITH_RSA[hash]);
  const keyBits = tlvValue(new DerReader(spki, 'BAD_DER').children(new DerReader(spki, 'BAD_DER').readRoot('spki'), 'spki')[1]!).subarray(1);
  const keyId = createHash('sha1').update(keyBits).digest();
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x10;
  const now = Date.now();
  const exts = [derSequence(derOid('2.5.29.14'), derOctetString(derOctetString(keyId)))];
  if (options.criticalAki)
    exts.unshift(derSequence(derOid('2.5.29.35'), derTlv(Tag.BOOLEAN, Uint8Array.of(0xff)), derOctetString(derSequence(derTlv(contextTag(0, false), keyId)))));
  const tbs = derSequence(
    derExplicit(0, derSmallInteger(2)),
    derTlv(Tag.INTEGER, serial),
    sigAlg,
    name,
    derSequence(derTime(options.notBefore ?? new Date(now - 10 * 60_000)), derTime(options.notAfter ?? new Date(now + 365 * 86_400_000))),
    name,
    spki,
    derExplicit(3, derSequence(...exts)),
  );
  const signature = nodeSign(hash, tbs, options.privateKey);
  return derSequence(tbs, sigAlg, derTlv(Tag.BIT_STRING, Uint8Array.of(0), signature));
}

export interface PkiRequestOptions {
  messageType: number;
  transactionId: string;
  senderNonce?: Uint8Array;
  /** content to envelope (a CSR, IssuerAndSubject, IssuerAndSerialNumber) */
  content: Uint8Array;
  /** the RA (or CA) encryption certificate from GetCACert */
  recipient: Uint8Array;
  cipher: Exclude<ContentCipher, 'des-cbc'>;
  keyTransport?: KeyTransport;
  digest: DigestName;
  signerCertificate: Uint8Array;
  signerKey: KeyObject;
  /** SignerInfo.signatureAlgorithm; Windows uses rsaEncryption */
  signatureAlgorithm?: 'rsaEncryption' | 'hashWithRsa';
}

/** Builds a client pkiMessage (PKCSReq, RenewalReq, CertPoll, GetCert, GetCRL). */
export function buildPkiRequest(options: PkiRequestOptions): Uint8Array {
  const envelope = buildEnvelopedData({
    content: options.content,
    recipient: options.recipient,
    cipher: options.cipher,
    ...(options.keyTransport ? { keyTransport: options.keyTransport } : {}),
  });
  return buildSignedData({
    content: envelope,
    attributes: [
      cmsAttribute(ScepOid.messageType, derPrintable(String(options.messageType))),
      cmsAttribute(ScepOid.transactionID, derPrintable(options.transactionId)),
      cmsAttribute(ScepOid.senderNonce, derOctetString(options.senderNonce ?? randomBytes(16))),
      cmsAttribute(ScepOid.signingTime, derTime(new Date())),
    ],
    digest: options.digest,
    signerCertificate: options.signerCertificate,
    signerKey: options.signerKey,
    signatureAlgorithm: options.signatureAlgorithm ?? 'rsaEncryption',
  });
}

export interface CertRepRead {
  message: PkiMessage;
  status: 'SUCCESS' | 'FAILURE' | 'PENDING';
  failInfo?: number;
  failInfoText?: string;
  /** SUCCESS: the certificates of the decrypted degenerate SignedData, in order */
  certificates: Uint8Array[];
  crls: Uint8Array[];
}

/** Verifies and reads a CertRep addressed to us (the request's signer certificate and key). */
export function readCertRep(der: Uint8Array, client: { certificate: Uint8Array; key: KeyObject }, options: DecryptOptions = {}): CertRepRead {
  const message = parsePkiMessage(der);
  verifyPkiMessage(message);
  if (message.messageType !== 3) throw new ScepError('BAD_MESSAGE', `expected a CertRep (3), got messageType ${message.messageType}`);
  const status =
    message.pkiStatus === PkiStatus.SUCCESS
      ? 'SUCCESS'
      : message.pkiStatus === PkiStatus.PENDING
        ? 'PENDING'
        : message.pkiStatus === PkiStatus.FAILURE
          ? 'FAILURE'
          : undefined;
  if (status === undefined) throw new ScepError('BAD_MESSAGE', `pkiStatus ${String(message.pkiStatus)} is not SUCCESS, FAILURE or PENDING`);
  const out: CertRepRead = { message, status, certificates: [], crls: [] };
  if (message.failInfo !== undefined) out.failInfo = message.failInfo;
  if (message.failInfoText !== undefined) out.failInfoText = message.failInfoText;
  if (status === 'SUCCESS') {
    if (message.envelope === undefined) throw new ScepError('BAD_MESSAGE', 'CertRep SUCCESS without content');
    const opened = openEnvelope(message.envelope, [{ certificate: client.certificate, key: client.key }], options);
    const inner = parseSignedData(opened.content);
    out.certificates = inner.certificates;
    out.crls = inner.crls;
  }
  return out;
}

/** RFC 8894 §3.2.1.1: a transactionID derived from the public key (what Windows and certmonger do). */
export function transactionIdFor(spki: Uint8Array, hash: DigestName = 'sha1'): string {
  return createHash(hash).update(spki).digest('hex');
}

/** The SPKI of a certificate (for transaction ids and key checks). */
export function certificateSpki(certificate: Uint8Array): Uint8Array {
  return readCertificateLenient(certificate).spki;
}
