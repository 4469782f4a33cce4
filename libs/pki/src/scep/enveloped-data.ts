/**
 * CMS EnvelopedData (RFC 5652 §6) with key transport (KeyTransRecipientInfo), on node:crypto.
 * pkijs cannot do rsaEncryption or 3DES on Node 20 (research/npm-audit.md §4), so the structure is
 * walked here and the cryptography is:
 *   - RSAES-PKCS1-v1_5: raw RSA + constant-time unpad with implicit rejection (pkcs1.ts);
 *   - RSAES-OAEP (RFC 8017; parameters per RFC 4055, default SHA-1/MGF1-SHA-1: what Windows sends);
 *   - content: AES-128/192/256-CBC, 3DES-CBC, and single DES only when enabled (ciphers.ts).
 * Every way an envelope fails to open after the algorithms are known is one error,
 * DECRYPT_FAILED, with one message: the caller answers them all the same (no oracle).
 */
import { constants, privateDecrypt, publicEncrypt, type KeyObject } from 'node:crypto';
import { publicKeyFromSpki } from '../keys.js';
import { bytesEqual } from '../bytes.js';
import { derSmallInteger, tlvRaw } from '../der.js';
import { isPkiError } from '../errors.js';
import {
  DerReader,
  Tag,
  algorithmIdentifier,
  contextTag,
  derExplicit,
  derOctetString,
  derOid,
  derSequence,
  derSet,
  derTlv,
  tlvValue,
  type Tlv,
} from './asn1.js';
import { CONTENT_CIPHERS, contentCipherByOid, decryptContent, encryptContent, type ContentCipher, type DecryptOptions } from './ciphers.js';
import { DIGEST_BY_OID, DIGEST_OID, ScepOid, type DigestName } from './constants.js';
import { ScepError } from './errors.js';
import { rsaPkcs1v15DecryptImplicit, syntheticMessage } from './pkcs1.js';
import { readCertificateLenient } from './signed-data.js';

export type KeyTransport = { kind: 'rsaEncryption' } | { kind: 'rsaes-oaep'; hash: DigestName; label?: Uint8Array };

export interface RecipientRef {
  issuer?: Uint8Array;
  serial?: Uint8Array;
  subjectKeyId?: Uint8Array;
}

export interface ParsedEnvelope {
  recipients: { rid: RecipientRef; keyTransport: KeyTransport; encryptedKey: Uint8Array }[];
  cipher: ContentCipher;
  iv: Uint8Array;
  ciphertext: Uint8Array;
}

/** A key we can decrypt with, and the certificate clients address it by. */
export interface DecryptionIdentity {
  certificate: Uint8Array;
  key: KeyObject;
}

function walk<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (isPkiError(e)) throw new ScepError('BAD_MESSAGE', e.message, { field: e.details.field, offset: e.details.offset }, e);
    throw e;
  }
}

/** Parses ContentInfo{envelopedData} (DER; BER already normalised by the SignedData layer). */
export function parseEnvelopedData(der: Uint8Array): ParsedEnvelope {
  return walk(() => {
    const r = new DerReader(der, 'BAD_PKCS7');
    const [typeTlv, wrapped] = r.childrenOf(r.readRoot('ContentInfo'), Tag.SEQUENCE, 'ContentInfo');
    if (typeTlv === undefined || wrapped === undefined) return r.fail('ContentInfo', 0, 'expected contentType and content');
    const type = r.oid(typeTlv, 'ContentInfo.contentType');
    if (type !== ScepOid.envelopedData) return r.fail('ContentInfo.contentType', typeTlv.offset, `expected envelopedData, found ${type}`);
    const [ed] = r.childrenOf(wrapped, contextTag(0, true), 'ContentInfo.content');
    if (ed === undefined) return r.fail('EnvelopedData', wrapped.offset, 'empty');
    const fields = r.childrenOf(ed, Tag.SEQUENCE, 'EnvelopedData');
    let i = 1; // version
    if (fields[i]?.tag === contextTag(0, true)) i++; // originatorInfo
    const ris = fields[i];
    const eci = fields[i + 1];
    if (ris === undefined || eci === undefined) return r.fail('EnvelopedData', ed.offset, 'missing recipientInfos or encryptedContentInfo');
    const recipients = r
      .childrenOf(ris, Tag.SET, 'EnvelopedData.recipientInfos')
      .filter((ri) => ri.tag === Tag.SEQUENCE) // KeyTransRecipientInfo; [1]..[4] are other kinds
      .map((ri, n) => parseKtri(r, ri, `recipientInfos[${n}]`));
    const [ctype, calg, econtent] = r.childrenOf(eci, Tag.SEQUENCE, 'EnvelopedData.encryptedContentInfo');
    if (ctype === undefined || calg === undefined) return r.fail('encryptedContentInfo', eci.offset, 'missing fields');
    const [calgOid, ivTlv] = r.childrenOf(calg, Tag.SEQUENCE, 'contentEncryptionAlgorithm');
    if (calgOid === undefined) return r.fail('contentEncryptionAlgorithm', calg.offset, 'empty');
    const oid = r.oid(calgOid, 'contentEncryptionAlgorithm.algorithm');
    const cipher = contentCipherByOid(oid);
    if (cipher === undefined)
      throw new ScepError('UNSUPPORTED_ALGORITHM', `content encryption ${oid} is not supported (AES-CBC, 3DES-CBC are)`, {
        field: 'contentEncryptionAlgorithm',
      });
    if (ivTlv === undefined || ivTlv.tag !== Tag.OCTET_STRING)
      return r.fail('contentEncryptionAlgorithm.parameters', calg.offset, 'expected the IV as an OCTET STRING');
    if (econtent === undefined) return r.fail('encryptedContentInfo.encryptedContent', eci.offset, 'missing (detached content is not used by SCEP)');
    return { recipients, cipher, iv: tlvValue(ivTlv), ciphertext: encryptedContentOctets(r, econtent) };
  });
}

/** [0] IMPLICIT OCTET STRING: primitive (DER), or constructed with OCTET STRING chunks (BER). */
function encryptedContentOctets(r: DerReader, t: Tlv): Uint8Array {
  if (t.tag === contextTag(0, false)) return tlvValue(t);
  if (t.tag === contextTag(0, true))
    return Buffer.concat(r.children(t, 'encryptedContent').map((c) => tlvValue(r.expect(c, Tag.OCTET_STRING, 'encryptedContent'))));
  return r.fail('encryptedContentInfo.encryptedContent', t.offset, `unexpected tag 0x${t.tag.toString(16)}`);
}

function parseKtri(r: DerReader, ri: Tlv, field: string): ParsedEnvelope['recipients'][number] {
  const [, ridTlv, alg, ek] = r.children(ri, field);
  if (ridTlv === undefined || alg === undefined || ek === undefined)
    return r.fail(field, ri.offset, 'expected version, rid, keyEncryptionAlgorithm, encryptedKey');
  const rid: RecipientRef = {};
  if (ridTlv.tag === Tag.SEQUENCE) {
    const [issuer, serial] = r.children(ridTlv, `${field}.rid`);
    if (issuer === undefined || serial === undefined) return r.fail(`${field}.rid`, ridTlv.offset, 'expected issuer and serialNumber');
    rid.issuer = tlvRaw(issuer);
    rid.serial = tlvValue(r.expect(serial, Tag.INTEGER, `${field}.rid.serialNumber`));
  } else if (ridTlv.tag === contextTag(0, false)) rid.subjectKeyId = tlvValue(ridTlv);
  const [algOidTlv, params] = r.childrenOf(alg, Tag.SEQUENCE, `${field}.keyEncryptionAlgorithm`);
  if (algOidTlv === undefined) return r.fail(`${field}.keyEncryptionAlgorithm`, alg.offset, 'empty');
  const algOid = r.oid(algOidTlv, `${field}.keyEncryptionAlgorithm.algorithm`);
  let keyTransport: KeyTransport;
  if (algOid === ScepOid.rsaEncryption) keyTransport = { kind: 'rsaEncryption' };
  else if (algOid === ScepOid.rsaesOaep) keyTransport = oaepParams(r, params, `${field}.keyEncryptionAlgorithm.parameters`);
  else
    throw new ScepError('UNSUPPORTED_ALGORITHM', `key transport ${algOid} is not supported (rsaEncryption, RSAES-OAEP are)`, {
      field: `${field}.keyEncryptionAlgorithm`,
    });
  return { rid, keyTransport, encryptedKey: tlvValue(r.expect(ek, Tag.OCTET_STRING, `${field}.encryptedKey`)) };
}

/** RFC 4055 §4.1 RSAES-OAEP-params; MGF1 must use the same hash (what node:crypto does). */
function oaepParams(r: DerReader, params: Tlv | undefined, field: string): KeyTransport {
  let hash: DigestName = 'sha1';
  let mgfHash: DigestName = 'sha1';
  let label: Uint8Array | undefined;
  if (params !== undefined && params.tag === Tag.SEQUENCE) {
    for (const p of r.children(params, field)) {
      const [inner] = r.children(p, field);
      if (inner === undefined) continue;
      if (p.tag === contextTag(0, true)) hash = digestOf(r, inner, `${field}.hashFunc`);
      else if (p.tag === contextTag(1, true)) {
        const [mgfOid, mgfParams] = r.childrenOf(inner, Tag.SEQUENCE, `${field}.maskGenFunc`);
        if (mgfOid === undefined || r.oid(mgfOid, `${field}.maskGenFunc`) !== ScepOid.mgf1)
          throw new ScepError('UNSUPPORTED_ALGORITHM', 'OAEP mask generation other than MGF1', { field });
        if (mgfParams !== undefined) mgfHash = digestOf(r, mgfParams, `${field}.maskGenFunc.hash`);
      } else if (p.tag === contextTag(2, true)) {
        const [, value] = r.childrenOf(inner, Tag.SEQUENCE, `${field}.pSourceFunc`);
        if (value !== undefined && tlvValue(value).length > 0) label = tlvValue(value);
      }
    }
  }
  if (hash !== mgfHash)
    throw new ScepError('UNSUPPORTED_ALGORITHM', `OAEP with ${hash} and MGF1-${mgfHash} is not supported (the same hash for both is)`, { field });
  return { kind: 'rsaes-oaep', hash, ...(label ? { label } : {}) };
}

function digestOf(r: DerReader, alg: Tlv, field: string): DigestName {
  const [oid] = r.childrenOf(alg, Tag.SEQUENCE, field);
  if (oid === undefined) return r.fail(field, alg.offset, 'empty');
  const d = DIGEST_BY_OID[r.oid(oid, field)];
  if (d === undefined) throw new ScepError('UNSUPPORTED_ALGORITHM', 'unsupported OAEP hash', { field });
  return d;
}

function matches(rid: RecipientRef, cert: Uint8Array): boolean {
  const c = readCertificateLenient(cert);
  if (rid.issuer && rid.serial) return bytesEqual(rid.issuer, c.issuer) && bytesEqual(rid.serial, c.serial);
  if (rid.subjectKeyId && c.info?.subjectKeyId !== undefined) return c.info.subjectKeyId === Buffer.from(rid.subjectKeyId).toString('hex');
  return false;
}

export interface OpenedEnvelope {
  content: Uint8Array;
  cipher: ContentCipher;
  keyTransport: KeyTransport;
  /** the identity that opened it */
  recipient: DecryptionIdentity;
}

/** Opens an envelope addressed to one of `identities`. Throws NOT_RECIPIENT, DECRYPT_FAILED, UNSUPPORTED_ALGORITHM. */
export function openEnvelope(der: Uint8Array, identities: readonly DecryptionIdentity[], options: DecryptOptions = {}): OpenedEnvelope {
  const env = parseEnvelopedData(der);
  for (const ri of env.recipients) {
    const identity = identities.find((id) => matches(ri.rid, id.certificate));
    if (identity === undefined) continue;
    const keyLength = CONTENT_CIPHERS[env.cipher].keyLength;
    const cek = unwrapKey(identity.key, ri.keyTransport, ri.encryptedKey, keyLength);
    const content = decryptContent(env.cipher, cek, env.iv, env.ciphertext, options);
    return { content, cipher: env.cipher, keyTransport: ri.keyTransport, recipient: identity };
  }
  throw new ScepError('NOT_RECIPIENT', 'the envelope is not addressed to any of our certificates (re-fetch GetCACert)', { field: 'recipientInfos' });
}

/** Unwraps the content-encryption key; a failure yields a synthetic key (no padding oracle). */
function unwrapKey(key: KeyObject, transport: KeyTransport, encryptedKey: Uint8Array, keyLength: number): Uint8Array {
  if (transport.kind === 'rsaEncryption') return rsaPkcs1v15DecryptImplicit(key, encryptedKey, keyLength);
  try {
    const cek = privateDecrypt(
      { key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: transport.hash, ...(transport.label ? { oaepLabel: Buffer.from(transport.label) } : {}) },
      encryptedKey,
    );
    if (cek.length === keyLength) return cek;
  } catch {
    // same path as a wrong length: fall through to the synthetic key
  }
  return syntheticMessage(key, encryptedKey, keyLength);
}

// ---- building ----

export interface EnvelopeOptions {
  content: Uint8Array;
  /** recipient certificate (RSA); its issuer+serial becomes the rid */
  recipient: Uint8Array;
  cipher: Exclude<ContentCipher, 'des-cbc'>;
  /** default rsaEncryption (PKCS#1 v1.5, what SCEP clients expect in CertRep) */
  keyTransport?: KeyTransport;
}

export function buildEnvelopedData(options: EnvelopeOptions): Uint8Array {
  const recipient = readCertificateLenient(options.recipient);
  const publicKey = publicKeyFromSpki(recipient.spki);
  if (publicKey.asymmetricKeyType !== 'rsa')
    throw new ScepError('UNSUPPORTED_ALGORITHM', 'the recipient certificate does not hold an RSA key', { field: 'recipient' });
  const enc = encryptContent(options.cipher, options.content);
  const transport = options.keyTransport ?? { kind: 'rsaEncryption' };
  let encryptedKey: Buffer;
  let keyAlg: Uint8Array;
  if (transport.kind === 'rsaEncryption') {
    encryptedKey = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, enc.key);
    keyAlg = algorithmIdentifier(ScepOid.rsaEncryption);
  } else {
    encryptedKey = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: transport.hash }, enc.key);
    // SHA-1 is the default: Windows sends empty parameters (an empty SEQUENCE)
    keyAlg =
      transport.hash === 'sha1'
        ? algorithmIdentifier(ScepOid.rsaesOaep, derSequence())
        : algorithmIdentifier(
            ScepOid.rsaesOaep,
            derSequence(
              derExplicit(0, algorithmIdentifier(DIGEST_OID[transport.hash])),
              derExplicit(1, algorithmIdentifier(ScepOid.mgf1, algorithmIdentifier(DIGEST_OID[transport.hash]))),
            ),
          );
  }
  const ktri = derSequence(derSmallInteger(0), derSequence(recipient.issuer, derTlv(Tag.INTEGER, recipient.serial)), keyAlg, derOctetString(encryptedKey));
  const eci = derSequence(
    derOid(ScepOid.data),
    algorithmIdentifier(CONTENT_CIPHERS[options.cipher].oid, derOctetString(enc.iv)),
    derTlv(contextTag(0, false), enc.ciphertext),
  );
  const ed = derSequence(derSmallInteger(0), derSet(ktri), eci);
  return derSequence(derOid(ScepOid.envelopedData), derExplicit(0, ed));
}
