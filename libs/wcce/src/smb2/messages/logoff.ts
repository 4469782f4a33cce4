import { bodyReader, bodyWriter } from './common.js';

/** MS-SMB2 2.2.7 LOGOFF Request and 2.2.8 LOGOFF Response: StructureSize 4, Reserved. */
export function encodeLogoffRequest(): Buffer {
  return bodyWriter(4).u16(0).toBuffer();
}

export function decodeLogoffRequest(msg: Buffer): void {
  bodyReader(msg, 'LogoffRequest', 4).u16('Reserved');
}

export function encodeLogoffResponse(): Buffer {
  return bodyWriter(4).u16(0).toBuffer();
}

export function decodeLogoffResponse(msg: Buffer): void {
  bodyReader(msg, 'LogoffResponse', 4).u16('Reserved');
}
