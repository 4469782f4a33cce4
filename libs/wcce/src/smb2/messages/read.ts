import { bodyReader, bodyWriter, type FileId, headerOffset, variableField } from './common.js';

/** MS-SMB2 2.2.19 READ Request. */
export interface ReadRequest {
  /** Requested data offset in the response (0x50 = right after its fixed part). */
  padding: number;
  flags: number;
  length: number;
  offset: bigint;
  fileId: FileId;
  minimumCount: number;
  remainingBytes: number;
}

/** MS-SMB2 2.2.20 READ Response. */
export interface ReadResponse {
  data: Buffer;
  dataRemaining: number;
  /** 3.1.1 Flags (SMB2_READFLAG_RESPONSE_RDMA_TRANSFORM); Reserved2 before. */
  flags: number;
}

export function encodeReadRequest(req: ReadRequest): Buffer {
  if (req.fileId.length !== 16) throw new RangeError('FileId must be 16 bytes');
  const w = bodyWriter(49).u8(req.padding).u8(req.flags).u32(req.length).u64(req.offset).bytes(req.fileId);
  w.u32(req.minimumCount).u32(0).u32(req.remainingBytes).u16(0).u16(0);
  w.zeros(1); // Buffer: one byte, as Windows sends
  return w.toBuffer();
}

export function decodeReadRequest(msg: Buffer): ReadRequest {
  const r = bodyReader(msg, 'ReadRequest', 49);
  const padding = r.u8('Padding');
  const flags = r.u8('Flags');
  const length = r.u32('Length');
  const offset = r.u64('Offset');
  const fileId = Buffer.from(r.bytes(16, 'FileId'));
  const minimumCount = r.u32('MinimumCount');
  r.u32('Channel');
  const remainingBytes = r.u32('RemainingBytes');
  r.u16('ReadChannelInfoOffset');
  r.u16('ReadChannelInfoLength');
  return {
    padding,
    flags,
    length,
    offset,
    fileId,
    minimumCount,
    remainingBytes,
  };
}

export function encodeReadResponse(res: ReadResponse): Buffer {
  const w = bodyWriter(17, 16 + res.data.length + 1);
  const offsetAt = w.length;
  w.u8(0).u8(0).u32(res.data.length).u32(res.dataRemaining).u32(res.flags);
  w.patchU16(offsetAt, headerOffset(w) & 0xff); // DataOffset is one byte (0x50); Reserved stays 0
  w.bytes(res.data);
  if (res.data.length === 0) w.zeros(1);
  return w.toBuffer();
}

export function decodeReadResponse(msg: Buffer): ReadResponse {
  const r = bodyReader(msg, 'ReadResponse', 17);
  const dataOffset = r.u8('DataOffset');
  r.u8('Reserved');
  const dataLength = r.u32('DataLength');
  const dataRemaining = r.u32('DataRemaining');
  const flags = r.u32('Reserved2');
  return {
    data: variableField(r, dataOffset, dataLength, 'Buffer'),
    dataRemaining,
    flags,
  };
}
