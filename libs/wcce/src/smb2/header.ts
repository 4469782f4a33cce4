import { ByteReader } from '../util/reader.js';
import { ByteWriter } from '../util/writer.js';
import { SMB1_PROTOCOL_ID, SMB2_HEADER_SIZE, SMB2_PROTOCOL_ID, SMB2_SIGNATURE_OFFSET, SMB2_TRANSFORM_PROTOCOL_ID, Smb2HeaderFlags } from './constants.js';

/**
 * MS-SMB2 2.2.1 SMB2 Packet Header, both forms: 2.2.1.1 ASYNC (Flags & ASYNC_COMMAND, carries
 * AsyncId) and 2.2.1.2 SYNC (carries Reserved/ProcessId and TreeId).
 */
export interface Smb2Header {
  creditCharge: number;
  /** NTSTATUS in responses; ChannelSequence/Reserved in requests (we send 0). */
  status: number;
  command: number;
  /** CreditRequest in requests, CreditResponse in responses. */
  credits: number;
  flags: number;
  nextCommand: number;
  messageId: bigint;
  /** Sync header only. */
  treeId: number;
  /** Sync header only (Reserved, 0xFEFF by Windows convention). */
  processId: number;
  /** Async header only. */
  asyncId: bigint;
  sessionId: bigint;
  signature: Buffer;
}

export function makeHeader(fields: Partial<Smb2Header> & { command: number }): Smb2Header {
  return {
    creditCharge: 0,
    status: 0,
    credits: 0,
    flags: 0,
    nextCommand: 0,
    messageId: 0n,
    treeId: 0,
    processId: 0xfeff,
    asyncId: 0n,
    sessionId: 0n,
    signature: Buffer.alloc(16),
    ...fields,
  };
}

export function isAsync(header: Smb2Header): boolean {
  return (header.flags & Smb2HeaderFlags.ASYNC_COMMAND) !== 0;
}

export function isResponse(header: Smb2Header): boolean {
  return (header.flags & Smb2HeaderFlags.SERVER_TO_REDIR) !== 0;
}

export function encodeHeader(h: Smb2Header, w: ByteWriter = new ByteWriter(SMB2_HEADER_SIZE)): ByteWriter {
  w.u32(SMB2_PROTOCOL_ID).u16(SMB2_HEADER_SIZE).u16(h.creditCharge).u32(h.status).u16(h.command).u16(h.credits);
  w.u32(h.flags).u32(h.nextCommand).u64(h.messageId);
  if (isAsync(h)) w.u64(h.asyncId);
  else w.u32(h.processId).u32(h.treeId);
  w.u64(h.sessionId);
  if (h.signature.length !== 16) throw new RangeError('SMB2 signature must be 16 bytes');
  w.bytes(h.signature);
  return w;
}

/** Reads the 64-byte header at `offset` (a compound message's later parts start further in). */
export function decodeHeader(msg: Buffer, offset = 0): Smb2Header {
  const r = new ByteReader(msg, 'SMB2Header', offset);
  const protocolId = r.u32('ProtocolId');
  if (protocolId !== SMB2_PROTOCOL_ID) {
    const what =
      protocolId === SMB1_PROTOCOL_ID
        ? 'an SMB1 message'
        : protocolId === SMB2_TRANSFORM_PROTOCOL_ID
          ? 'an encrypted message where a clear one was expected'
          : `0x${protocolId.toString(16)}`;
    r.fail('ProtocolId', `not an SMB2 header (${what})`, offset);
  }
  const structureSize = r.u16('StructureSize');
  if (structureSize !== SMB2_HEADER_SIZE) r.fail('StructureSize', `expected 64, got ${structureSize}`, offset + 4);
  const creditCharge = r.u16('CreditCharge');
  const status = r.u32('Status');
  const command = r.u16('Command');
  const credits = r.u16('Credit');
  const flags = r.u32('Flags');
  const nextCommand = r.u32('NextCommand');
  const messageId = r.u64('MessageId');
  let asyncId = 0n;
  let processId = 0;
  let treeId = 0;
  if (flags & Smb2HeaderFlags.ASYNC_COMMAND) asyncId = r.u64('AsyncId');
  else {
    processId = r.u32('Reserved');
    treeId = r.u32('TreeId');
  }
  const sessionId = r.u64('SessionId');
  const signature = Buffer.from(r.bytes(16, 'Signature'));
  return {
    creditCharge,
    status,
    command,
    credits,
    flags,
    nextCommand,
    messageId,
    treeId,
    processId,
    asyncId,
    sessionId,
    signature,
  };
}

/** A whole SMB2 message: its header, and the bytes after the header (offsets in bodies are from the header start). */
export interface Smb2Message {
  header: Smb2Header;
  /** The complete message bytes (header + body), as signed. */
  raw: Buffer;
}

/** Header + body into one message buffer. */
export function buildMessage(header: Smb2Header, body: Buffer): Buffer {
  const w = encodeHeader(header, new ByteWriter(SMB2_HEADER_SIZE + body.length));
  w.bytes(body);
  return w.toBuffer();
}

/** Writes a signature into a message buffer in place and sets SMB2_FLAGS_SIGNED. */
export function setSignature(msg: Buffer, signature: Buffer): void {
  msg.writeUInt32LE((msg.readUInt32LE(16) | Smb2HeaderFlags.SIGNED) >>> 0, 16);
  signature.copy(msg, SMB2_SIGNATURE_OFFSET, 0, 16);
}

/**
 * Splits a possibly compounded message (MS-SMB2 3.2.4.1.4 / 3.3.5.2.7) into its parts using
 * NextCommand; every part starts 8-byte aligned and has its own header.
 */
export function splitCompound(msg: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const r = new ByteReader(msg, 'SMB2Header', offset);
    r.skip(20, 'ProtocolId..Command');
    const next = msg.length >= offset + 24 ? msg.readUInt32LE(offset + 20) : 0;
    if (next === 0) {
      parts.push(msg.subarray(offset));
      return parts;
    }
    if (next < SMB2_HEADER_SIZE || next % 8 !== 0 || offset + next >= msg.length) {
      r.fail('NextCommand', `bad offset ${next} in a ${msg.length}-byte compound`, offset + 20);
    }
    parts.push(msg.subarray(offset, offset + next));
    offset += next;
  }
}
