import { WcceProtocolError } from '../errors.js';

/**
 * The small DER subset SPNEGO needs (X.690): low-number tags, definite lengths, OBJECT
 * IDENTIFIER, OCTET STRING, ENUMERATED, BIT STRING, GeneralString. Untrusted input fails with
 * WcceProtocolError naming the structure, field and absolute offset.
 */

export const DerTag = {
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  OID: 0x06,
  ENUMERATED: 0x0a,
  GENERAL_STRING: 0x1b,
  SEQUENCE: 0x30,
  /** [APPLICATION 0] constructed: the GSS-API InitialContextToken (RFC 2743 3.1). */
  APPLICATION_0: 0x60,
} as const;

/** Tag of a constructed context-specific [n]. */
export function contextTag(n: number): number {
  return 0xa0 | n;
}

export interface DerElement {
  tag: number;
  /** Absolute offset of the tag byte in the outermost buffer. */
  offset: number;
  /** The content octets (a view). */
  content: Buffer;
  /** Absolute offset of the first content byte. */
  contentOffset: number;
  /** Tag, length and content (a view), e.g. to MAC the exact bytes received. */
  raw: Buffer;
}

/** Reads consecutive TLVs from a buffer. */
export class DerReader {
  private pos = 0;

  constructor(
    private readonly buf: Buffer,
    readonly structure: string,
    /** Absolute offset of `buf[0]`, so nested readers report positions in the whole token. */
    private readonly base = 0,
  ) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  fail(field: string, reason: string, at: number = this.base + this.pos): never {
    throw new WcceProtocolError(this.structure, field, at, reason);
  }

  peekTag(): number | undefined {
    return this.done ? undefined : this.buf[this.pos];
  }

  read(field: string): DerElement {
    const start = this.pos;
    if (start >= this.buf.length) this.fail(field, 'element expected, end of data');
    const tag = this.buf[start]!;
    if ((tag & 0x1f) === 0x1f) this.fail(field, 'high-tag-number form is not used by SPNEGO', this.base + start);
    let p = start + 1;
    if (p >= this.buf.length) this.fail(field, 'length missing', this.base + p);
    const first = this.buf[p++]!;
    let length: number;
    if (first < 0x80) {
      length = first;
    } else {
      const n = first & 0x7f;
      if (n === 0) this.fail(field, 'indefinite length is not DER', this.base + p - 1);
      if (n > 4) this.fail(field, `${n}-byte length is too large`, this.base + p - 1);
      if (p + n > this.buf.length) this.fail(field, 'length truncated', this.base + p);
      length = 0;
      for (let i = 0; i < n; i++) length = length * 256 + this.buf[p++]!;
    }
    if (p + length > this.buf.length) {
      this.fail(field, `length ${length} exceeds the ${this.buf.length - p} byte(s) left`, this.base + start);
    }
    this.pos = p + length;
    return {
      tag,
      offset: this.base + start,
      content: this.buf.subarray(p, p + length),
      contentOffset: this.base + p,
      raw: this.buf.subarray(start, p + length),
    };
  }

  expect(tag: number, field: string): DerElement {
    const at = this.base + this.pos;
    const e = this.read(field);
    if (e.tag !== tag) this.fail(field, `tag 0x${e.tag.toString(16)}, expected 0x${tag.toString(16)}`, at);
    return e;
  }

  /** The next element if it has `tag`, else undefined (OPTIONAL fields). */
  optional(tag: number, field: string): DerElement | undefined {
    return this.peekTag() === tag ? this.read(field) : undefined;
  }

  /** A reader over the content of a constructed element. */
  static inside(e: DerElement, structure: string): DerReader {
    return new DerReader(e.content, structure, e.contentOffset);
  }

  /** Everything not yet read, and its absolute offset. */
  rest(): { bytes: Buffer; offset: number } {
    const out = { bytes: this.buf.subarray(this.pos), offset: this.base + this.pos };
    this.pos = this.buf.length;
    return out;
  }

  end(field: string): void {
    if (!this.done) this.fail(field, `${this.buf.length - this.pos} unexpected trailing byte(s)`);
  }
}

// ----- writing ---------------------------------------------------------------------------------

function encodeLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), encodeLength(body.length), body]);
}

export function derSequence(...content: Buffer[]): Buffer {
  return tlv(DerTag.SEQUENCE, ...content);
}

export function derOctetString(data: Buffer): Buffer {
  return tlv(DerTag.OCTET_STRING, data);
}

export function derEnumerated(value: number): Buffer {
  if (value < 0 || value > 127) throw new RangeError('ENUMERATED value out of the one-byte range');
  return tlv(DerTag.ENUMERATED, Buffer.from([value]));
}

export function derGeneralString(value: string): Buffer {
  return tlv(DerTag.GENERAL_STRING, Buffer.from(value, 'latin1'));
}

export function derExplicit(n: number, inner: Buffer): Buffer {
  return tlv(contextTag(n), inner);
}

/** OBJECT IDENTIFIER content octets (X.690 8.19) from dotted form. */
export function encodeOidContent(oid: string): Buffer {
  const arcs = oid.split('.').map((s) => {
    if (!/^\d+$/.test(s)) throw new RangeError(`bad OID ${oid}`);
    return BigInt(s);
  });
  if (arcs.length < 2) throw new RangeError(`bad OID ${oid}`);
  const out: number[] = [];
  const push = (v: bigint): void => {
    const bytes: number[] = [Number(v & 0x7fn)];
    for (v >>= 7n; v > 0n; v >>= 7n) bytes.unshift(Number(v & 0x7fn) | 0x80);
    out.push(...bytes);
  };
  push(arcs[0]! * 40n + arcs[1]!);
  for (const a of arcs.slice(2)) push(a);
  return Buffer.from(out);
}

export function derOid(oid: string): Buffer {
  return tlv(DerTag.OID, encodeOidContent(oid));
}

/** Dotted form of OBJECT IDENTIFIER content octets. */
export function decodeOid(e: DerElement, r: DerReader, field: string): string {
  const c = e.content;
  if (c.length === 0) r.fail(field, 'empty OBJECT IDENTIFIER', e.offset);
  const arcs: bigint[] = [];
  let v = 0n;
  for (let i = 0; i < c.length; i++) {
    v = (v << 7n) | BigInt(c[i]! & 0x7f);
    if ((c[i]! & 0x80) === 0) {
      arcs.push(v);
      v = 0n;
    } else if (i === c.length - 1) {
      r.fail(field, 'OBJECT IDENTIFIER ends inside an arc', e.contentOffset + i);
    }
  }
  const first = arcs[0]!;
  const head = first < 40n ? [0n, first] : first < 80n ? [1n, first - 40n] : [2n, first - 80n];
  return [...head, ...arcs.slice(1)].join('.');
}

export function readOid(r: DerReader, field: string): string {
  const e = r.expect(DerTag.OID, field);
  return decodeOid(e, r, field);
}
