import { SMB2_HEADER_SIZE, Smb2Dialect } from '../constants.js';
import { bodyReader, bodyWriter, headerOffset, variableField } from './common.js';
import { decodeNegotiateContexts, emptyContexts, encodeNegotiateContexts, type NegotiateContexts } from './negotiate-contexts.js';

/** MS-SMB2 2.2.3 NEGOTIATE Request. */
export interface NegotiateRequest {
  securityMode: number;
  capabilities: number;
  clientGuid: Buffer;
  dialects: number[];
  /** Present (and encoded) only when 0x0311 is offered. */
  contexts: NegotiateContexts;
  /** ClientStartTime, sent instead of the context fields when 3.1.1 is not offered (always 0). */
  clientStartTime?: bigint;
}

/** MS-SMB2 2.2.4 NEGOTIATE Response. */
export interface NegotiateResponse {
  securityMode: number;
  dialectRevision: number;
  serverGuid: Buffer;
  capabilities: number;
  maxTransactSize: number;
  maxReadSize: number;
  maxWriteSize: number;
  /** FILETIME. */
  systemTime: bigint;
  serverStartTime: bigint;
  /** GSS token (SPNEGO NegTokenInit2 hints); may be empty. */
  securityBuffer: Buffer;
  contexts: NegotiateContexts;
}

const REQUEST_SIZE = 36;
const RESPONSE_SIZE = 65;

export function encodeNegotiateRequest(req: NegotiateRequest): Buffer {
  const offers311 = req.dialects.includes(Smb2Dialect.SMB311);
  const w = bodyWriter(REQUEST_SIZE).u16(req.dialects.length).u16(req.securityMode).u16(0).u32(req.capabilities);
  if (req.clientGuid.length !== 16) throw new RangeError('ClientGuid must be 16 bytes');
  w.bytes(req.clientGuid);
  const contextFieldsAt = w.length;
  w.u64(req.clientStartTime ?? 0n);
  for (const d of req.dialects) w.u16(d);
  if (offers311) {
    w.align(8, -SMB2_HEADER_SIZE);
    const offset = headerOffset(w);
    const count = encodeNegotiateContexts(req.contexts, w, -SMB2_HEADER_SIZE);
    w.patchU32(contextFieldsAt, offset)
      .patchU16(contextFieldsAt + 4, count)
      .patchU16(contextFieldsAt + 6, 0);
  }
  return w.toBuffer();
}

export function decodeNegotiateRequest(msg: Buffer): NegotiateRequest {
  const r = bodyReader(msg, 'NegotiateRequest', REQUEST_SIZE);
  const dialectCount = r.u16('DialectCount');
  if (dialectCount === 0) r.fail('DialectCount', 'no dialects offered');
  const securityMode = r.u16('SecurityMode');
  r.u16('Reserved');
  const capabilities = r.u32('Capabilities');
  const clientGuid = Buffer.from(r.guid('ClientGuid'));
  const contextOffset = r.u32('NegotiateContextOffset');
  const contextCount = r.u16('NegotiateContextCount');
  r.u16('Reserved2');
  const dialects: number[] = [];
  for (let i = 0; i < dialectCount; i++) dialects.push(r.u16(`Dialects[${i}]`));
  const contexts = dialects.includes(Smb2Dialect.SMB311) ? decodeNegotiateContexts(msg, contextOffset, contextCount, 'NegotiateRequest') : emptyContexts();
  const out: NegotiateRequest = {
    securityMode,
    capabilities,
    clientGuid,
    dialects,
    contexts,
  };
  if (!dialects.includes(Smb2Dialect.SMB311)) out.clientStartTime = BigInt(contextOffset) | (BigInt(contextCount) << 32n);
  return out;
}

export function encodeNegotiateResponse(res: NegotiateResponse): Buffer {
  const is311 = res.dialectRevision === Smb2Dialect.SMB311;
  const w = bodyWriter(RESPONSE_SIZE, 256).u16(res.securityMode).u16(res.dialectRevision);
  const countAt = w.length;
  w.u16(0);
  if (res.serverGuid.length !== 16) throw new RangeError('ServerGuid must be 16 bytes');
  w.bytes(res.serverGuid).u32(res.capabilities).u32(res.maxTransactSize).u32(res.maxReadSize).u32(res.maxWriteSize);
  w.u64(res.systemTime).u64(res.serverStartTime);
  const secAt = w.length;
  w.u16(0).u16(res.securityBuffer.length);
  const ctxOffsetAt = w.length;
  w.u32(0);
  // Buffer starts right after the 64-byte fixed part (offset 0x80 from the header).
  w.patchU16(secAt, res.securityBuffer.length > 0 ? headerOffset(w) : 0);
  w.bytes(res.securityBuffer);
  if (is311) {
    w.align(8, -SMB2_HEADER_SIZE);
    const offset = headerOffset(w);
    const count = encodeNegotiateContexts(res.contexts, w, -SMB2_HEADER_SIZE);
    w.patchU16(countAt, count).patchU32(ctxOffsetAt, offset);
  } else if (res.securityBuffer.length === 0) {
    w.zeros(1); // StructureSize 65 counts one byte of Buffer
  }
  return w.toBuffer();
}

export function decodeNegotiateResponse(msg: Buffer): NegotiateResponse {
  const r = bodyReader(msg, 'NegotiateResponse', RESPONSE_SIZE);
  const securityMode = r.u16('SecurityMode');
  const dialectRevision = r.u16('DialectRevision');
  const contextCount = r.u16('NegotiateContextCount');
  const serverGuid = Buffer.from(r.guid('ServerGuid'));
  const capabilities = r.u32('Capabilities');
  const maxTransactSize = r.u32('MaxTransactSize');
  const maxReadSize = r.u32('MaxReadSize');
  const maxWriteSize = r.u32('MaxWriteSize');
  const systemTime = r.u64('SystemTime');
  const serverStartTime = r.u64('ServerStartTime');
  const secOffset = r.u16('SecurityBufferOffset');
  const secLength = r.u16('SecurityBufferLength');
  const contextOffset = r.u32('NegotiateContextOffset');
  const securityBuffer = variableField(r, secOffset, secLength, 'SecurityBuffer');
  const contexts = dialectRevision === Smb2Dialect.SMB311 ? decodeNegotiateContexts(msg, contextOffset, contextCount, 'NegotiateResponse') : emptyContexts();
  return {
    securityMode,
    dialectRevision,
    serverGuid,
    capabilities,
    maxTransactSize,
    maxReadSize,
    maxWriteSize,
    systemTime,
    serverStartTime,
    securityBuffer,
    contexts,
  };
}
