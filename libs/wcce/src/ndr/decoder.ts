import { ByteReader } from '../util/reader.js';
import type { NdrPointerKind } from './encoder.js';

/**
 * NDR20 unmarshalling, the mirror of NdrEncoder (C706 chapter 14). Reads untrusted stubs through
 * ByteReader, so every failure is a WcceProtocolError naming the structure, field and offset.
 *
 * Embedded pointers cannot return their pointee at once (it comes after the outermost
 * constructed type), so pointer() takes a setter that is called when the pointee is read.
 */
export interface NdrDecoderOptions {
  /** Upper bound for any conformance (max_count) read, as a sanity check on untrusted input. */
  maxElements?: number;
}

type Deferred = () => void;

export class NdrDecoder {
  readonly reader: ByteReader;
  private readonly base: number;
  private readonly maxElements: number;
  private frame: Deferred[] | undefined;
  /** Full pointers seen so far: the pointee once read, and setters waiting for it (aliases). */
  private readonly fullPointees = new Map<number, { done: boolean; value: unknown; waiters: Array<(v: unknown) => void> }>();

  constructor(stub: Buffer, structure: string, options: NdrDecoderOptions = {}) {
    this.reader = new ByteReader(stub, structure);
    this.base = 0;
    this.maxElements = options.maxElements ?? 16 * 1024 * 1024;
  }

  get offset(): number {
    return this.reader.offset;
  }

  get remaining(): number {
    return this.reader.remaining;
  }

  fail(field: string, reason: string, at?: number): never {
    return this.reader.fail(field, reason, at);
  }

  align(n: number, field = 'alignment'): this {
    this.reader.align(n, this.base, field);
    return this;
  }

  u8(field: string): number {
    return this.reader.u8(field);
  }

  u16(field: string): number {
    this.align(2, field);
    return this.reader.u16(field);
  }

  u32(field: string): number {
    this.align(4, field);
    return this.reader.u32(field);
  }

  i32(field: string): number {
    this.align(4, field);
    return this.reader.i32(field);
  }

  u64(field: string): bigint {
    this.align(8, field);
    return this.reader.u64(field);
  }

  bytes(n: number, field: string): Buffer {
    return this.reader.bytes(n, field);
  }

  guid(field: string): Buffer {
    this.align(4, field);
    return Buffer.from(this.reader.bytes(16, field));
  }

  /** A constructed type: embedded pointers read inside it defer their pointees to its end. */
  struct<T>(read: () => T): T {
    if (this.frame !== undefined) return read();
    const frame: Deferred[] = [];
    this.frame = frame;
    let value: T;
    try {
      value = read();
    } finally {
      this.frame = undefined;
    }
    for (const readPointee of frame) readPointee();
    return value;
  }

  /**
   * A pointer. For a top-level pointer the pointee is read at once and `set` is called before
   * pointer() returns; for an embedded one `set` is called when the enclosing constructed type
   * ends. A NULL unique/full pointer calls `set(null)` at once. Returns the referent id (0 for
   * NULL, -1 for a top-level [ref] pointer, which has none on the wire).
   */
  pointer<T>(kind: NdrPointerKind, field: string, readPointee: () => T, set: (value: T | null) => void): number {
    const embedded = this.frame !== undefined;
    let referent = -1;
    if (kind !== 'ref' || embedded) {
      const at = this.offset;
      referent = this.u32(`${field}.referentId`);
      if (referent === 0) {
        if (kind === 'ref') this.fail(`${field}.referentId`, 'NULL [ref] pointer', at);
        set(null);
        return 0;
      }
      const alias = kind === 'full' ? this.fullPointees.get(referent) : undefined;
      if (alias !== undefined) {
        // C706 14.3.11.3: a repeated referent id of a full pointer carries no second pointee.
        if (alias.done) set(alias.value as T);
        else alias.waiters.push((v) => set(v as T));
        return referent;
      }
    }
    const entry = { done: false, value: undefined as unknown, waiters: [] as Array<(v: unknown) => void> };
    if (kind === 'full') this.fullPointees.set(referent, entry);
    const run = (): void => {
      const value = readPointee();
      entry.done = true;
      entry.value = value;
      set(value);
      for (const w of entry.waiters) w(value);
    };
    if (embedded) {
      this.frame?.push(run);
    } else {
      const saved = this.frame;
      this.frame = undefined;
      try {
        run();
      } finally {
        this.frame = saved;
      }
    }
    return referent;
  }

  /** Top-level unique pointer returning its pointee (or null) directly. */
  uniqueTop<T>(field: string, readPointee: () => T): T | null {
    if (this.frame !== undefined) this.fail(field, 'uniqueTop() used inside a constructed type');
    let out: T | null = null;
    this.pointer('unique', field, readPointee, (v) => {
      out = v;
    });
    return out;
  }

  /** Reads a conformance (max_count) and checks it against the configured bound. */
  count(field: string): number {
    const at = this.offset;
    const n = this.u32(field);
    if (n > this.maxElements) this.fail(field, `count ${n} exceeds limit ${this.maxElements}`, at);
    return n;
  }

  conformantArray<T>(field: string, readItem: (index: number) => T): T[] {
    const n = this.count(`${field}.maxCount`);
    return this.struct(() => {
      const items: T[] = [];
      for (let i = 0; i < n; i++) items.push(readItem(i));
      return items;
    });
  }

  conformantBytes(field: string): Buffer {
    const n = this.count(`${field}.maxCount`);
    return Buffer.from(this.bytes(n, field));
  }

  /** Conformant varying array header: returns the element count actually transmitted. */
  varyingHeader(field: string): { maxCount: number; offset: number; actualCount: number } {
    const maxCount = this.count(`${field}.maxCount`);
    const offsetAt = this.offset;
    const offset = this.u32(`${field}.offset`);
    const actualAt = this.offset;
    const actualCount = this.count(`${field}.actualCount`);
    if (offset > maxCount) this.fail(`${field}.offset`, `offset ${offset} > max_count ${maxCount}`, offsetAt);
    if (offset + actualCount > maxCount) {
      this.fail(`${field}.actualCount`, `offset ${offset} + actual_count ${actualCount} > max_count ${maxCount}`, actualAt);
    }
    return { maxCount, offset, actualCount };
  }

  conformantVaryingArray<T>(field: string, readItem: (index: number) => T): T[] {
    const { actualCount } = this.varyingHeader(field);
    return this.struct(() => {
      const items: T[] = [];
      for (let i = 0; i < actualCount; i++) items.push(readItem(i));
      return items;
    });
  }

  /** `[string] wchar_t*` pointee: requires the NUL terminator and strips it. */
  wstring(field: string): string {
    const { actualCount } = this.varyingHeader(field);
    const at = this.offset;
    const units = this.bytes(actualCount * 2, field);
    if (actualCount === 0 || units.readUInt16LE(units.length - 2) !== 0) {
      this.fail(field, 'string is not NUL-terminated', at);
    }
    return units.subarray(0, units.length - 2).toString('utf16le');
  }

  /** UTF-16 conformant varying array without terminator (RPC_UNICODE_STRING.Buffer). */
  wcharArray(field: string): string {
    const { actualCount } = this.varyingHeader(field);
    return this.bytes(actualCount * 2, field).toString('utf16le');
  }

  contextHandle(field: string): Buffer {
    this.align(4, field);
    return Buffer.from(this.bytes(20, field));
  }

  /** Fails unless the whole stub was consumed (trailing garbage is a malformed stub). */
  end(field = 'end'): void {
    if (this.remaining !== 0) this.fail(field, `${this.remaining} unexpected trailing byte(s)`);
  }
}
