import { createHmac, timingSafeEqual } from 'node:crypto';
import { aesCmac } from '../crypto/aes-cmac.js';
import { SMB2_HEADER_SIZE, SMB2_SIGNATURE_OFFSET, Smb2Dialect, Smb2HeaderFlags, Smb2SigningAlgorithm } from './constants.js';

/**
 * MS-SMB2 3.1.4.1 message signing: the signature is computed over the whole message (one part of
 * a compound, padding included) with the SMB2_FLAGS_SIGNED bit set and the Signature field zeroed.
 *  - 2.0.2 / 2.1: HMAC-SHA256(SessionKey), first 16 bytes.
 *  - 3.0 / 3.0.2 / 3.1.1: AES-128-CMAC(SigningKey); 3.1.1 may negotiate another algorithm
 *    (SIGNING_CAPABILITIES); we implement HMAC-SHA256 and AES-CMAC, not AES-GMAC.
 */
export type Smb2SigningAlgorithmId = Smb2SigningAlgorithm;

export function defaultSigningAlgorithm(dialect: number): Smb2SigningAlgorithm {
  return dialect === Smb2Dialect.SMB202 || dialect === Smb2Dialect.SMB210 ? Smb2SigningAlgorithm.HMAC_SHA256 : Smb2SigningAlgorithm.AES_CMAC;
}

/** The 16-byte signature of `message` (the message is not modified). */
export function computeSignature(algorithm: Smb2SigningAlgorithm, key: Buffer, message: Buffer): Buffer {
  if (message.length < SMB2_HEADER_SIZE) throw new RangeError('cannot sign a message shorter than the SMB2 header');
  const copy = Buffer.from(message);
  copy.writeUInt32LE((copy.readUInt32LE(16) | Smb2HeaderFlags.SIGNED) >>> 0, 16);
  copy.fill(0, SMB2_SIGNATURE_OFFSET, SMB2_SIGNATURE_OFFSET + 16);
  if (algorithm === Smb2SigningAlgorithm.HMAC_SHA256) return createHmac('sha256', key).update(copy).digest().subarray(0, 16);
  return aesCmac(key, copy);
}

/** Sets SMB2_FLAGS_SIGNED and writes the signature into `message` in place. */
export function signMessage(algorithm: Smb2SigningAlgorithm, key: Buffer, message: Buffer): void {
  const signature = computeSignature(algorithm, key, message);
  message.writeUInt32LE((message.readUInt32LE(16) | Smb2HeaderFlags.SIGNED) >>> 0, 16);
  signature.copy(message, SMB2_SIGNATURE_OFFSET);
}

/** Constant-time check of the signature carried in `message`. */
export function verifySignature(algorithm: Smb2SigningAlgorithm, key: Buffer, message: Buffer): boolean {
  if (message.length < SMB2_HEADER_SIZE) return false;
  const expected = computeSignature(algorithm, key, message);
  return timingSafeEqual(expected, message.subarray(SMB2_SIGNATURE_OFFSET, SMB2_SIGNATURE_OFFSET + 16));
}

export function isSigned(message: Buffer): boolean {
  return message.length >= SMB2_HEADER_SIZE && (message.readUInt32LE(16) & Smb2HeaderFlags.SIGNED) !== 0;
}
