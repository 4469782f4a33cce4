import { bodyReader, bodyWriter } from './common.js';

/** MS-SMB2 2.2.11 TREE_DISCONNECT Request and 2.2.12 Response: StructureSize 4, Reserved. */
export function encodeTreeDisconnectRequest(): Buffer {
  return bodyWriter(4).u16(0).toBuffer();
}

export function decodeTreeDisconnectRequest(msg: Buffer): void {
  bodyReader(msg, 'TreeDisconnectRequest', 4).u16('Reserved');
}

export function encodeTreeDisconnectResponse(): Buffer {
  return bodyWriter(4).u16(0).toBuffer();
}

export function decodeTreeDisconnectResponse(msg: Buffer): void {
  bodyReader(msg, 'TreeDisconnectResponse', 4).u16('Reserved');
}
