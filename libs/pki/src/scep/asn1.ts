/**
 * Small DER helpers for the SCEP codec on top of ../der.ts: the writer pieces CMS needs, and a
 * BER → DER normaliser for clients that stream (indefinite lengths, chunked OCTET STRINGs).
 */
import { DerReader, Tag, contextTag, derOid, derSequence, derTlv, tlvValue, type Tlv } from '../der.js';
import { concatBytes } from '../bytes.js';
import { ScepError } from './errors.js';

export { derOid, derSequence, derTlv, Tag, contextTag, tlvValue, DerReader, type Tlv };

export const derNull = (): Uint8Array => Uint8Array.of(0x05, 0x00);
export const derOctetString = (v: Uint8Array): Uint8Array => derTlv(Tag.OCTET_STRING, v);
export const derPrintable = (s: string): Uint8Array => derTlv(Tag.PRINTABLE_STRING, new Uint8Array(Buffer.from(s, 'latin1')));
export const derSet = (...items: Uint8Array[]): Uint8Array => derTlv(Tag.SET, ...items);
export const derExplicit = (n: number, ...content: Uint8Array[]): Uint8Array => derTlv(contextTag(n, true), ...content);

export function algorithmIdentifier(oid: string, params: Uint8Array | null = derNull()): Uint8Array {
  return params === null ? derSequence(derOid(oid)) : derSequence(derOid(oid), params);
}

/** UTCTime for dates in 1950–2049 (RFC 5280 §4.1.2.5), GeneralizedTime otherwise. */
export function derTime(date: Date): Uint8Array {
  const iso = date.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z'; // YYYYMMDDHHMMSSZ
  const year = date.getUTCFullYear();
  return year >= 1950 && year < 2050
    ? derTlv(Tag.UTC_TIME, new Uint8Array(Buffer.from(iso.slice(2), 'latin1')))
    : derTlv(Tag.GENERALIZED_TIME, new Uint8Array(Buffer.from(iso, 'latin1')));
}

/**
 * Re-encodes BER as DER where the two differ in what SCEP clients send: indefinite lengths become
 * definite and constructed OCTET STRINGs (and [0] IMPLICIT encryptedContent) are joined into
 * one primitive value. Input that is already DER comes back byte-identical.
 */
export function berToDer(input: Uint8Array): Uint8Array {
  const [out, end] = convert(input, 0);
  if (end !== input.length) throw new ScepError('BAD_MESSAGE', `${input.length - end} trailing bytes after the message`, { offset: end });
  return out;
}

function readHeader(buf: Uint8Array, pos: number): { tag: number; length: number | undefined; header: number } {
  if (pos + 2 > buf.length) throw new ScepError('BAD_MESSAGE', 'truncated BER', { offset: pos });
  const tag = buf[pos]!;
  if ((tag & 0x1f) === 0x1f) throw new ScepError('BAD_MESSAGE', 'high tag numbers are not supported', { offset: pos });
  const first = buf[pos + 1]!;
  if (first < 0x80) return { tag, length: first, header: 2 };
  if (first === 0x80) return { tag, length: undefined, header: 2 };
  const count = first & 0x7f;
  if (count > 4 || pos + 2 + count > buf.length) throw new ScepError('BAD_MESSAGE', 'bad BER length', { offset: pos });
  let length = 0;
  for (let i = 0; i < count; i++) length = length * 256 + buf[pos + 2 + i]!;
  return { tag, length, header: 2 + count };
}

const MAX_DEPTH = 64;

function convert(buf: Uint8Array, pos: number, depth = 0): [Uint8Array, number] {
  if (depth > MAX_DEPTH) throw new ScepError('BAD_MESSAGE', 'BER nested too deeply', { offset: pos });
  const { tag, length, header } = readHeader(buf, pos);
  const constructed = (tag & 0x20) !== 0;
  const start = pos + header;
  if (!constructed) {
    if (length === undefined) throw new ScepError('BAD_MESSAGE', 'indefinite length on a primitive value', { offset: pos });
    if (start + length > buf.length) throw new ScepError('BAD_MESSAGE', 'BER value runs past the end', { offset: pos });
    return [derTlv(tag, buf.subarray(start, start + length)), start + length];
  }
  const children: Uint8Array[] = [];
  let p = start;
  const limit = length === undefined ? buf.length : start + length;
  if (limit > buf.length) throw new ScepError('BAD_MESSAGE', 'BER value runs past the end', { offset: pos });
  for (;;) {
    if (length === undefined) {
      if (p + 2 > buf.length) throw new ScepError('BAD_MESSAGE', 'unterminated indefinite length', { offset: pos });
      if (buf[p] === 0 && buf[p + 1] === 0) {
        p += 2;
        break;
      }
    } else if (p >= limit) break;
    const [child, next] = convert(buf, p, depth + 1);
    children.push(child);
    p = next;
  }
  if (length !== undefined && p !== limit) throw new ScepError('BAD_MESSAGE', 'BER children overrun their parent', { offset: pos });
  // constructed OCTET STRING (0x24) or constructed [0] IMPLICIT OCTET STRING (0xa0 holding
  // OCTET STRING chunks, EncryptedContentInfo.encryptedContent): join into one primitive value
  if (tag === 0x24) return [derTlv(Tag.OCTET_STRING, concatBytes(...children.map(valueOf))), p];
  return [derTlv(tag, ...children), p];
}

function valueOf(tlv: Uint8Array): Uint8Array {
  const r = new DerReader(tlv, 'BAD_DER');
  return tlvValue(r.readRoot('chunk'));
}
