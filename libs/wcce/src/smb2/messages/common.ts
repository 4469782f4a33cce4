import { ByteReader } from '../../util/reader.js';
import { ByteWriter } from '../../util/writer.js';
import { SMB2_HEADER_SIZE } from '../constants.js';

/**
 * Helpers shared by the message codecs. Every message body follows the 64-byte header, and every
 * Offset field in a body counts from the start of the header (MS-SMB2 2.2), so decoders take the
 * whole message and encoders know their body starts at byte 64.
 */

/** A reader positioned on the body, with StructureSize checked (MS-SMB2 2.2: fixed per message). */
export function bodyReader(msg: Buffer, structure: string, structureSize: number): ByteReader {
  const r = new ByteReader(msg, structure, SMB2_HEADER_SIZE);
  const size = r.u16('StructureSize');
  if (size !== structureSize) r.fail('StructureSize', `expected ${structureSize}, got ${size}`, SMB2_HEADER_SIZE);
  return r;
}

/** A variable field addressed by (offset from header start, length); empty when length is 0. */
export function variableField(r: ByteReader, offset: number, length: number, field: string): Buffer {
  if (length === 0) return Buffer.alloc(0);
  if (offset < SMB2_HEADER_SIZE) r.fail(field, `offset ${offset} points into the header`);
  return Buffer.from(r.slice(offset, length, field));
}

/** A writer for a body; `at(w)` gives the header-relative offset of the next byte. */
export function bodyWriter(structureSize: number, size = 128): ByteWriter {
  return new ByteWriter(size).u16(structureSize);
}

export function headerOffset(w: ByteWriter): number {
  return SMB2_HEADER_SIZE + w.length;
}

/** MS-SMB2 2.2.14.1 SMB2_FILEID: Persistent (8) + Volatile (8), kept opaque. */
export type FileId = Buffer;

export function fileIdHex(fileId: FileId): string {
  return fileId.toString('hex');
}

/** Pads a body to at least StructureSize bytes where the spec requires a 1-byte variable part. */
export function padToStructureSize(w: ByteWriter, structureSize: number): void {
  if (w.length < structureSize) w.zeros(structureSize - w.length);
}

export function utf16(s: string): Buffer {
  return Buffer.from(s, 'utf16le');
}

export function fromUtf16(b: Buffer): string {
  return b.toString('utf16le');
}
