/**
 * SubjectAltName GeneralNames (RFC 5280 §4.2.1.6) parsed and encoded here rather than through
 * @peculiar/x509, whose GeneralName throws on otherName types other than UPN/GUID: a CSR from a
 * Windows client may carry any of them, and we still want to read its DNS names.
 */
import { isIP } from 'node:net';
import { DerReader, Tag, contextTag, derIa5, derOid, derSequence, derTlv, derUtf8, tlvRaw, tlvValue, type Tlv } from './der.js';
import { Oid } from './oids.js';
import { PkiError, type PkiErrorCode } from './errors.js';
import { toHex } from './bytes.js';
import { x509 } from './x509.js';

/** The SAN types we issue: DNS, IP, e-mail (rfc822Name), UPN (otherName) and URI. */
export type IssuableSanType = 'dns' | 'ip' | 'email' | 'upn' | 'uri';
export type SanType = IssuableSanType | 'dn' | 'rid' | 'otherName' | 'other';

export interface SanEntry {
  type: SanType;
  /** text form; for otherName and other, hex of the value's DER */
  value: string;
  /** the otherName type-id for `otherName` */
  oid?: string;
}

/** Parses the extnValue of a SubjectAltName extension (a DER SEQUENCE OF GeneralName). */
export function parseGeneralNames(der: Uint8Array, code: PkiErrorCode = 'BAD_DER', field = 'SubjectAltName'): SanEntry[] {
  const r: DerReader = new DerReader(der, code);
  return r.childrenOf(r.readRoot(field), Tag.SEQUENCE, field).map((gn, i) => parseGeneralName(r, gn, `${field}[${i}]`));
}

function parseGeneralName(r: DerReader, gn: Tlv, field: string): SanEntry {
  const ia5 = (): string => Buffer.from(tlvValue(gn)).toString('latin1');
  switch (gn.tag) {
    case contextTag(0, true): {
      const [typeId, wrapped] = r.children(gn, `${field}.otherName`);
      if (typeId === undefined || wrapped === undefined) return r.fail(`${field}.otherName`, gn.offset, 'expected type-id and value');
      const oid = r.oid(typeId, `${field}.otherName.type-id`);
      r.expect(wrapped, contextTag(0, true), `${field}.otherName.value`);
      const [inner] = r.children(wrapped, `${field}.otherName.value`);
      if (inner === undefined) return r.fail(`${field}.otherName.value`, wrapped.offset, 'empty value');
      if (oid === Oid.msUpn)
        return {
          type: 'upn',
          value: r.string(inner, `${field}.otherName.upn`),
        };
      return { type: 'otherName', oid, value: toHex(tlvRaw(inner)) };
    }
    case contextTag(1, false):
      return { type: 'email', value: ia5() };
    case contextTag(2, false):
      return { type: 'dns', value: ia5() };
    case contextTag(4, true): {
      const [name] = r.children(gn, `${field}.directoryName`);
      if (name === undefined) return r.fail(`${field}.directoryName`, gn.offset, 'empty directoryName');
      return { type: 'dn', value: nameToString(tlvRaw(name)) };
    }
    case contextTag(6, false):
      return { type: 'uri', value: ia5() };
    case contextTag(7, false):
      return { type: 'ip', value: formatIp(tlvValue(gn), r, gn, field) };
    case contextTag(8, false):
      return {
        type: 'rid',
        value: r.oid({ ...gn, tag: Tag.OID }, `${field}.registeredID`),
      };
    default:
      return { type: 'other', value: toHex(tlvRaw(gn)) };
  }
}

/**
 * RFC 4514-style text of a DER Name; hex if even @peculiar/x509 cannot read it. Results are kept
 * by DER (bounded): issuer names recur in every certificate a CA issues, and the conversion costs
 * more than the rest of parsing a certificate.
 */
export function nameToString(der: Uint8Array): string {
  const key = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('latin1');
  const cached = nameStrings.get(key);
  if (cached !== undefined) return cached;
  let text: string;
  try {
    text = new x509.Name(der).toString();
  } catch {
    text = `#${toHex(der)}`;
  }
  if (nameStrings.size >= NAME_CACHE_SIZE) nameStrings.delete(nameStrings.keys().next().value as string);
  nameStrings.set(key, text);
  return text;
}

const nameStrings = new Map<string, string>();
const NAME_CACHE_SIZE = 256;

function formatIp(b: Uint8Array, r: DerReader, gn: Tlv, field: string): string {
  if (b.length === 4) return Array.from(b).join('.');
  if (b.length !== 16) return r.fail(`${field}.iPAddress`, gn.offset, `IP address of ${b.length} octets`);
  // RFC 5952 §5: an IPv4-mapped address keeps its dotted tail.
  if (b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) return `::ffff:${Array.from(b.subarray(12)).join('.')}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((b[i]! << 8) | b[i + 1]!);
  // RFC 5952 §4.2: compress the longest run (of two or more) of zero groups.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** Octets of an IPv4 or IPv6 address (with `::` and an embedded IPv4 tail). */
export function ipToBytes(ip: string): Uint8Array {
  const version = isIP(ip);
  if (version === 4) return Uint8Array.from(ip.split('.').map(Number));
  if (version !== 6) throw new PkiError('INVALID_ARGUMENT', `not an IP address: ${JSON.stringify(ip)}`);
  // Rewrite an embedded IPv4 tail (::ffff:1.2.3.4) as two hex groups, then expand `::`.
  const text = ip
    .split('%')[0]!
    .replace(
      /(\d+)\.(\d+)\.(\d+)\.(\d+)$/,
      (_m, a: string, b: string, c: string, d: string) => `${((Number(a) << 8) | Number(b)).toString(16)}:${((Number(c) << 8) | Number(d)).toString(16)}`,
    );
  const parse = (s: string): number[] => (s === '' ? [] : s.split(':').map((x) => parseInt(x, 16)));
  const halves = text.split('::');
  const left = parse(halves[0]!);
  const right = halves.length > 1 ? parse(halves[1]!) : [];
  const groups = halves.length > 1 ? [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right] : left;
  const out = new Uint8Array(16);
  groups.slice(0, 8).forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  return out;
}

/** DER GeneralNames for the SAN types we issue. */
export function encodeGeneralNames(entries: readonly SanEntry[]): Uint8Array {
  return derSequence(...entries.map(encodeGeneralName));
}

function encodeGeneralName(e: SanEntry): Uint8Array {
  switch (e.type) {
    case 'dns':
      return retag(derIa5(e.value), contextTag(2, false));
    case 'email':
      return retag(derIa5(e.value), contextTag(1, false));
    case 'uri':
      return retag(derIa5(e.value), contextTag(6, false));
    case 'ip':
      return derTlv(contextTag(7, false), ipToBytes(e.value));
    case 'upn':
      return derTlv(contextTag(0, true), derOid(Oid.msUpn), derTlv(contextTag(0, true), derUtf8(e.value)));
    default:
      throw new PkiError('INVALID_ARGUMENT', `cannot issue a SAN of type ${e.type}`, { field: 'sans' });
  }
}

/** IMPLICIT tagging: same length and value, another tag byte. */
function retag(tlv: Uint8Array, tag: number): Uint8Array {
  const out = Uint8Array.from(tlv);
  out[0] = tag;
  return out;
}
