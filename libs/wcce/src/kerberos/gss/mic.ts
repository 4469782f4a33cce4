import { timingSafeEqual } from 'node:crypto';
import { WcceError, WcceProtocolError } from '../../errors.js';
import { encryptionProfile, KeyUsage } from '../crypto/index.js';
import type { SecurityRole } from '../../security/provider.js';
import { GssTokenFlags, GssTokenId, type GssMessageKeys } from './token-flags.js';
import { checkFlags } from './wrap.js';

/**
 * RFC 4121 4.2.6.1 MIC tokens (GSS_GetMIC): 04 04 | flags | FF×5 | SND_SEQ (u64 BE) | SGN_CKSUM,
 * SGN_CKSUM = checksum(key, usage 25 initiator / 23 acceptor, data ‖ first 16 header bytes).
 * Used for DCE/RPC PKT_INTEGRITY verifiers and the SPNEGO mechListMIC.
 */
const HEADER_LENGTH = 16;

function signUsage(sender: SecurityRole): number {
  return sender === 'initiator' ? KeyUsage.GSS_INITIATOR_SIGN : KeyUsage.GSS_ACCEPTOR_SIGN;
}

function micHeader(sender: SecurityRole, keys: GssMessageKeys, seq: bigint): Buffer {
  const h = Buffer.alloc(HEADER_LENGTH, 0xff);
  h.writeUInt16BE(GssTokenId.MIC, 0);
  h[2] = (sender === 'acceptor' ? GssTokenFlags.SENT_BY_ACCEPTOR : 0) | (keys.acceptorSubkey ? GssTokenFlags.ACCEPTOR_SUBKEY : 0);
  h.writeBigUInt64BE(seq, 8);
  return h;
}

export function micTokenLength(etype: number): number {
  const profile = encryptionProfile(etype, { allowRc4: true });
  if (profile.etype === 23) throw new WcceError('UNSUPPORTED', 'RFC 4757 (rc4-hmac) MIC tokens are not implemented; use AES');
  return HEADER_LENGTH + profile.checksumLength;
}

export function getMic(keys: GssMessageKeys, sender: SecurityRole, seq: bigint, data: Buffer): Buffer {
  const profile = encryptionProfile(keys.etype, { allowRc4: true });
  if (profile.etype === 23) throw new WcceError('UNSUPPORTED', 'RFC 4757 (rc4-hmac) MIC tokens are not implemented; use AES');
  const h = micHeader(sender, keys, seq);
  return Buffer.concat([h, profile.checksum(keys.key, signUsage(sender), Buffer.concat([data, h]))]);
}

/** Verifies a MIC token sent by the peer of `receiver`; returns its sequence number. */
export function verifyMic(keys: GssMessageKeys, receiver: SecurityRole, data: Buffer, token: Buffer): { seq: bigint } {
  const structure = 'GSS MIC token';
  if (token.length < HEADER_LENGTH) throw new WcceProtocolError(structure, 'header', 0, `needs ${HEADER_LENGTH} bytes, got ${token.length}`);
  const id = token.readUInt16BE(0);
  if (id !== GssTokenId.MIC) throw new WcceProtocolError(structure, 'TOK_ID', 0, `0x${id.toString(16).padStart(4, '0')}, expected 0x0404`);
  for (let i = 3; i < 8; i++) if (token[i] !== 0xff) throw new WcceProtocolError(structure, 'Filler', i, 'expected 0xff');
  const sender: SecurityRole = receiver === 'initiator' ? 'acceptor' : 'initiator';
  checkFlags(token[2]!, sender, keys, false);
  const profile = encryptionProfile(keys.etype, { allowRc4: true });
  const h = token.subarray(0, HEADER_LENGTH);
  const expected = profile.checksum(keys.key, signUsage(sender), Buffer.concat([data, h]));
  const got = token.subarray(HEADER_LENGTH);
  if (got.length !== expected.length || !timingSafeEqual(got, expected)) throw new WcceError('INTEGRITY', 'GSS MIC token does not verify');
  return { seq: token.readBigUInt64BE(8) };
}
