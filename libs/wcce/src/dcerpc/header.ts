import { ByteReader } from '../util/reader.js';
import { ByteWriter } from '../util/writer.js';
import { COMMON_HEADER_LENGTH, DREP_LE, RPC_VERSION, RPC_VERSION_MINOR, SEC_TRAILER_LENGTH, packetTypeName } from './constants.js';

/**
 * The 16-byte common header of every connection-oriented PDU (C706 12.6.3.1) and the
 * sec_trailer + auth_value that ends an authenticated PDU (MS-RPCE 2.2.2.11).
 */
export interface CommonHeader {
  versionMinor: number;
  ptype: number;
  flags: number;
  /** Data representation; only little-endian/ASCII/IEEE (10 00 00 00) is accepted on receive. */
  drep: Buffer;
  fragLength: number;
  authLength: number;
  callId: number;
}

export interface SecTrailer {
  authType: number;
  authLevel: number;
  authPadLength: number;
  authReserved: number;
  authContextId: number;
}

/** sec_trailer plus the auth_value (verifier / token) that follows it. */
export interface AuthVerifier extends SecTrailer {
  authValue: Buffer;
}

/** A decoded PDU split into its header, body (including auth padding, if any) and verifier. */
export interface PduFrame {
  header: CommonHeader;
  /** Bytes between the common header and the sec_trailer (or the end): PDU-specific fields, stub, auth pad. */
  body: Buffer;
  auth?: AuthVerifier;
}

export function writeCommonHeader(w: ByteWriter, h: Omit<CommonHeader, 'drep' | 'versionMinor'> & Partial<CommonHeader>): void {
  w.u8(RPC_VERSION);
  w.u8(h.versionMinor ?? RPC_VERSION_MINOR);
  w.u8(h.ptype);
  w.u8(h.flags);
  w.bytes(h.drep ?? DREP_LE);
  w.u16(h.fragLength);
  w.u16(h.authLength);
  w.u32(h.callId);
}

export function encodeSecTrailer(t: Omit<SecTrailer, 'authReserved'> & { authReserved?: number }): Buffer {
  const w = new ByteWriter(SEC_TRAILER_LENGTH);
  w.u8(t.authType)
    .u8(t.authLevel)
    .u8(t.authPadLength)
    .u8(t.authReserved ?? 0)
    .u32(t.authContextId);
  return w.toBuffer();
}

/**
 * Decodes the common header and checks it against the PDU actually received: the transport is
 * message-mode, so frag_length must equal the buffer length.
 */
export function decodeCommonHeader(pdu: Buffer, structure = 'RpcHeader'): CommonHeader {
  const r = new ByteReader(pdu, structure);
  const version = r.u8('rpc_vers');
  if (version !== RPC_VERSION) r.fail('rpc_vers', `version ${version}, expected 5`, 0);
  const versionMinor = r.u8('rpc_vers_minor');
  if (versionMinor > 1) r.fail('rpc_vers_minor', `minor version ${versionMinor} not supported`, 1);
  const ptype = r.u8('PTYPE');
  const flags = r.u8('pfc_flags');
  const drep = Buffer.from(r.bytes(4, 'packed_drep'));
  // C706 14.1: byte 0 high nibble = integer order (1 = little-endian), low nibble = charset (0 = ASCII).
  if (drep[0] !== 0x10) r.fail('packed_drep', `data representation ${drep.toString('hex')} not supported (need little-endian ASCII)`, 4);
  const fragLength = r.u16('frag_length');
  const authLength = r.u16('auth_length');
  const callId = r.u32('call_id');
  if (fragLength !== pdu.length) {
    r.fail('frag_length', `frag_length ${fragLength} but ${pdu.length} byte(s) received`, 8);
  }
  return { versionMinor, ptype, flags, drep, fragLength, authLength, callId };
}

/**
 * Splits a PDU into header, body and verifier (MS-RPCE 2.2.2.11: the sec_trailer starts at
 * frag_length − auth_length − 8). `fixedLength` is the size of the PDU-specific fixed part that
 * must precede the sec_trailer (0 for the bind family, 8 for request/response/fault).
 */
export function decodeFrame(pdu: Buffer, structure: string, fixedLength = 0): PduFrame {
  const header = decodeCommonHeader(pdu, structure);
  const r = new ByteReader(pdu, structure);
  const minimum = COMMON_HEADER_LENGTH + fixedLength;
  if (pdu.length < minimum) r.fail('frag_length', `PDU of ${pdu.length} byte(s) shorter than its ${minimum}-byte header`, 8);
  if (header.authLength === 0) {
    return { header, body: pdu.subarray(COMMON_HEADER_LENGTH) };
  }
  const trailerAt = pdu.length - header.authLength - SEC_TRAILER_LENGTH;
  if (trailerAt < minimum) {
    r.fail('auth_length', `auth_length ${header.authLength} leaves no room for the sec_trailer`, 10);
  }
  r.seek(trailerAt, 'sec_trailer');
  const authType = r.u8('auth_type');
  const authLevel = r.u8('auth_level');
  const authPadLength = r.u8('auth_pad_length');
  const authReserved = r.u8('auth_reserved');
  const authContextId = r.u32('auth_context_id');
  const authValue = r.bytes(header.authLength, 'auth_value');
  if (trailerAt - authPadLength < minimum) {
    r.fail('auth_pad_length', `auth_pad_length ${authPadLength} runs into the PDU header`, trailerAt + 2);
  }
  return {
    header,
    body: pdu.subarray(COMMON_HEADER_LENGTH, trailerAt),
    auth: { authType, authLevel, authPadLength, authReserved, authContextId, authValue },
  };
}

/**
 * Assembles header + body + [sec_trailer + auth_value] with exact frag_length and auth_length.
 * `body` must already contain any auth padding announced in `auth.authPadLength`.
 */
export function assemblePdu(
  ptype: number,
  flags: number,
  callId: number,
  body: Buffer,
  auth?: AuthVerifier | (Omit<AuthVerifier, 'authReserved'> & { authReserved?: number }),
): Buffer {
  const authLength = auth ? auth.authValue.length : 0;
  const fragLength = COMMON_HEADER_LENGTH + body.length + (auth ? SEC_TRAILER_LENGTH + authLength : 0);
  if (fragLength > 0xffff) throw new RangeError(`${packetTypeName(ptype)} PDU of ${fragLength} bytes exceeds frag_length`);
  const w = new ByteWriter(fragLength);
  writeCommonHeader(w, { ptype, flags, fragLength, authLength, callId });
  w.bytes(body);
  if (auth) {
    w.bytes(encodeSecTrailer(auth));
    w.bytes(auth.authValue);
  }
  return w.toBuffer();
}

/**
 * Auth padding (MS-RPCE 2.2.2.11): the sec_trailer "MUST be 16-byte aligned with respect to the
 * beginning of the PDU body"; impacket (and Windows on receive) use 4. Bodies of the bind family
 * are naturally 4-aligned; for request/response the alignment applies to the stub.
 */
export type AuthPadAlignment = 4 | 16;

export function authPadLength(length: number, alignment: AuthPadAlignment): number {
  return (alignment - (length % alignment)) % alignment;
}
