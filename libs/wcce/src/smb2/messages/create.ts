import { bodyReader, bodyWriter, type FileId, fromUtf16, headerOffset, utf16, variableField } from './common.js';

/** MS-SMB2 2.2.13 CREATE Request (create contexts kept as raw bytes: pipes need none). */
export interface CreateRequest {
  requestedOplockLevel: number;
  impersonationLevel: number;
  desiredAccess: number;
  fileAttributes: number;
  shareAccess: number;
  createDisposition: number;
  createOptions: number;
  /** Relative to the share, without a leading backslash (`srvsvc`, `cert`). */
  name: string;
  createContexts: Buffer;
}

/** MS-SMB2 2.2.14 CREATE Response. */
export interface CreateResponse {
  oplockLevel: number;
  flags: number;
  createAction: number;
  creationTime: bigint;
  lastAccessTime: bigint;
  lastWriteTime: bigint;
  changeTime: bigint;
  allocationSize: bigint;
  endOfFile: bigint;
  fileAttributes: number;
  fileId: FileId;
  createContexts: Buffer;
}

export function encodeCreateRequest(req: CreateRequest): Buffer {
  const name = utf16(req.name);
  const w = bodyWriter(57, 160).u8(0).u8(req.requestedOplockLevel).u32(req.impersonationLevel).u64(0n).u64(0n);
  w.u32(req.desiredAccess).u32(req.fileAttributes).u32(req.shareAccess).u32(req.createDisposition).u32(req.createOptions);
  const nameAt = w.length;
  w.u16(0).u16(name.length).u32(0).u32(req.createContexts.length);
  w.patchU16(nameAt, headerOffset(w));
  w.bytes(name);
  if (req.createContexts.length > 0) {
    w.align(8, -64);
    w.patchU32(nameAt + 4, headerOffset(w));
    w.bytes(req.createContexts);
  } else if (name.length === 0) {
    w.zeros(1); // the Buffer field is at least one byte
  }
  return w.toBuffer();
}

export function decodeCreateRequest(msg: Buffer): CreateRequest {
  const r = bodyReader(msg, 'CreateRequest', 57);
  r.u8('SecurityFlags');
  const requestedOplockLevel = r.u8('RequestedOplockLevel');
  const impersonationLevel = r.u32('ImpersonationLevel');
  r.u64('SmbCreateFlags');
  r.u64('Reserved');
  const desiredAccess = r.u32('DesiredAccess');
  const fileAttributes = r.u32('FileAttributes');
  const shareAccess = r.u32('ShareAccess');
  const createDisposition = r.u32('CreateDisposition');
  const createOptions = r.u32('CreateOptions');
  const nameOffset = r.u16('NameOffset');
  const nameLength = r.u16('NameLength');
  const ctxOffset = r.u32('CreateContextsOffset');
  const ctxLength = r.u32('CreateContextsLength');
  if (nameLength % 2 !== 0) r.fail('NameLength', `odd length ${nameLength} for a UTF-16 name`);
  return {
    requestedOplockLevel,
    impersonationLevel,
    desiredAccess,
    fileAttributes,
    shareAccess,
    createDisposition,
    createOptions,
    name: fromUtf16(variableField(r, nameOffset, nameLength, 'Name')),
    createContexts: variableField(r, ctxOffset, ctxLength, 'CreateContexts'),
  };
}

export function encodeCreateResponse(res: CreateResponse): Buffer {
  if (res.fileId.length !== 16) throw new RangeError('FileId must be 16 bytes');
  const w = bodyWriter(89, 160).u8(res.oplockLevel).u8(res.flags).u32(res.createAction);
  w.u64(res.creationTime).u64(res.lastAccessTime).u64(res.lastWriteTime).u64(res.changeTime);
  w.u64(res.allocationSize).u64(res.endOfFile).u32(res.fileAttributes).u32(0).bytes(res.fileId);
  const ctxAt = w.length;
  w.u32(0).u32(res.createContexts.length);
  if (res.createContexts.length > 0) {
    w.patchU32(ctxAt, headerOffset(w));
    w.bytes(res.createContexts);
  } else {
    w.zeros(1);
  }
  return w.toBuffer();
}

export function decodeCreateResponse(msg: Buffer): CreateResponse {
  const r = bodyReader(msg, 'CreateResponse', 89);
  const oplockLevel = r.u8('OplockLevel');
  const flags = r.u8('Flags');
  const createAction = r.u32('CreateAction');
  const creationTime = r.u64('CreationTime');
  const lastAccessTime = r.u64('LastAccessTime');
  const lastWriteTime = r.u64('LastWriteTime');
  const changeTime = r.u64('ChangeTime');
  const allocationSize = r.u64('AllocationSize');
  const endOfFile = r.u64('EndofFile');
  const fileAttributes = r.u32('FileAttributes');
  r.u32('Reserved2');
  const fileId = Buffer.from(r.bytes(16, 'FileId'));
  const ctxOffset = r.u32('CreateContextsOffset');
  const ctxLength = r.u32('CreateContextsLength');
  return {
    oplockLevel,
    flags,
    createAction,
    creationTime,
    lastAccessTime,
    lastWriteTime,
    changeTime,
    allocationSize,
    endOfFile,
    fileAttributes,
    fileId,
    createContexts: variableField(r, ctxOffset, ctxLength, 'CreateContexts'),
  };
}
