import { bodyReader, bodyWriter } from './common.js';

/** MS-SMB2 2.2.28 ECHO Request and 2.2.29 ECHO Response: StructureSize 4, Reserved. */
export function encodeEchoRequest(): Buffer {
  return bodyWriter(4).u16(0).toBuffer();
}

export function decodeEchoRequest(msg: Buffer): void {
  bodyReader(msg, 'EchoRequest', 4).u16('Reserved');
}

export function encodeEchoResponse(): Buffer {
  return bodyWriter(4).u16(0).toBuffer();
}

export function decodeEchoResponse(msg: Buffer): void {
  bodyReader(msg, 'EchoResponse', 4).u16('Reserved');
}
