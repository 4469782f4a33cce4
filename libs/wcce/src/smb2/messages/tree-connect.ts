import { bodyReader, bodyWriter, fromUtf16, headerOffset, utf16, variableField } from './common.js';

/** MS-SMB2 2.2.9 TREE_CONNECT Request: the UNC path `\\server\share` in UTF-16LE. */
export interface TreeConnectRequest {
  /** 3.1.1 Flags (CLUSTER_RECONNECT/REDIRECT_TO_OWNER/EXTENSION_PRESENT); we send 0. */
  flags: number;
  path: string;
}

/** MS-SMB2 2.2.10 TREE_CONNECT Response. */
export interface TreeConnectResponse {
  shareType: number;
  shareFlags: number;
  capabilities: number;
  maximalAccess: number;
}

export function encodeTreeConnectRequest(req: TreeConnectRequest): Buffer {
  const path = utf16(req.path);
  const w = bodyWriter(9).u16(req.flags);
  const offsetAt = w.length;
  w.u16(0).u16(path.length);
  w.patchU16(offsetAt, headerOffset(w));
  w.bytes(path);
  return w.toBuffer();
}

export function decodeTreeConnectRequest(msg: Buffer): TreeConnectRequest {
  const r = bodyReader(msg, 'TreeConnectRequest', 9);
  const flags = r.u16('Flags');
  const offset = r.u16('PathOffset');
  const length = r.u16('PathLength');
  if (length % 2 !== 0) r.fail('PathLength', `odd length ${length} for a UTF-16 path`);
  return { flags, path: fromUtf16(variableField(r, offset, length, 'Path')) };
}

export function encodeTreeConnectResponse(res: TreeConnectResponse): Buffer {
  return bodyWriter(16).u8(res.shareType).u8(0).u32(res.shareFlags).u32(res.capabilities).u32(res.maximalAccess).toBuffer();
}

export function decodeTreeConnectResponse(msg: Buffer): TreeConnectResponse {
  const r = bodyReader(msg, 'TreeConnectResponse', 16);
  const shareType = r.u8('ShareType');
  r.u8('Reserved');
  return {
    shareType,
    shareFlags: r.u32('ShareFlags'),
    capabilities: r.u32('Capabilities'),
    maximalAccess: r.u32('MaximalAccess'),
  };
}

/** Share name of a UNC path (`\\host\IPC$` → `IPC$`), case preserved. */
export function shareNameOf(path: string): string {
  const parts = path.split('\\').filter((p) => p.length > 0);
  return parts.length >= 2 ? parts[parts.length - 1]! : (parts[0] ?? '');
}
