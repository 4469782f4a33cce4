import { ByteReader } from '../util/reader.js';
import { ByteWriter } from '../util/writer.js';
import { CALL_HEADER_LENGTH, COMMON_HEADER_LENGTH, PacketType, PfcFlags, SEC_TRAILER_LENGTH } from './constants.js';
import { decodeFrame, encodeSecTrailer, writeCommonHeader, type AuthVerifier } from './header.js';
import { uuidFromBytes, uuidToBytes } from './syntax.js';

/**
 * The call PDUs (C706 12.6.4.9 request, 12.6.4.10 response, 12.6.4.7 fault). Each carries, after
 * the common header: alloc_hint u32, p_cont_id u16, then opnum u16 (request) or cancel_count u8 +
 * reserved u8 (response, fault); a request with PFC_OBJECT_UUID adds the object UUID (16).
 *
 * `stub` is the stub exactly as it travels: with auth padding appended (announced by
 * auth.authPadLength) and, at packet privacy, sealed. Protection is applied by the caller, which
 * needs the final header bytes first (encodeCallHeader) because NTLM signs the whole PDU.
 */
export interface RequestPdu {
  ptype: typeof PacketType.REQUEST;
  flags: number;
  callId: number;
  allocHint: number;
  contextId: number;
  opnum: number;
  /** Object UUID (PFC_OBJECT_UUID), e.g. a DCOM IPID. */
  object?: string;
  stub: Buffer;
  auth?: AuthVerifier;
}

export interface ResponsePdu {
  ptype: typeof PacketType.RESPONSE;
  flags: number;
  callId: number;
  allocHint: number;
  contextId: number;
  cancelCount: number;
  stub: Buffer;
  auth?: AuthVerifier;
}

export interface FaultPdu {
  ptype: typeof PacketType.FAULT;
  flags: number;
  callId: number;
  allocHint: number;
  contextId: number;
  cancelCount: number;
  status: number;
  auth?: AuthVerifier;
}

type CallHeaderFields =
  | { ptype: typeof PacketType.REQUEST; flags: number; callId: number; allocHint: number; contextId: number; opnum: number; object?: string }
  | { ptype: typeof PacketType.RESPONSE | typeof PacketType.FAULT; flags: number; callId: number; allocHint: number; contextId: number; cancelCount?: number };

export function callHeaderLength(fields: { ptype: number; object?: string }): number {
  return CALL_HEADER_LENGTH + (fields.ptype === PacketType.REQUEST && fields.object !== undefined ? 16 : 0);
}

/** The 24-byte (40 with an object UUID) header with final frag_length and auth_length. */
export function encodeCallHeader(fields: CallHeaderFields, fragLength: number, authLength: number): Buffer {
  const w = new ByteWriter(40);
  let flags = fields.flags;
  if (fields.ptype === PacketType.REQUEST) flags = fields.object !== undefined ? flags | PfcFlags.OBJECT_UUID : flags & ~PfcFlags.OBJECT_UUID;
  writeCommonHeader(w, { ptype: fields.ptype, flags, fragLength, authLength, callId: fields.callId });
  w.u32(fields.allocHint).u16(fields.contextId);
  if (fields.ptype === PacketType.REQUEST) {
    w.u16(fields.opnum);
    if (fields.object !== undefined) w.bytes(uuidToBytes(fields.object));
  } else {
    w.u8(fields.cancelCount ?? 0).u8(0);
  }
  return w.toBuffer();
}

/** Total PDU size for a stub of `stubLength` bytes (already padded) and a verifier of `authLength`. */
export function callFragLength(headerLength: number, stubLength: number, authLength: number | undefined): number {
  return headerLength + stubLength + (authLength === undefined ? 0 : SEC_TRAILER_LENGTH + authLength);
}

function assembleCall(fields: CallHeaderFields, body: Buffer, auth: AuthVerifier | undefined): Buffer {
  const headerLength = callHeaderLength(fields);
  const fragLength = callFragLength(headerLength, body.length, auth?.authValue.length);
  if (fragLength > 0xffff) throw new RangeError(`PDU of ${fragLength} bytes exceeds frag_length`);
  const header = encodeCallHeader(fields, fragLength, auth?.authValue.length ?? 0);
  return Buffer.concat(auth ? [header, body, encodeSecTrailer(auth), auth.authValue] : [header, body]);
}

export function encodeRequest(pdu: Omit<RequestPdu, 'ptype'>): Buffer {
  return assembleCall({ ...pdu, ptype: PacketType.REQUEST }, pdu.stub, pdu.auth);
}

export function encodeResponse(pdu: Omit<ResponsePdu, 'ptype'>): Buffer {
  return assembleCall({ ...pdu, ptype: PacketType.RESPONSE }, pdu.stub, pdu.auth);
}

export function encodeFault(
  pdu: Omit<FaultPdu, 'ptype' | 'allocHint' | 'cancelCount' | 'flags'> & { flags?: number; allocHint?: number; cancelCount?: number },
): Buffer {
  // C706 12.6.4.7: status, then 4 reserved octets (Windows sends a 32-byte fault).
  const body = new ByteWriter(8).u32(pdu.status).u32(0).toBuffer();
  return assembleCall(
    {
      ptype: PacketType.FAULT,
      flags: pdu.flags ?? PfcFlags.FIRST_FRAG | PfcFlags.LAST_FRAG,
      callId: pdu.callId,
      allocHint: pdu.allocHint ?? 0,
      contextId: pdu.contextId,
      cancelCount: pdu.cancelCount ?? 0,
    },
    body,
    pdu.auth,
  );
}

interface CallCommon {
  flags: number;
  callId: number;
  allocHint: number;
  contextId: number;
  body: Buffer;
  auth?: AuthVerifier;
}

function decodeCall(pdu: Buffer, structure: string, ptype: number): CallCommon & { r: ByteReader } {
  const frame = decodeFrame(pdu, structure, CALL_HEADER_LENGTH - COMMON_HEADER_LENGTH);
  const r = new ByteReader(pdu, structure, COMMON_HEADER_LENGTH);
  if (frame.header.ptype !== ptype) r.fail('PTYPE', `expected ptype ${ptype}, got ${frame.header.ptype}`, 2);
  const allocHint = r.u32('alloc_hint');
  const contextId = r.u16('p_cont_id');
  return {
    flags: frame.header.flags,
    callId: frame.header.callId,
    allocHint,
    contextId,
    body: frame.body.subarray(CALL_HEADER_LENGTH - COMMON_HEADER_LENGTH),
    ...(frame.auth ? { auth: frame.auth } : {}),
    r,
  };
}

export function decodeRequest(pdu: Buffer): RequestPdu {
  const { r, body, ...c } = decodeCall(pdu, 'RequestPdu', PacketType.REQUEST);
  const opnum = r.u16('opnum');
  let stub = body;
  let object: string | undefined;
  if (c.flags & PfcFlags.OBJECT_UUID) {
    if (body.length < 16) r.fail('object', 'PFC_OBJECT_UUID set but no room for the object UUID');
    object = uuidFromBytes(body.subarray(0, 16));
    stub = body.subarray(16);
  }
  return { ptype: PacketType.REQUEST, ...c, opnum, ...(object !== undefined ? { object } : {}), stub };
}

export function decodeResponse(pdu: Buffer): ResponsePdu {
  const { r, body, ...c } = decodeCall(pdu, 'ResponsePdu', PacketType.RESPONSE);
  const cancelCount = r.u8('cancel_count');
  return { ptype: PacketType.RESPONSE, ...c, cancelCount, stub: body };
}

export function decodeFault(pdu: Buffer): FaultPdu {
  // The body (status, reserved, extended error data) is read through r; only the status is required.
  const { r, body: _body, ...c } = decodeCall(pdu, 'FaultPdu', PacketType.FAULT);
  const cancelCount = r.u8('cancel_count');
  r.skip(1, 'reserved');
  const status = r.u32('status');
  return { ptype: PacketType.FAULT, ...c, cancelCount, status };
}
