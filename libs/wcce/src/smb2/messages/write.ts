import { bodyReader, bodyWriter, type FileId, headerOffset, variableField } from './common.js';

/** MS-SMB2 2.2.21 WRITE Request. */
export interface WriteRequest {
  offset: bigint;
  fileId: FileId;
  remainingBytes: number;
  flags: number;
  data: Buffer;
}

/** MS-SMB2 2.2.22 WRITE Response. */
export interface WriteResponse {
  count: number;
  remaining: number;
}

export function encodeWriteRequest(req: WriteRequest): Buffer {
  if (req.fileId.length !== 16) throw new RangeError('FileId must be 16 bytes');
  const w = bodyWriter(49, 48 + req.data.length);
  const offsetAt = w.length;
  w.u16(0).u32(req.data.length).u64(req.offset).bytes(req.fileId).u32(0).u32(req.remainingBytes);
  const channelInfoAt = w.length;
  w.u16(0).u16(0).u32(req.flags);
  // Windows points the (empty) WriteChannelInfoOffset at the data too (MS-SMB2 blog vectors).
  w.patchU16(offsetAt, headerOffset(w)).patchU16(channelInfoAt, headerOffset(w));
  w.bytes(req.data);
  if (req.data.length === 0) w.zeros(1);
  return w.toBuffer();
}

export function decodeWriteRequest(msg: Buffer): WriteRequest {
  const r = bodyReader(msg, 'WriteRequest', 49);
  const dataOffset = r.u16('DataOffset');
  const length = r.u32('Length');
  const offset = r.u64('Offset');
  const fileId = Buffer.from(r.bytes(16, 'FileId'));
  r.u32('Channel');
  const remainingBytes = r.u32('RemainingBytes');
  r.u16('WriteChannelInfoOffset');
  r.u16('WriteChannelInfoLength');
  const flags = r.u32('Flags');
  return {
    offset,
    fileId,
    remainingBytes,
    flags,
    data: variableField(r, dataOffset, length, 'Buffer'),
  };
}

export function encodeWriteResponse(res: WriteResponse): Buffer {
  return bodyWriter(17).u16(0).u32(res.count).u32(res.remaining).u16(0).u16(0).toBuffer();
}

export function decodeWriteResponse(msg: Buffer): WriteResponse {
  const r = bodyReader(msg, 'WriteResponse', 17);
  r.u16('Reserved');
  const count = r.u32('Count');
  const remaining = r.u32('Remaining');
  return { count, remaining };
}
