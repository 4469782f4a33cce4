import type { ByteReader } from '../util/reader.js';
import type { ByteWriter } from '../util/writer.js';

/**
 * Presentation syntax identifiers (C706 12.6.3.1 p_syntax_id_t): a UUID and a version, where the
 * u32 version is `major | minor << 16` (MS-RPCE 2.2.2.13: if_version / if_version_minor).
 */
export interface SyntaxId {
  /** Lower-case canonical text form, e.g. `91ae6020-9e3c-11cf-8d7c-00aa00c091be`. */
  uuid: string;
  major: number;
  minor: number;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** UUID text → 16 wire bytes (C706 appendix A: time_low, time_mid, time_hi little-endian here). */
export function uuidToBytes(uuid: string): Buffer {
  const u = uuid.toLowerCase();
  if (!UUID_RE.test(u)) throw new RangeError(`not a UUID: ${uuid}`);
  const hex = u.replace(/-/g, '');
  const out = Buffer.from(hex, 'hex');
  out.writeUInt32LE(parseInt(hex.slice(0, 8), 16), 0);
  out.writeUInt16LE(parseInt(hex.slice(8, 12), 16), 4);
  out.writeUInt16LE(parseInt(hex.slice(12, 16), 16), 6);
  return out;
}

export function uuidFromBytes(b: Buffer): string {
  const h = (n: number, w: number): string => n.toString(16).padStart(w, '0');
  const tail = b.subarray(8, 16).toString('hex');
  return `${h(b.readUInt32LE(0), 8)}-${h(b.readUInt16LE(4), 4)}-${h(b.readUInt16LE(6), 4)}-${tail.slice(0, 4)}-${tail.slice(4)}`;
}

export function writeSyntax(w: ByteWriter, s: SyntaxId): void {
  w.bytes(uuidToBytes(s.uuid));
  w.u16(s.major);
  w.u16(s.minor);
}

export function readSyntax(r: ByteReader, field: string): SyntaxId {
  const uuid = uuidFromBytes(r.bytes(16, `${field}.uuid`));
  const major = r.u16(`${field}.major`);
  const minor = r.u16(`${field}.minor`);
  return { uuid, major, minor };
}

export function sameSyntax(a: SyntaxId, b: SyntaxId): boolean {
  return a.uuid === b.uuid && a.major === b.major && a.minor === b.minor;
}

export function formatSyntax(s: SyntaxId): string {
  return `${s.uuid} v${s.major}.${s.minor}`;
}

/** NDR 2.0 transfer syntax (C706 appendix I / MS-RPCE 2.2.4.12). */
export const NDR20_SYNTAX: SyntaxId = { uuid: '8a885d04-1ceb-11c9-9fe8-08002b104860', major: 2, minor: 0 };

/** NDR64 (MS-RPCE 2.2.4.12) – recognised so a server can refuse it explicitly. */
export const NDR64_SYNTAX: SyntaxId = { uuid: '71710533-beba-4937-8319-b5dbef9ccc36', major: 1, minor: 0 };

/**
 * Bind-time feature negotiation (MS-RPCE 3.3.1.5.3): a pseudo transfer syntax whose UUID is
 * 6cb71c2c-9812-4540 followed by the feature bitmask; the server answers negotiate_ack.
 */
export const BIND_TIME_FEATURE_PREFIX = '6cb71c2c-9812-4540-';

export function isBindTimeFeatureSyntax(s: SyntaxId): boolean {
  return s.uuid.startsWith(BIND_TIME_FEATURE_PREFIX);
}
