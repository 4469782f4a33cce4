import { ByteReader } from '../util/reader.js';
import { ByteWriter } from '../util/writer.js';
import { AvPairs } from './av-pairs.js';
import { NtlmFlags, hasFlag } from './flags.js';

/** "NTLMSSP\0", MS-NLMP 2.2.1. */
export const NTLMSSP_SIGNATURE = Buffer.from('NTLMSSP\0', 'latin1');

export const NtlmMessageType = { NEGOTIATE: 1, CHALLENGE: 2, AUTHENTICATE: 3 } as const;
export type NtlmMessageType = (typeof NtlmMessageType)[keyof typeof NtlmMessageType];

/** VERSION structure, MS-NLMP 2.2.2.10. NTLMRevisionCurrent is 0x0F (NTLMSSP_REVISION_W2K3). */
export interface NtlmVersion {
  major: number;
  minor: number;
  build: number;
  revision: number;
}

/** What a Windows Server 2019 (10.0.17763) reports; also what Appendix A's server sent. */
export const DEFAULT_NTLM_VERSION: NtlmVersion = { major: 10, minor: 0, build: 17763, revision: 0x0f };

export interface NegotiateMessage {
  flags: number;
  domain?: string;
  workstation?: string;
  version?: NtlmVersion;
}

export interface ChallengeMessage {
  flags: number;
  serverChallenge: Buffer;
  targetName: string;
  targetInfo: AvPairs;
  version?: NtlmVersion;
}

export interface AuthenticateMessage {
  flags: number;
  lmChallengeResponse: Buffer;
  ntChallengeResponse: Buffer;
  domain: string;
  user: string;
  workstation: string;
  encryptedRandomSessionKey: Buffer;
  version?: NtlmVersion;
  /** 16-byte MIC (MS-NLMP 2.2.1.3); present only when the message carries the MIC field. */
  mic?: Buffer;
}

/** Byte offset of the MIC field inside an AUTHENTICATE_MESSAGE that has one (after Version). */
export const AUTHENTICATE_MIC_OFFSET = 72;

const NEGOTIATE_HEADER = 32;
const CHALLENGE_HEADER = 48;
const AUTHENTICATE_HEADER = 64;
const VERSION_LENGTH = 8;
const MIC_LENGTH = 16;

// ----- helpers ---------------------------------------------------------------------------------

function encodeString(s: string, unicode: boolean): Buffer {
  return Buffer.from(s, unicode ? 'utf16le' : 'latin1');
}

function decodeString(b: Buffer, unicode: boolean): string {
  return b.toString(unicode ? 'utf16le' : 'latin1');
}

function writeVersion(w: ByteWriter, v: NtlmVersion | undefined): void {
  if (!v) {
    w.zeros(VERSION_LENGTH);
    return;
  }
  w.u8(v.major).u8(v.minor).u16(v.build).zeros(3).u8(v.revision);
}

function readVersion(r: ByteReader): NtlmVersion {
  const major = r.u8('Version.ProductMajorVersion');
  const minor = r.u8('Version.ProductMinorVersion');
  const build = r.u16('Version.ProductBuild');
  r.skip(3, 'Version.Reserved');
  const revision = r.u8('Version.NTLMRevisionCurrent');
  return { major, minor, build, revision };
}

/** Lays out (Len, MaxLen, Offset) field headers and the payload they point into. */
class PayloadBuilder {
  private readonly parts: Buffer[] = [];
  private cursor: number;

  constructor(payloadStart: number) {
    this.cursor = payloadStart;
  }

  /** Writes the 8-byte field header for `data` into `w` and queues the data. */
  field(w: ByteWriter, data: Buffer, emptyOffsetZero = false): void {
    const offset = data.length === 0 && emptyOffsetZero ? 0 : this.cursor;
    w.u16(data.length).u16(data.length).u32(offset);
    this.parts.push(data);
    this.cursor += data.length;
  }

  payload(): Buffer {
    return Buffer.concat(this.parts);
  }
}

interface FieldRef {
  name: string;
  length: number;
  offset: number;
}

function readField(r: ByteReader, name: string): FieldRef {
  const length = r.u16(`${name}.Len`);
  r.u16(`${name}.MaxLen`);
  const offset = r.u32(`${name}.BufferOffset`);
  return { name, length, offset };
}

function fieldBytes(r: ByteReader, f: FieldRef): Buffer {
  if (f.length === 0) return Buffer.alloc(0);
  return Buffer.from(r.slice(f.offset, f.length, f.name));
}

/** Smallest offset of a non-empty payload field: the fixed header (Version, MIC) ends there. */
function payloadStart(fields: FieldRef[], messageLength: number): number {
  let min = messageLength;
  for (const f of fields) if (f.length > 0 && f.offset < min) min = f.offset;
  return min;
}

function readHeader(buf: Buffer, structure: string, expected: NtlmMessageType): ByteReader {
  const r = new ByteReader(buf, structure);
  const sig = r.bytes(8, 'Signature');
  if (!sig.equals(NTLMSSP_SIGNATURE)) r.fail('Signature', 'not "NTLMSSP\\0"', 0);
  const type = r.u32('MessageType');
  if (type !== expected) r.fail('MessageType', `expected ${expected}, got ${type}`, 8);
  return r;
}

/** The MessageType of an NTLMSSP token, after checking its signature. */
export function ntlmMessageType(buf: Buffer): number {
  const r = new ByteReader(buf, 'NTLM_MESSAGE');
  const sig = r.bytes(8, 'Signature');
  if (!sig.equals(NTLMSSP_SIGNATURE)) r.fail('Signature', 'not "NTLMSSP\\0"', 0);
  return r.u32('MessageType');
}

// ----- NEGOTIATE_MESSAGE (MS-NLMP 2.2.1.1) -----------------------------------------------------

export function encodeNegotiate(m: NegotiateMessage): Buffer {
  const withVersion = hasFlag(m.flags, NtlmFlags.NEGOTIATE_VERSION);
  const header = NEGOTIATE_HEADER + (withVersion ? VERSION_LENGTH : 0);
  const w = new ByteWriter(64);
  w.bytes(NTLMSSP_SIGNATURE).u32(NtlmMessageType.NEGOTIATE).u32(m.flags);
  const p = new PayloadBuilder(header);
  // OEM strings only (MS-NLMP 2.2.1.1: DomainName/WorkstationName are OEM).
  p.field(w, encodeString(m.domain ?? '', false), true);
  p.field(w, encodeString(m.workstation ?? '', false), true);
  if (withVersion) writeVersion(w, m.version ?? DEFAULT_NTLM_VERSION);
  w.bytes(p.payload());
  return w.toBuffer();
}

export function decodeNegotiate(buf: Buffer): NegotiateMessage {
  const r = readHeader(buf, 'NTLM_NEGOTIATE', NtlmMessageType.NEGOTIATE);
  const flags = r.u32('NegotiateFlags');
  const domain = readField(r, 'DomainNameFields');
  const workstation = readField(r, 'WorkstationFields');
  const m: NegotiateMessage = { flags };
  if (hasFlag(flags, NtlmFlags.NEGOTIATE_VERSION) && payloadStart([domain, workstation], buf.length) >= 40 && r.remaining >= 8) {
    m.version = readVersion(r);
  }
  if (domain.length > 0) m.domain = decodeString(fieldBytes(r, domain), false);
  if (workstation.length > 0) m.workstation = decodeString(fieldBytes(r, workstation), false);
  return m;
}

// ----- CHALLENGE_MESSAGE (MS-NLMP 2.2.1.2) -----------------------------------------------------

export function encodeChallenge(m: ChallengeMessage): Buffer {
  if (m.serverChallenge.length !== 8) throw new RangeError('ServerChallenge must be 8 bytes');
  const unicode = hasFlag(m.flags, NtlmFlags.NEGOTIATE_UNICODE);
  // The 8-byte Version slot is always laid out (zero when NEGOTIATE_VERSION is not set).
  const w = new ByteWriter(256);
  w.bytes(NTLMSSP_SIGNATURE).u32(NtlmMessageType.CHALLENGE);
  const p = new PayloadBuilder(CHALLENGE_HEADER + VERSION_LENGTH);
  const targetName = encodeString(m.targetName, unicode);
  const targetInfo = m.targetInfo.encode();
  p.field(w, targetName);
  w.u32(m.flags).bytes(m.serverChallenge).zeros(8);
  p.field(w, targetInfo);
  writeVersion(w, hasFlag(m.flags, NtlmFlags.NEGOTIATE_VERSION) ? (m.version ?? DEFAULT_NTLM_VERSION) : undefined);
  w.bytes(p.payload());
  return w.toBuffer();
}

export function decodeChallenge(buf: Buffer): ChallengeMessage {
  const r = readHeader(buf, 'NTLM_CHALLENGE', NtlmMessageType.CHALLENGE);
  const targetNameField = readField(r, 'TargetNameFields');
  const flags = r.u32('NegotiateFlags');
  const serverChallenge = Buffer.from(r.bytes(8, 'ServerChallenge'));
  r.skip(8, 'Reserved');
  const targetInfoField = readField(r, 'TargetInfoFields');
  let version: NtlmVersion | undefined;
  if (hasFlag(flags, NtlmFlags.NEGOTIATE_VERSION) && payloadStart([targetNameField, targetInfoField], buf.length) >= CHALLENGE_HEADER + VERSION_LENGTH) {
    version = readVersion(r);
  }
  const unicode = hasFlag(flags, NtlmFlags.NEGOTIATE_UNICODE);
  const targetName = decodeString(fieldBytes(r, targetNameField), unicode);
  const targetInfo =
    targetInfoField.length > 0 ? AvPairs.decode(fieldBytes(r, targetInfoField), 'NTLM_CHALLENGE.TargetInfo', targetInfoField.offset) : new AvPairs();
  const m: ChallengeMessage = { flags, serverChallenge, targetName, targetInfo };
  if (version) m.version = version;
  return m;
}

// ----- AUTHENTICATE_MESSAGE (MS-NLMP 2.2.1.3) --------------------------------------------------

/**
 * Encodes an AUTHENTICATE_MESSAGE. Without `version` and `mic` the fixed part is 64 bytes
 * (impacket's layout); with a MIC it is 88 bytes (Version + MIC, as Windows sends), and the MIC
 * sits at AUTHENTICATE_MIC_OFFSET so it can be computed over the message and patched in.
 * Payload order: domain, user, workstation, LM, NT, session key (as Windows and impacket).
 */
export function encodeAuthenticate(m: AuthenticateMessage): Buffer {
  const unicode = hasFlag(m.flags, NtlmFlags.NEGOTIATE_UNICODE);
  const withMic = m.mic !== undefined;
  const withVersion = withMic || m.version !== undefined;
  if (withMic && m.mic!.length !== MIC_LENGTH) throw new RangeError('MIC must be 16 bytes');
  const header = AUTHENTICATE_HEADER + (withVersion ? VERSION_LENGTH : 0) + (withMic ? MIC_LENGTH : 0);

  const domain = encodeString(m.domain, unicode);
  const user = encodeString(m.user, unicode);
  const workstation = encodeString(m.workstation, unicode);
  // Payload positions in the order they are laid out.
  let cursor = header;
  const at = (len: number): number => {
    const o = cursor;
    cursor += len;
    return o;
  };
  const domainOff = at(domain.length);
  const userOff = at(user.length);
  const wsOff = at(workstation.length);
  const lmOff = at(m.lmChallengeResponse.length);
  const ntOff = at(m.ntChallengeResponse.length);
  const keyOff = at(m.encryptedRandomSessionKey.length);

  const w = new ByteWriter(header + cursor);
  const fieldHeader = (len: number, off: number): void => {
    w.u16(len).u16(len).u32(off);
  };
  w.bytes(NTLMSSP_SIGNATURE).u32(NtlmMessageType.AUTHENTICATE);
  fieldHeader(m.lmChallengeResponse.length, lmOff);
  fieldHeader(m.ntChallengeResponse.length, ntOff);
  fieldHeader(domain.length, domainOff);
  fieldHeader(user.length, userOff);
  fieldHeader(workstation.length, wsOff);
  fieldHeader(m.encryptedRandomSessionKey.length, keyOff);
  w.u32(m.flags);
  if (withVersion) writeVersion(w, m.version);
  if (withMic) w.bytes(m.mic!);
  w.bytes(domain).bytes(user).bytes(workstation);
  w.bytes(m.lmChallengeResponse).bytes(m.ntChallengeResponse).bytes(m.encryptedRandomSessionKey);
  return w.toBuffer();
}

export function decodeAuthenticate(buf: Buffer): AuthenticateMessage {
  const r = readHeader(buf, 'NTLM_AUTHENTICATE', NtlmMessageType.AUTHENTICATE);
  const lm = readField(r, 'LmChallengeResponseFields');
  const nt = readField(r, 'NtChallengeResponseFields');
  const domain = readField(r, 'DomainNameFields');
  const user = readField(r, 'UserNameFields');
  const workstation = readField(r, 'WorkstationFields');
  const key = readField(r, 'EncryptedRandomSessionKeyFields');
  const flags = r.u32('NegotiateFlags');
  const start = payloadStart([lm, nt, domain, user, workstation, key], buf.length);
  if (start < AUTHENTICATE_HEADER) r.fail('Payload', `payload field at ${start} overlaps the 64-byte header`, start);

  const unicode = hasFlag(flags, NtlmFlags.NEGOTIATE_UNICODE);
  const m: AuthenticateMessage = {
    flags,
    lmChallengeResponse: fieldBytes(r, lm),
    ntChallengeResponse: fieldBytes(r, nt),
    domain: decodeString(fieldBytes(r, domain), unicode),
    user: decodeString(fieldBytes(r, user), unicode),
    workstation: decodeString(fieldBytes(r, workstation), unicode),
    encryptedRandomSessionKey: fieldBytes(r, key),
  };
  if (start >= AUTHENTICATE_HEADER + VERSION_LENGTH) {
    const v = readVersion(r);
    if (hasFlag(flags, NtlmFlags.NEGOTIATE_VERSION)) m.version = v;
  }
  if (start >= AUTHENTICATE_MIC_OFFSET + MIC_LENGTH) m.mic = Buffer.from(r.slice(AUTHENTICATE_MIC_OFFSET, MIC_LENGTH, 'MIC'));
  return m;
}
