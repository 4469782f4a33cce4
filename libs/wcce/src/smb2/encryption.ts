import { createCipheriv, createDecipheriv, randomBytes, type CipherCCMTypes, type CipherGCMTypes } from 'node:crypto';
import { WcceError } from '../errors.js';
import { SMB2_TRANSFORM_FLAG_ENCRYPTED, SMB2_TRANSFORM_HEADER_SIZE, Smb2Cipher } from './constants.js';
import { decodeTransformHeader, encodeTransformHeader } from './transform.js';

/**
 * MS-SMB2 3.1.4.3 encrypting and 3.2.5.1.1.1 / 3.3.5.2.1.1 decrypting messages with the SMB2
 * TRANSFORM_HEADER. AES-128-CCM (11-byte nonce, 3.0 and later) and AES-128-GCM (12-byte nonce,
 * 3.1.1). The associated data is the transform header from its Nonce field on (32 bytes); the
 * AEAD tag goes into the header's Signature field.
 */
const AAD_OFFSET = 20;
const TAG_LENGTH = 16;

export function nonceLength(cipher: Smb2Cipher): number {
  return cipher === Smb2Cipher.AES_128_GCM ? 12 : 11;
}

/**
 * Unique nonces for one key: a random prefix and a 64-bit counter (MS-SMB2 3.2.4.1.8 says
 * "unique for every message"; random alone would also do at our volumes, a counter makes it certain).
 */
export class NonceSequence {
  private counter = 0n;
  private readonly prefix: Buffer;

  constructor(private readonly cipher: Smb2Cipher) {
    this.prefix = randomBytes(nonceLength(cipher) - 8);
  }

  next(): Buffer {
    const n = Buffer.alloc(nonceLength(this.cipher));
    this.prefix.copy(n, 0);
    n.writeBigUInt64LE(this.counter++, this.prefix.length);
    return n;
  }
}

function aad(header: Buffer): Buffer {
  return header.subarray(AAD_OFFSET, SMB2_TRANSFORM_HEADER_SIZE);
}

/** Encrypts one (possibly compounded) SMB2 message for `sessionId`; returns TRANSFORM_HEADER + ciphertext. */
export function encryptMessage(cipher: Smb2Cipher, key: Buffer, sessionId: bigint, message: Buffer, nonce: Buffer): Buffer {
  if (nonce.length !== nonceLength(cipher)) throw new RangeError(`nonce must be ${nonceLength(cipher)} bytes for cipher ${cipher}`);
  const header = encodeTransformHeader({
    signature: Buffer.alloc(16),
    nonce,
    originalMessageSize: message.length,
    flags: SMB2_TRANSFORM_FLAG_ENCRYPTED,
    sessionId,
  });
  let ciphertext: Buffer;
  let tag: Buffer;
  if (cipher === Smb2Cipher.AES_128_GCM) {
    const c = createCipheriv('aes-128-gcm' as CipherGCMTypes, key, nonce, {
      authTagLength: TAG_LENGTH,
    });
    c.setAAD(aad(header));
    ciphertext = Buffer.concat([c.update(message), c.final()]);
    tag = c.getAuthTag();
  } else {
    const c = createCipheriv('aes-128-ccm' as CipherCCMTypes, key, nonce, {
      authTagLength: TAG_LENGTH,
    });
    c.setAAD(aad(header), { plaintextLength: message.length });
    ciphertext = Buffer.concat([c.update(message), c.final()]);
    tag = c.getAuthTag();
  }
  tag.copy(header, 4);
  return Buffer.concat([header, ciphertext]);
}

/**
 * Decrypts a transformed message with `key`. A bad tag or a malformed header is
 * WcceError('INTEGRITY') / WcceProtocolError; the caller picks the key by the header's SessionId.
 */
export function decryptMessage(cipher: Smb2Cipher, key: Buffer, transformed: Buffer): Buffer {
  const h = decodeTransformHeader(transformed);
  const header = transformed.subarray(0, SMB2_TRANSFORM_HEADER_SIZE);
  const ciphertext = transformed.subarray(SMB2_TRANSFORM_HEADER_SIZE);
  const nonce = h.nonce.subarray(0, nonceLength(cipher));
  try {
    if (cipher === Smb2Cipher.AES_128_GCM) {
      const d = createDecipheriv('aes-128-gcm' as CipherGCMTypes, key, nonce, {
        authTagLength: TAG_LENGTH,
      });
      d.setAuthTag(h.signature);
      d.setAAD(aad(header));
      return Buffer.concat([d.update(ciphertext), d.final()]);
    }
    const d = createDecipheriv('aes-128-ccm' as CipherCCMTypes, key, nonce, {
      authTagLength: TAG_LENGTH,
    });
    d.setAuthTag(h.signature);
    d.setAAD(aad(header), { plaintextLength: ciphertext.length });
    const plain = d.update(ciphertext);
    d.final();
    return plain;
  } catch (cause) {
    throw new WcceError('INTEGRITY', `SMB2 encrypted message for session 0x${h.sessionId.toString(16)} failed authentication`, { cause });
  }
}

/** The session id a TRANSFORM_HEADER is addressed to (to pick the key before decrypting). */
export function transformSessionId(transformed: Buffer): bigint {
  return decodeTransformHeader(transformed).sessionId;
}
