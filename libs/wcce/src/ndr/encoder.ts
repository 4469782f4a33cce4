import { ByteWriter } from '../util/writer.js';

/**
 * NDR20 marshalling (C706 chapter 14, MS-RPCE 2.2.5) for little-endian, ASCII, IEEE stubs.
 *
 * Alignment is relative to the start of the stub (C706 14.2.2: "aligned with respect to the
 * beginning of the octet stream"): every primitive is aligned to its own size before it is
 * written, so callers never pad by hand and a stub never ends with padding.
 *
 * Pointers (C706 14.3.10–14.3.12):
 *  - a top-level pointer (a parameter, or the pointee of another top-level pointer) is followed
 *    at once by its pointee;
 *  - a pointer embedded in a constructed type (struct, union, array) is written as a referent id
 *    only, and its pointee is deferred until the outermost constructed type is complete; deferred
 *    pointees are written in the order of their pointers, each followed by its own deferred
 *    pointees (depth first, as MIDL and impacket do).
 */
export type NdrPointerKind = 'ref' | 'unique' | 'full';

export interface NdrEncoderOptions {
  /** First referent id handed out by nextReferent() (Windows uses 0x00020000, step 4). */
  firstReferent?: number;
  referentStep?: number;
}

type Deferred = () => void;

export class NdrEncoder {
  private readonly w = new ByteWriter(256);
  private nextReferentId: number;
  private readonly referentStep: number;
  /** Pending pointees of the outermost constructed type being written, or undefined at top level. */
  private frame: Deferred[] | undefined;
  /** Full pointers (C706 14.3.11.3): one referent id per distinct pointee object. */
  private readonly fullReferents = new Map<unknown, number>();

  constructor(options: NdrEncoderOptions = {}) {
    this.nextReferentId = options.firstReferent ?? 0x00020000;
    this.referentStep = options.referentStep ?? 4;
  }

  get length(): number {
    return this.w.length;
  }

  /** A fresh non-zero referent id. */
  nextReferent(): number {
    const id = this.nextReferentId;
    this.nextReferentId = (this.nextReferentId + this.referentStep) >>> 0;
    return id;
  }

  align(n: number): this {
    this.w.align(n, 0, 0);
    return this;
  }

  u8(v: number): this {
    this.w.u8(v);
    return this;
  }

  u16(v: number): this {
    this.w.align(2);
    this.w.u16(v);
    return this;
  }

  u32(v: number): this {
    this.w.align(4);
    this.w.u32(v);
    return this;
  }

  i32(v: number): this {
    return this.u32(v >>> 0);
  }

  u64(v: bigint | number): this {
    this.w.align(8);
    this.w.u64(v);
    return this;
  }

  /** Raw octets with no alignment (the elements of a byte array, a GUID's tail, ...). */
  bytes(b: Uint8Array): this {
    this.w.bytes(b);
    return this;
  }

  /** A 16-byte GUID already in its wire form (4-byte aligned: it is a struct of u32,u16,u16,u8[8]). */
  guid(b: Uint8Array): this {
    if (b.length !== 16) throw new RangeError(`GUID must be 16 bytes, got ${b.length}`);
    this.w.align(4);
    this.w.bytes(b);
    return this;
  }

  /**
   * A constructed type (struct, union arm, array of structs). Embedded pointers written inside it
   * defer their pointees to the end of the outermost constructed type.
   */
  struct(write: () => void): this {
    if (this.frame !== undefined) {
      write();
      return this;
    }
    const frame: Deferred[] = [];
    this.frame = frame;
    try {
      write();
    } finally {
      this.frame = undefined;
    }
    this.flush(frame);
    return this;
  }

  private flush(frame: Deferred[]): void {
    // Each deferred pointee runs at "top level": if it is itself constructed, its own embedded
    // pointers are flushed right after it, before the next sibling (depth first).
    for (const writePointee of frame) writePointee();
  }

  /**
   * A pointer. `value === null/undefined` is a NULL unique/full pointer (referent 0). A top-level
   * [ref] pointer has no wire representation of its own; an embedded one is a non-zero referent.
   * `referent` overrides the allocated id (to reproduce another implementation's bytes).
   */
  pointer<T>(kind: NdrPointerKind, value: T | null | undefined, writePointee: (value: T) => void, options: { referent?: number } = {}): this {
    const embedded = this.frame !== undefined;
    if (value === null || value === undefined) {
      if (kind === 'ref') throw new RangeError('a [ref] pointer cannot be NULL');
      this.u32(0);
      return this;
    }
    if (kind === 'full') {
      const known = this.fullReferents.get(value);
      if (known !== undefined) {
        this.u32(known); // already marshalled: the referent id alone (C706 14.3.11.3)
        return this;
      }
    }
    if (kind !== 'ref' || embedded) {
      const id = options.referent ?? this.nextReferent();
      if (kind === 'full') this.fullReferents.set(value, id);
      this.u32(id);
    }
    if (embedded) {
      this.frame?.push(() => writePointee(value));
    } else {
      const saved = this.frame;
      this.frame = undefined;
      try {
        writePointee(value);
      } finally {
        this.frame = saved;
      }
    }
    return this;
  }

  /** Conformant array (C706 14.3.3.2): max_count, then the elements. */
  conformantArray<T>(items: readonly T[], writeItem: (item: T) => void): this {
    this.u32(items.length);
    this.struct(() => items.forEach(writeItem));
    return this;
  }

  /** Conformant byte array, e.g. `[size_is(cb)] BYTE *pb`. */
  conformantBytes(data: Uint8Array, maxCount: number = data.length): this {
    this.u32(maxCount);
    this.bytes(data);
    return this;
  }

  /** Conformant varying array (C706 14.3.3.4): max_count, offset, actual_count, elements. */
  conformantVaryingArray<T>(items: readonly T[], writeItem: (item: T) => void, maxCount: number = items.length): this {
    this.u32(maxCount).u32(0).u32(items.length);
    this.struct(() => items.forEach(writeItem));
    return this;
  }

  /**
   * `[string] wchar_t*` pointee (C706 14.3.4.2): a conformant varying array of UTF-16LE units,
   * NUL terminator included in both counts.
   */
  wstring(s: string): this {
    const units = Buffer.from(s + '\0', 'utf16le');
    const count = units.length / 2;
    this.u32(count).u32(0).u32(count);
    this.bytes(units);
    return this;
  }

  /**
   * A UTF-16 array without terminator counted separately for max and actual, as in
   * RPC_UNICODE_STRING's `[size_is(MaximumLength/2), length_is(Length/2)] WCHAR *Buffer`.
   */
  wcharArray(s: string, maxChars?: number): this {
    const units = Buffer.from(s, 'utf16le');
    const count = units.length / 2;
    this.u32(maxChars ?? count)
      .u32(0)
      .u32(count);
    this.bytes(units);
    return this;
  }

  /** A context handle (MS-RPCE 2.2.5.2.2 / C706 ndr_context_handle): attributes u32 + uuid, 20 bytes. */
  contextHandle(handle: Uint8Array): this {
    if (handle.length !== 20) throw new RangeError(`context handle must be 20 bytes, got ${handle.length}`);
    this.w.align(4);
    this.w.bytes(handle);
    return this;
  }

  toBuffer(): Buffer {
    if (this.frame !== undefined) throw new Error('NdrEncoder.toBuffer() inside struct()');
    return this.w.toBuffer();
  }
}
