import { DerReader, DerTag, contextTag, derExplicit, derGeneralString, derOctetString, derSequence, tlv, type DerElement } from '../../spnego/der.js';

/**
 * Kerberos ASN.1 (RFC 4120 5.2) on the DER reader/writer of spnego/der.ts: Int32/UInt32, KerberosTime
 * (GeneralizedTime without fractions), KerberosString (GeneralString, IA5 in practice),
 * KerberosFlags (BIT STRING of 32 bits), [APPLICATION n] wrappers and SEQUENCEs of context-tagged
 * fields. Decoders raise WcceProtocolError with the structure, field and absolute offset.
 */
export { DerReader, DerTag, contextTag, derExplicit, derOctetString, derSequence, tlv, type DerElement };

export const KrbTag = {
  BOOLEAN: 0x01,
  GENERALIZED_TIME: 0x18,
} as const;

export function application(n: number): number {
  return 0x60 | n;
}

// ----- encoding ------------------------------------------------------------------------------

export function derInteger(value: number | bigint): Buffer {
  let v = BigInt(value);
  const bytes: number[] = [];
  // Two's complement, minimal length (X.690 8.3).
  for (;;) {
    const b = Number(v & 0xffn);
    bytes.unshift(b);
    v >>= 8n;
    if ((v === 0n && (b & 0x80) === 0) || (v === -1n && (b & 0x80) !== 0)) break;
  }
  return tlv(DerTag.INTEGER, Buffer.from(bytes));
}

export function derKerberosString(value: string): Buffer {
  return derGeneralString(value);
}

/** KerberosTime: YYYYMMDDHHMMSSZ, RFC 4120 5.2.3 (no fractional seconds). */
export function derKerberosTime(date: Date): Buffer {
  const iso = date.toISOString(); // 2024-01-02T03:04:05.678Z
  const s = iso.slice(0, 4) + iso.slice(5, 7) + iso.slice(8, 10) + iso.slice(11, 13) + iso.slice(14, 16) + iso.slice(17, 19) + 'Z';
  return tlv(KrbTag.GENERALIZED_TIME, Buffer.from(s, 'ascii'));
}

/** KerberosFlags: BIT STRING, 32 bits, bit 0 the most significant of the first byte (RFC 4120 5.2.8). */
export function derKerberosFlags(flags: number): Buffer {
  const b = Buffer.alloc(5);
  b.writeUInt32BE(flags >>> 0, 1);
  return tlv(DerTag.BIT_STRING, b);
}

export function derBoolean(value: boolean): Buffer {
  return tlv(KrbTag.BOOLEAN, Buffer.from([value ? 0xff : 0]));
}

export function derApplication(n: number, inner: Buffer): Buffer {
  return tlv(application(n), inner);
}

/** SEQUENCE of [n] EXPLICIT fields; undefined entries (OPTIONAL absent) are skipped. */
export function derFields(fields: (readonly [number, Buffer | undefined])[]): Buffer {
  return derSequence(...fields.filter((f): f is readonly [number, Buffer] => f[1] !== undefined).map(([n, v]) => derExplicit(n, v)));
}

export function derSequenceOf(items: Buffer[]): Buffer {
  return derSequence(...items);
}

// ----- decoding ------------------------------------------------------------------------------

/** A decoded SEQUENCE of context-tagged fields, addressed by tag number. */
export class Fields {
  private readonly byTag = new Map<number, DerElement>();

  constructor(
    readonly seq: DerElement,
    readonly structure: string,
  ) {
    const r = DerReader.inside(seq, structure);
    let last = -1;
    while (!r.done) {
      const e = r.read('field');
      if ((e.tag & 0xe0) !== 0xa0) r.fail('field', `tag 0x${e.tag.toString(16)} is not a context-specific constructed tag`, e.offset);
      const n = e.tag & 0x1f;
      if (n <= last) r.fail(`[${n}]`, 'fields out of order or repeated', e.offset);
      last = n;
      this.byTag.set(n, e);
    }
  }

  fail(field: string, reason: string, at: number = this.seq.offset): never {
    return new DerReader(Buffer.alloc(0), this.structure).fail(field, reason, at);
  }

  /** The single element inside [n], required. */
  req(n: number, field: string): DerElement {
    const e = this.byTag.get(n);
    if (!e) this.fail(field, `required field [${n}] missing`);
    return Fields.inner(e, this.structure, field);
  }

  opt(n: number, field: string): DerElement | undefined {
    const e = this.byTag.get(n);
    return e ? Fields.inner(e, this.structure, field) : undefined;
  }

  private static inner(e: DerElement, structure: string, field: string): DerElement {
    const r = DerReader.inside(e, structure);
    const inner = r.read(field);
    r.end(field);
    return inner;
  }
}

function reader(e: DerElement, structure: string): DerReader {
  return new DerReader(Buffer.alloc(0), structure, e.offset);
}

export function expectTag(e: DerElement, tag: number, structure: string, field: string): DerElement {
  if (e.tag !== tag) reader(e, structure).fail(field, `tag 0x${e.tag.toString(16)}, expected 0x${tag.toString(16)}`, e.offset);
  return e;
}

/** Parses `buf` as exactly one element with `tag`. */
export function parseOne(buf: Buffer, tag: number, structure: string, field: string, base = 0): DerElement {
  const r = new DerReader(buf, structure, base);
  const e = r.expect(tag, field);
  r.end(field);
  return e;
}

/** The SEQUENCE inside [APPLICATION n]. */
export function unwrapApplication(buf: Buffer, n: number, structure: string, base = 0): DerElement {
  const app = parseOne(buf, application(n), structure, structure, base);
  const r = DerReader.inside(app, structure);
  const seq = r.expect(DerTag.SEQUENCE, structure);
  r.end(structure);
  return seq;
}

export function readInteger(e: DerElement, structure: string, field: string): number {
  expectTag(e, DerTag.INTEGER, structure, field);
  const c = e.content;
  if (c.length === 0 || c.length > 5) reader(e, structure).fail(field, `INTEGER of ${c.length} bytes out of the 32-bit range`, e.offset);
  let v = BigInt.asIntN(8, BigInt(c[0]!));
  for (let i = 1; i < c.length; i++) v = (v << 8n) | BigInt(c[i]!);
  if (v < -0x80000000n || v > 0xffffffffn) reader(e, structure).fail(field, 'INTEGER out of the 32-bit range', e.offset);
  return Number(v);
}

export function readKerberosString(e: DerElement, structure: string, field: string): string {
  // GeneralString per RFC 4120; some implementations send IA5String/UTF8String, accept them too.
  if (e.tag !== DerTag.GENERAL_STRING && e.tag !== 0x16 && e.tag !== 0x0c) expectTag(e, DerTag.GENERAL_STRING, structure, field);
  return e.content.toString('utf8');
}

export function readOctetString(e: DerElement, structure: string, field: string): Buffer {
  expectTag(e, DerTag.OCTET_STRING, structure, field);
  return e.content;
}

export function readBoolean(e: DerElement, structure: string, field: string): boolean {
  expectTag(e, KrbTag.BOOLEAN, structure, field);
  if (e.content.length !== 1) reader(e, structure).fail(field, 'BOOLEAN must be one byte', e.offset);
  return e.content[0] !== 0;
}

export function readKerberosTime(e: DerElement, structure: string, field: string): Date {
  expectTag(e, KrbTag.GENERALIZED_TIME, structure, field);
  const s = e.content.toString('ascii');
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.\d+)?Z$/.exec(s);
  if (!m) return reader(e, structure).fail(field, `"${s}" is not a KerberosTime`, e.offset);
  const [, y, mo, d, h, mi, se] = m;
  return new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(se)));
}

export function readKerberosFlags(e: DerElement, structure: string, field: string): number {
  expectTag(e, DerTag.BIT_STRING, structure, field);
  const c = e.content;
  if (c.length < 1) reader(e, structure).fail(field, 'empty BIT STRING', e.offset);
  // Bits beyond 32 are ignored; fewer bytes mean the missing low bits are zero.
  const b = Buffer.alloc(4);
  c.subarray(1, 5).copy(b);
  return b.readUInt32BE(0);
}

export function readSequenceOf<T>(e: DerElement, structure: string, field: string, item: (x: DerElement) => T): T[] {
  expectTag(e, DerTag.SEQUENCE, structure, field);
  const r = DerReader.inside(e, structure);
  const out: T[] = [];
  while (!r.done) out.push(item(r.read(field)));
  return out;
}
