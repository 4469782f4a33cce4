/**
 * CMS content-encryption algorithms a SCEP peer may use (RFC 8894 §3.5.2: AES and 3DES via
 * GetCACaps; single DES from old clients). AES and 3DES run on node:crypto; single DES runs in
 * TypeScript (des.ts) and only when the caller enables it.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ScepOid } from './constants.js';
import { desCbcDecrypt } from './des.js';
import { ScepError } from './errors.js';

export type ContentCipher = 'aes-128-cbc' | 'aes-192-cbc' | 'aes-256-cbc' | 'des-ede3-cbc' | 'des-cbc';

interface CipherSpec {
  oid: string;
  keyLength: number;
  ivLength: number;
}

export const CONTENT_CIPHERS: Readonly<Record<ContentCipher, CipherSpec>> = {
  'aes-128-cbc': { oid: ScepOid.aes128Cbc, keyLength: 16, ivLength: 16 },
  'aes-192-cbc': { oid: ScepOid.aes192Cbc, keyLength: 24, ivLength: 16 },
  'aes-256-cbc': { oid: ScepOid.aes256Cbc, keyLength: 32, ivLength: 16 },
  'des-ede3-cbc': { oid: ScepOid.desEde3Cbc, keyLength: 24, ivLength: 8 },
  'des-cbc': { oid: ScepOid.desCbc, keyLength: 8, ivLength: 8 },
};

export function contentCipherByOid(oid: string): ContentCipher | undefined {
  return (Object.keys(CONTENT_CIPHERS) as ContentCipher[]).find((c) => CONTENT_CIPHERS[c].oid === oid);
}

/** The cipher a reply uses for a request that used `requested`: the same, except single DES → 3DES. */
export function replyCipherFor(requested: ContentCipher): ContentCipher {
  return requested === 'des-cbc' ? 'des-ede3-cbc' : requested;
}

export interface DecryptOptions {
  /** Decrypt des-cbc requests (in TypeScript). Off unless an operator enables it. */
  allowSingleDes?: boolean;
}

/** Decrypts CBC content; any failure (padding, length) is DECRYPT_FAILED with one message. */
export function decryptContent(cipher: ContentCipher, key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array, options: DecryptOptions = {}): Uint8Array {
  const spec = CONTENT_CIPHERS[cipher];
  if (iv.length !== spec.ivLength)
    throw new ScepError('BAD_MESSAGE', `${cipher} needs a ${spec.ivLength}-byte IV, found ${iv.length}`, { field: 'contentEncryptionAlgorithm.parameters' });
  if (cipher === 'des-cbc' && options.allowSingleDes !== true) {
    throw new ScepError('UNSUPPORTED_ALGORITHM', 'single DES (des-cbc) content encryption is disabled; enable it for legacy clients or use AES/3DES', {
      field: 'contentEncryptionAlgorithm',
    });
  }
  try {
    if (cipher === 'des-cbc') return desCbcDecrypt(key, iv, ciphertext);
    const decipher = createDecipheriv(cipher, key, iv);
    return new Uint8Array(Buffer.concat([decipher.update(ciphertext), decipher.final()]));
  } catch (e) {
    throw new ScepError('DECRYPT_FAILED', 'the envelope does not decrypt', { field: 'encryptedContent' }, e);
  }
}

export interface EncryptedContent {
  key: Buffer;
  iv: Buffer;
  ciphertext: Buffer;
}

/** Encrypts with a fresh random key and IV. Single DES is never produced. */
export function encryptContent(cipher: Exclude<ContentCipher, 'des-cbc'>, plaintext: Uint8Array): EncryptedContent {
  const spec = CONTENT_CIPHERS[cipher];
  const key = randomBytes(spec.keyLength);
  const iv = randomBytes(spec.ivLength);
  const c = createCipheriv(cipher, key, iv);
  return { key, iv, ciphertext: Buffer.concat([c.update(plaintext), c.final()]) };
}
