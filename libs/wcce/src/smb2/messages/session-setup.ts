import { bodyReader, bodyWriter, headerOffset, variableField } from './common.js';

/** MS-SMB2 2.2.5 SESSION_SETUP Request. */
export interface SessionSetupRequest {
  /** SMB2_SESSION_FLAG_BINDING (0x01) for multichannel; we always send 0. */
  flags: number;
  securityMode: number;
  capabilities: number;
  previousSessionId: bigint;
  /** GSS token (SPNEGO). */
  securityBuffer: Buffer;
}

/** MS-SMB2 2.2.6 SESSION_SETUP Response. */
export interface SessionSetupResponse {
  sessionFlags: number;
  securityBuffer: Buffer;
}

export function encodeSessionSetupRequest(req: SessionSetupRequest): Buffer {
  const w = bodyWriter(25).u8(req.flags).u8(req.securityMode).u32(req.capabilities).u32(0);
  const offsetAt = w.length;
  w.u16(0).u16(req.securityBuffer.length).u64(req.previousSessionId);
  w.patchU16(offsetAt, headerOffset(w));
  w.bytes(req.securityBuffer);
  if (req.securityBuffer.length === 0) w.zeros(1);
  return w.toBuffer();
}

export function decodeSessionSetupRequest(msg: Buffer): SessionSetupRequest {
  const r = bodyReader(msg, 'SessionSetupRequest', 25);
  const flags = r.u8('Flags');
  const securityMode = r.u8('SecurityMode');
  const capabilities = r.u32('Capabilities');
  r.u32('Channel');
  const offset = r.u16('SecurityBufferOffset');
  const length = r.u16('SecurityBufferLength');
  const previousSessionId = r.u64('PreviousSessionId');
  return {
    flags,
    securityMode,
    capabilities,
    previousSessionId,
    securityBuffer: variableField(r, offset, length, 'SecurityBuffer'),
  };
}

export function encodeSessionSetupResponse(res: SessionSetupResponse): Buffer {
  const w = bodyWriter(9).u16(res.sessionFlags);
  const offsetAt = w.length;
  w.u16(0).u16(res.securityBuffer.length);
  w.patchU16(offsetAt, res.securityBuffer.length > 0 ? headerOffset(w) : 0);
  w.bytes(res.securityBuffer);
  if (res.securityBuffer.length === 0) w.zeros(1);
  return w.toBuffer();
}

export function decodeSessionSetupResponse(msg: Buffer): SessionSetupResponse {
  const r = bodyReader(msg, 'SessionSetupResponse', 9);
  const sessionFlags = r.u16('SessionFlags');
  const offset = r.u16('SecurityBufferOffset');
  const length = r.u16('SecurityBufferLength');
  return {
    sessionFlags,
    securityBuffer: variableField(r, offset, length, 'SecurityBuffer'),
  };
}
