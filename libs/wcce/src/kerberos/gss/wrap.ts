import { timingSafeEqual } from 'node:crypto';
import { WcceError, WcceProtocolError } from '../../errors.js';
import { encryptionProfile, KeyUsage } from '../crypto/index.js';
import type { SecurityRole } from '../../security/provider.js';
import { GssTokenFlags, GssTokenId, type GssMessageKeys } from './token-flags.js';

/**
 * RFC 4121 4.2.6.2 Wrap tokens with confidentiality, in the DCE style of MS-KILE 3.4.5.4.1 that
 * DCE/RPC PKT_PRIVACY uses (research/wcce-protocol.md 4.4):
 *
 *   header = 05 04 | flags | FF | EC (u16 BE) | RRC (u16 BE) | SND_SEQ (u64 BE)
 *   C      = Encrypt(key, usage, data ‖ filler(EC) ‖ header-with-RRC-0)   (confounder, HMAC inside)
 *   the token is header(RRC = 28) ‖ C rotated right by RRC + EC (Windows counts EC in the rotation)
 *
 * The last len(data) bytes of the rotated C replace the stub in the PDU (same length); the header
 * and the first bytes of the rotated C are the auth_value (verifier).
 */
const HEADER_LENGTH = 16;
const FILLER = 0xff;
/** The RRC Windows puts in DCE-style tokens: 16 (header copy) + 12 (HMAC-SHA1-96). */
export const DCE_RRC = 28;

/** How the EC (extra count) filler is chosen when sending; receivers honour whatever EC says. */
export type WrapPadding =
  /** MS-KILE 3.4.5.4.1: EC = 16 always; constant verifier length (Windows). */
  | 'ms-kile'
  /** EC pads data to a 16-byte multiple, 0..15 (impacket; the Appendix B vector). */
  | 'block';

export function wrapEc(padding: WrapPadding, dataLength: number): number {
  return padding === 'ms-kile' ? 16 : (16 - (dataLength % 16)) % 16;
}

function sealUsage(sender: SecurityRole): number {
  return sender === 'initiator' ? KeyUsage.GSS_INITIATOR_SEAL : KeyUsage.GSS_ACCEPTOR_SEAL;
}

function flagsFor(sender: SecurityRole, keys: GssMessageKeys, sealed: boolean): number {
  return (
    (sender === 'acceptor' ? GssTokenFlags.SENT_BY_ACCEPTOR : 0) |
    (sealed ? GssTokenFlags.SEALED : 0) |
    (keys.acceptorSubkey ? GssTokenFlags.ACCEPTOR_SUBKEY : 0)
  );
}

function header(flags: number, ec: number, rrc: number, seq: bigint): Buffer {
  const h = Buffer.alloc(HEADER_LENGTH);
  h.writeUInt16BE(GssTokenId.WRAP, 0);
  h[2] = flags;
  h[3] = FILLER;
  h.writeUInt16BE(ec, 4);
  h.writeUInt16BE(rrc, 6);
  h.writeBigUInt64BE(seq, 8);
  return h;
}

function rotateRight(buf: Buffer, n: number): Buffer {
  if (buf.length === 0) return buf;
  const k = n % buf.length;
  return k === 0 ? Buffer.from(buf) : Buffer.concat([buf.subarray(buf.length - k), buf.subarray(0, buf.length - k)]);
}

function rotateLeft(buf: Buffer, n: number): Buffer {
  if (buf.length === 0) return buf;
  return rotateRight(buf, buf.length - (n % buf.length));
}

/** Length of the DCE-style verifier: header + encryption overhead + filler + header copy. */
export function dceWrapVerifierLength(etype: number, ec: number): number {
  const profile = encryptionProfile(etype, { allowRc4: true });
  if (profile.etype === 23) throw new WcceError('UNSUPPORTED', 'RFC 4757 (rc4-hmac) wrap tokens are not implemented; use AES');
  return HEADER_LENGTH + profile.overhead + ec + HEADER_LENGTH;
}

export interface DceWrapInput {
  keys: GssMessageKeys;
  sender: SecurityRole;
  seq: bigint;
  data: Buffer;
  padding?: WrapPadding;
  /** Tests only: a fixed confounder. */
  confounder?: Buffer;
}

export interface DceWrapOutput {
  /** header (RRC = 28) ‖ first bytes of the rotated ciphertext: the RPC auth_value. */
  verifier: Buffer;
  /** The sealed stub: same length as the data. */
  sealed: Buffer;
}

export function dceWrap(input: DceWrapInput): DceWrapOutput {
  const profile = encryptionProfile(input.keys.etype, { allowRc4: true });
  if (profile.etype === 23) throw new WcceError('UNSUPPORTED', 'RFC 4757 (rc4-hmac) wrap tokens are not implemented; use AES');
  const ec = wrapEc(input.padding ?? 'ms-kile', input.data.length);
  const flags = flagsFor(input.sender, input.keys, true);
  const plain = Buffer.concat([input.data, Buffer.alloc(ec, FILLER), header(flags, ec, 0, input.seq)]);
  const c = profile.encrypt(input.keys.key, sealUsage(input.sender), plain, input.confounder);
  const rotated = rotateRight(c, DCE_RRC + ec);
  const split = rotated.length - input.data.length;
  return {
    verifier: Buffer.concat([header(flags, ec, DCE_RRC, input.seq), rotated.subarray(0, split)]),
    sealed: rotated.subarray(split),
  };
}

export interface DceUnwrapInput {
  keys: GssMessageKeys;
  /** Our role: the token was sent by the other side. */
  receiver: SecurityRole;
  verifier: Buffer;
  sealed: Buffer;
}

export interface ParsedWrapHeader {
  flags: number;
  ec: number;
  rrc: number;
  seq: bigint;
}

export function parseWrapHeader(token: Buffer, structure = 'GSS Wrap token'): ParsedWrapHeader {
  if (token.length < HEADER_LENGTH) throw new WcceProtocolError(structure, 'header', 0, `needs ${HEADER_LENGTH} bytes, got ${token.length}`);
  const id = token.readUInt16BE(0);
  if (id !== GssTokenId.WRAP) throw new WcceProtocolError(structure, 'TOK_ID', 0, `0x${id.toString(16).padStart(4, '0')}, expected 0x0504`);
  if (token[3] !== FILLER) throw new WcceProtocolError(structure, 'Filler', 3, `0x${token[3]!.toString(16)}, expected 0xff`);
  return { flags: token[2]!, ec: token.readUInt16BE(4), rrc: token.readUInt16BE(6), seq: token.readBigUInt64BE(8) };
}

/** Reverses dceWrap; returns the data and the sender's sequence number. Throws INTEGRITY on any mismatch. */
export function dceUnwrap(input: DceUnwrapInput): { data: Buffer; seq: bigint } {
  const h = parseWrapHeader(input.verifier);
  const sender: SecurityRole = input.receiver === 'initiator' ? 'acceptor' : 'initiator';
  checkFlags(h.flags, sender, input.keys, true);
  const profile = encryptionProfile(input.keys.etype, { allowRc4: true });
  const rotated = Buffer.concat([input.verifier.subarray(HEADER_LENGTH), input.sealed]);
  const c = rotateLeft(rotated, h.rrc + h.ec);
  const plain = profile.decrypt(input.keys.key, sealUsage(sender), c);
  if (plain.length < h.ec + HEADER_LENGTH) throw new WcceError('INTEGRITY', 'GSS wrap token: plaintext shorter than EC + header');
  const copy = plain.subarray(plain.length - HEADER_LENGTH);
  // RFC 4121 4.2.4: the encrypted header copy must match the received header, RRC excepted (it is 0 there).
  const expected = Buffer.from(input.verifier.subarray(0, HEADER_LENGTH));
  expected.writeUInt16BE(0, 6);
  if (!timingSafeEqual(copy, expected)) throw new WcceError('INTEGRITY', 'GSS wrap token: encrypted header does not match');
  return { data: plain.subarray(0, plain.length - h.ec - HEADER_LENGTH), seq: h.seq };
}

export function checkFlags(flags: number, sender: SecurityRole, keys: GssMessageKeys, sealed: boolean): void {
  const fromAcceptor = (flags & GssTokenFlags.SENT_BY_ACCEPTOR) !== 0;
  if (fromAcceptor !== (sender === 'acceptor')) {
    throw new WcceError('INTEGRITY', `GSS token direction flag says ${fromAcceptor ? 'acceptor' : 'initiator'}, expected ${sender}`);
  }
  if (sealed && (flags & GssTokenFlags.SEALED) === 0) throw new WcceError('INTEGRITY', 'GSS wrap token is not sealed although privacy was requested');
  if (((flags & GssTokenFlags.ACCEPTOR_SUBKEY) !== 0) !== keys.acceptorSubkey) {
    throw new WcceError('INTEGRITY', 'GSS token AcceptorSubkey flag does not match the context keys');
  }
}
