import { ByteReader } from '../util/reader.js';
import { ByteWriter } from '../util/writer.js';
import { SMB2_TRANSFORM_HEADER_SIZE, SMB2_TRANSFORM_PROTOCOL_ID } from './constants.js';

/**
 * MS-SMB2 2.2.41 SMB2 TRANSFORM_HEADER, the 52-byte prefix of an encrypted message.
 * The AEAD's associated data is the header from Nonce onwards (bytes 20..52).
 */
export interface Smb2TransformHeader {
  /** The AEAD tag (16 bytes). */
  signature: Buffer;
  /** 16 bytes on the wire: 11 used by AES-CCM, 12 by AES-GCM, rest zero. */
  nonce: Buffer;
  originalMessageSize: number;
  /** 3.0/3.0.2: EncryptionAlgorithm (1 = AES-128-CCM); 3.1.1: Flags (1 = encrypted). */
  flags: number;
  sessionId: bigint;
}

export function encodeTransformHeader(h: Smb2TransformHeader): Buffer {
  if (h.signature.length !== 16) throw new RangeError('transform signature must be 16 bytes');
  if (h.nonce.length > 16) throw new RangeError('transform nonce is at most 16 bytes');
  const nonce = Buffer.alloc(16);
  h.nonce.copy(nonce);
  return new ByteWriter(SMB2_TRANSFORM_HEADER_SIZE)
    .u32(SMB2_TRANSFORM_PROTOCOL_ID)
    .bytes(h.signature)
    .bytes(nonce)
    .u32(h.originalMessageSize)
    .u16(0)
    .u16(h.flags)
    .u64(h.sessionId)
    .toBuffer();
}

export function decodeTransformHeader(msg: Buffer): Smb2TransformHeader {
  const r = new ByteReader(msg, 'SMB2TransformHeader');
  const protocolId = r.u32('ProtocolId');
  if (protocolId !== SMB2_TRANSFORM_PROTOCOL_ID) r.fail('ProtocolId', 'not a TRANSFORM_HEADER', 0);
  const signature = Buffer.from(r.bytes(16, 'Signature'));
  const nonce = Buffer.from(r.bytes(16, 'Nonce'));
  const originalMessageSize = r.u32('OriginalMessageSize');
  r.u16('Reserved');
  const flags = r.u16('Flags');
  const sessionId = r.u64('SessionId');
  if (originalMessageSize !== msg.length - SMB2_TRANSFORM_HEADER_SIZE) {
    r.fail('OriginalMessageSize', `says ${originalMessageSize}, ${msg.length - SMB2_TRANSFORM_HEADER_SIZE} byte(s) follow`, 36);
  }
  return { signature, nonce, originalMessageSize, flags, sessionId };
}

export function isTransformMessage(msg: Buffer): boolean {
  return msg.length >= 4 && msg.readUInt32LE(0) === SMB2_TRANSFORM_PROTOCOL_ID;
}
