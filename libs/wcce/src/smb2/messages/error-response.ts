import { bodyReader, bodyWriter } from './common.js';

/** MS-SMB2 2.2.2 SMB2 ERROR Response. */
export interface ErrorResponse {
  errorContextCount: number;
  errorData: Buffer;
}

export function encodeErrorResponse(res: ErrorResponse = { errorContextCount: 0, errorData: Buffer.alloc(0) }): Buffer {
  const w = bodyWriter(9).u8(res.errorContextCount).u8(0).u32(res.errorData.length).bytes(res.errorData);
  if (res.errorData.length === 0) w.zeros(1); // "MUST supply an ErrorData field that is one byte in length"
  return w.toBuffer();
}

export function decodeErrorResponse(msg: Buffer): ErrorResponse {
  const r = bodyReader(msg, 'ErrorResponse', 9);
  const errorContextCount = r.u8('ErrorContextCount');
  r.u8('Reserved');
  const byteCount = r.u32('ByteCount');
  const errorData = byteCount > 0 ? Buffer.from(r.bytes(byteCount, 'ErrorData')) : Buffer.alloc(0);
  return { errorContextCount, errorData };
}

/** True when the body after the header is an ERROR response rather than the command's own. */
export function looksLikeErrorBody(msg: Buffer): boolean {
  return msg.length >= 66 && msg.readUInt16LE(64) === 9;
}
