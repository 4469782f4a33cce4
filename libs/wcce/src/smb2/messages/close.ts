import { bodyReader, bodyWriter, type FileId } from './common.js';

/** MS-SMB2 2.2.15 CLOSE Request. */
export interface CloseRequest {
  /** SMB2_CLOSE_FLAG_POSTQUERY_ATTRIB (0x0001) asks for attributes back. */
  flags: number;
  fileId: FileId;
}

/** MS-SMB2 2.2.16 CLOSE Response (attributes are zero unless POSTQUERY_ATTRIB was asked). */
export interface CloseResponse {
  flags: number;
  creationTime: bigint;
  lastAccessTime: bigint;
  lastWriteTime: bigint;
  changeTime: bigint;
  allocationSize: bigint;
  endOfFile: bigint;
  fileAttributes: number;
}

export function emptyCloseResponse(): CloseResponse {
  return {
    flags: 0,
    creationTime: 0n,
    lastAccessTime: 0n,
    lastWriteTime: 0n,
    changeTime: 0n,
    allocationSize: 0n,
    endOfFile: 0n,
    fileAttributes: 0,
  };
}

export function encodeCloseRequest(req: CloseRequest): Buffer {
  if (req.fileId.length !== 16) throw new RangeError('FileId must be 16 bytes');
  return bodyWriter(24).u16(req.flags).u32(0).bytes(req.fileId).toBuffer();
}

export function decodeCloseRequest(msg: Buffer): CloseRequest {
  const r = bodyReader(msg, 'CloseRequest', 24);
  const flags = r.u16('Flags');
  r.u32('Reserved');
  return { flags, fileId: Buffer.from(r.bytes(16, 'FileId')) };
}

export function encodeCloseResponse(res: CloseResponse): Buffer {
  const w = bodyWriter(60).u16(res.flags).u32(0);
  w.u64(res.creationTime).u64(res.lastAccessTime).u64(res.lastWriteTime).u64(res.changeTime);
  return w.u64(res.allocationSize).u64(res.endOfFile).u32(res.fileAttributes).toBuffer();
}

export function decodeCloseResponse(msg: Buffer): CloseResponse {
  const r = bodyReader(msg, 'CloseResponse', 60);
  const flags = r.u16('Flags');
  r.u32('Reserved');
  return {
    flags,
    creationTime: r.u64('CreationTime'),
    lastAccessTime: r.u64('LastAccessTime'),
    lastWriteTime: r.u64('LastWriteTime'),
    changeTime: r.u64('ChangeTime'),
    allocationSize: r.u64('AllocationSize'),
    endOfFile: r.u64('EndofFile'),
    fileAttributes: r.u32('FileAttributes'),
  };
}
