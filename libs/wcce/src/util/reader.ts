import { WcceProtocolError } from '../errors.js';

/**
 * Bounds-checked little-endian reader over untrusted bytes. Every read names the field, so a
 * short or malformed message surfaces as WcceProtocolError(structure, field, offset) instead of
 * a RangeError from deep inside Buffer.
 */
export class ByteReader {
  private pos: number;

  constructor(
    readonly buf: Buffer,
    readonly structure: string,
    offset = 0,
  ) {
    this.pos = offset;
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  fail(field: string, reason: string, at: number = this.pos): never {
    throw new WcceProtocolError(this.structure, field, at, reason);
  }

  private need(n: number, field: string): void {
    if (n < 0 || this.pos + n > this.buf.length) {
      this.fail(field, `needs ${n} byte(s), ${Math.max(0, this.buf.length - this.pos)} left`);
    }
  }

  seek(offset: number, field = 'offset'): this {
    if (offset < 0 || offset > this.buf.length) this.fail(field, `offset ${offset} outside ${this.buf.length}-byte message`);
    this.pos = offset;
    return this;
  }

  skip(n: number, field = 'padding'): this {
    this.need(n, field);
    this.pos += n;
    return this;
  }

  /** Advance to a multiple of `n` relative to `base` (NDR and DCE/RPC alignment). */
  align(n: number, base = 0, field = 'alignment'): this {
    const rel = (this.pos - base) % n;
    if (rel !== 0) this.skip(n - rel, field);
    return this;
  }

  u8(field: string): number {
    this.need(1, field);
    return this.buf.readUInt8(this.pos++);
  }

  u16(field: string): number {
    this.need(2, field);
    const v = this.buf.readUInt16LE(this.pos);
    this.pos += 2;
    return v;
  }

  u32(field: string): number {
    this.need(4, field);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  i32(field: string): number {
    this.need(4, field);
    const v = this.buf.readInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  u64(field: string): bigint {
    this.need(8, field);
    const v = this.buf.readBigUInt64LE(this.pos);
    this.pos += 8;
    return v;
  }

  u16be(field: string): number {
    this.need(2, field);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  u32be(field: string): number {
    this.need(4, field);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  u64be(field: string): bigint {
    this.need(8, field);
    const v = this.buf.readBigUInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  /** A copy-free view of the next `n` bytes. */
  bytes(n: number, field: string): Buffer {
    this.need(n, field);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** A view of [offset, offset+length) checked against the message, without moving the cursor. */
  slice(offset: number, length: number, field: string): Buffer {
    if (offset < 0 || length < 0 || offset + length > this.buf.length) {
      this.fail(field, `range [${offset}, ${offset + length}) outside ${this.buf.length}-byte message`, offset);
    }
    return this.buf.subarray(offset, offset + length);
  }

  rest(): Buffer {
    const v = this.buf.subarray(this.pos);
    this.pos = this.buf.length;
    return v;
  }

  guid(field: string): Buffer {
    return this.bytes(16, field);
  }
}
