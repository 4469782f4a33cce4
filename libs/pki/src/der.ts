/**
 * A small strict DER reader and writer (X.690 §10). The parsers of untrusted bytes in this library
 * (CSR, SAN, PKCS#7) walk structures with it so that every failure is a PkiError naming the field
 * and the absolute byte offset, never a RangeError from a Buffer read. Indefinite lengths (BER) and
 * high tag numbers are refused: nothing we parse (PKCS#10, X.509, certs-only CMS from AD CS) uses them.
 */
import { PkiError, type PkiErrorCode } from './errors.js';
import { concatBytes } from './bytes.js';

export const Tag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  T61_STRING: 0x14,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  UNIVERSAL_STRING: 0x1c,
  BMP_STRING: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Context-specific tag byte: [n] primitive (0x80|n) or constructed (0xA0|n). */
export function contextTag(n: number, constructed: boolean): number {
  return (constructed ? 0xa0 : 0x80) | n;
}

/** One decoded TLV; offsets are absolute in `input`. */
export interface Tlv {
  readonly tag: number;
  readonly offset: number;
  readonly valueOffset: number;
  readonly end: number;
  readonly input: Uint8Array;
}

export function tlvValue(t: Tlv): Uint8Array {
  return t.input.subarray(t.valueOffset, t.end);
}

/** The complete encoding (tag, length and value). */
export function tlvRaw(t: Tlv): Uint8Array {
  return t.input.subarray(t.offset, t.end);
}

export function isConstructed(t: Tlv): boolean {
  return (t.tag & 0x20) !== 0;
}

/** Reads DER with one error code for everything that goes wrong (BAD_CSR, BAD_PKCS7, ...). */
export class DerReader {
  constructor(
    readonly input: Uint8Array,
    private readonly code: PkiErrorCode,
  ) {}

  fail(field: string, offset: number, reason: string): never {
    throw new PkiError(this.code, `${field} at offset ${offset}: ${reason}`, {
      field,
      offset,
    });
  }

  /** Reads the TLV at `offset`, which must end at or before `limit`. */
  read(offset: number, limit: number, field: string): Tlv {
    const buf = this.input;
    if (offset >= limit) this.fail(field, offset, 'missing (end of data)');
    const tag = buf[offset]!;
    if ((tag & 0x1f) === 0x1f) this.fail(field, offset, 'high tag numbers are not supported');
    if (offset + 1 >= limit) this.fail(field, offset, 'truncated length');
    const first = buf[offset + 1]!;
    let length: number;
    let headerLength: number;
    if (first < 0x80) {
      length = first;
      headerLength = 2;
    } else if (first === 0x80) {
      this.fail(field, offset, 'indefinite length (BER) is not allowed in DER');
    } else {
      const count = first & 0x7f;
      if (count > 4) this.fail(field, offset, `length of ${count} octets is too large`);
      if (offset + 2 + count > limit) this.fail(field, offset, 'truncated length');
      length = 0;
      for (let i = 0; i < count; i++) length = length * 256 + buf[offset + 2 + i]!;
      if (length < 0x80 || buf[offset + 2] === 0) this.fail(field, offset, 'non-minimal length encoding');
      headerLength = 2 + count;
    }
    const valueOffset = offset + headerLength;
    const end = valueOffset + length;
    if (end > limit) this.fail(field, offset, `length ${length} runs past the end of the enclosing data`);
    return { tag, offset, valueOffset, end, input: buf };
  }

  /** Reads the single top-level TLV and refuses trailing bytes. */
  readRoot(field: string, expectedTag?: number): Tlv {
    const t = this.read(0, this.input.length, field);
    if (t.end !== this.input.length) this.fail(field, t.end, `${this.input.length - t.end} trailing bytes`);
    if (expectedTag !== undefined) this.expect(t, expectedTag, field);
    return t;
  }

  expect(t: Tlv, tag: number, field: string): Tlv {
    if (t.tag !== tag) this.fail(field, t.offset, `expected tag 0x${hex2(tag)}, found 0x${hex2(t.tag)}`);
    return t;
  }

  /** All children of a constructed TLV. */
  children(parent: Tlv, field: string): Tlv[] {
    if (!isConstructed(parent)) this.fail(field, parent.offset, 'expected a constructed value');
    const out: Tlv[] = [];
    let pos = parent.valueOffset;
    while (pos < parent.end) {
      const child = this.read(pos, parent.end, `${field}[${out.length}]`);
      out.push(child);
      pos = child.end;
    }
    return out;
  }

  /** Children of a constructed TLV whose tag must be `tag`. */
  childrenOf(parent: Tlv, tag: number, field: string): Tlv[] {
    this.expect(parent, tag, field);
    return this.children(parent, field);
  }

  oid(t: Tlv, field: string): string {
    this.expect(t, Tag.OID, field);
    const v = tlvValue(t);
    if (v.length === 0) this.fail(field, t.offset, 'empty OBJECT IDENTIFIER');
    const arcs: number[] = [];
    let value = 0;
    for (let i = 0; i < v.length; i++) {
      const b = v[i]!;
      if (value === 0 && b === 0x80) this.fail(field, t.valueOffset + i, 'non-minimal OID arc');
      value = value * 128 + (b & 0x7f);
      if (value > Number.MAX_SAFE_INTEGER / 128) this.fail(field, t.valueOffset + i, 'OID arc too large');
      if ((b & 0x80) === 0) {
        arcs.push(value);
        value = 0;
      } else if (i === v.length - 1) {
        this.fail(field, t.valueOffset + i, 'truncated OID arc');
      }
    }
    const first = arcs[0]!;
    const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
    return [...head, ...arcs.slice(1)].join('.');
  }

  /** A non-negative INTEGER small enough for a JS number (versions, salt lengths). */
  smallInteger(t: Tlv, field: string): number {
    this.expect(t, Tag.INTEGER, field);
    const v = tlvValue(t);
    if (v.length === 0 || v.length > 6) this.fail(field, t.offset, 'INTEGER of unexpected size');
    if ((v[0]! & 0x80) !== 0) this.fail(field, t.offset, 'negative INTEGER');
    let n = 0;
    for (const b of v) n = n * 256 + b;
    return n;
  }

  /** BIT STRING content with no unused bits (signatures, public keys). */
  bitStringBytes(t: Tlv, field: string): Uint8Array {
    this.expect(t, Tag.BIT_STRING, field);
    const v = tlvValue(t);
    if (v.length === 0) this.fail(field, t.offset, 'empty BIT STRING');
    if (v[0] !== 0) this.fail(field, t.offset, `${v[0]} unused bits where whole octets are required`);
    return v.subarray(1);
  }

  /** Text of the string types found in names and attributes. */
  string(t: Tlv, field: string): string {
    const v = tlvValue(t);
    switch (t.tag) {
      case Tag.UTF8_STRING:
        return Buffer.from(v).toString('utf8');
      case Tag.PRINTABLE_STRING:
      case Tag.IA5_STRING:
      case Tag.T61_STRING:
      case 0x1a: // VisibleString
        return Buffer.from(v).toString('latin1');
      case Tag.BMP_STRING: {
        if (v.length % 2 !== 0) this.fail(field, t.offset, 'odd BMPString length');
        const swapped = Buffer.from(v);
        swapped.swap16();
        return swapped.toString('utf16le');
      }
      case Tag.UNIVERSAL_STRING: {
        if (v.length % 4 !== 0) this.fail(field, t.offset, 'UniversalString length not a multiple of 4');
        let s = '';
        for (let i = 0; i < v.length; i += 4) s += String.fromCodePoint(((v[i]! << 24) | (v[i + 1]! << 16) | (v[i + 2]! << 8) | v[i + 3]!) >>> 0);
        return s;
      }
      default:
        return this.fail(field, t.offset, `expected a string type, found tag 0x${hex2(t.tag)}`);
    }
  }
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

// ---- writer ----

export function derLength(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

export function derTlv(tag: number, ...content: readonly Uint8Array[]): Uint8Array {
  const value = concatBytes(...content);
  return concatBytes(Uint8Array.of(tag), derLength(value.length), value);
}

export function derSequence(...content: readonly Uint8Array[]): Uint8Array {
  return derTlv(Tag.SEQUENCE, ...content);
}

/** SET OF, with the elements sorted as X.690 §11.6 requires for DER. */
export function derSetOf(elements: readonly Uint8Array[]): Uint8Array {
  const sorted = [...elements].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return derTlv(Tag.SET, ...sorted);
}

export function derOid(oid: string): Uint8Array {
  const arcs = oid.split('.').map((a) => {
    if (!/^\d+$/.test(a)) throw new PkiError('INVALID_ARGUMENT', `bad OID ${JSON.stringify(oid)}`);
    return Number(a);
  });
  if (arcs.length < 2 || arcs[0]! > 2) throw new PkiError('INVALID_ARGUMENT', `bad OID ${JSON.stringify(oid)}`);
  const out: number[] = [];
  const encodeArc = (n: number): void => {
    const chunk: number[] = [n & 0x7f];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift(0x80 | (v & 0x7f));
    out.push(...chunk);
  };
  encodeArc(arcs[0]! * 40 + arcs[1]!);
  for (const a of arcs.slice(2)) encodeArc(a);
  return derTlv(Tag.OID, Uint8Array.from(out));
}

/** A non-negative INTEGER from a small number. */
export function derSmallInteger(n: number): Uint8Array {
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  if (bytes.length === 0 || (bytes[0]! & 0x80) !== 0) bytes.unshift(0);
  return derTlv(Tag.INTEGER, Uint8Array.from(bytes));
}

export function derUtf8(s: string): Uint8Array {
  return derTlv(Tag.UTF8_STRING, new Uint8Array(Buffer.from(s, 'utf8')));
}

export function derIa5(s: string): Uint8Array {
  if (!/^[\x00-\x7f]*$/.test(s)) throw new PkiError('INVALID_ARGUMENT', `not IA5 (ASCII): ${JSON.stringify(s)}`);
  return derTlv(Tag.IA5_STRING, new Uint8Array(Buffer.from(s, 'latin1')));
}

export function derBmp(s: string): Uint8Array {
  const b = Buffer.from(s, 'utf16le');
  b.swap16();
  return derTlv(Tag.BMP_STRING, new Uint8Array(b));
}
