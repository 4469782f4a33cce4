import { ByteReader } from '../util/reader.js';
import { ByteWriter } from '../util/writer.js';

/** AV_PAIR identifiers, MS-NLMP 2.2.2.1. */
export const AvId = {
  EOL: 0x0000,
  NB_COMPUTER_NAME: 0x0001,
  NB_DOMAIN_NAME: 0x0002,
  DNS_COMPUTER_NAME: 0x0003,
  DNS_DOMAIN_NAME: 0x0004,
  DNS_TREE_NAME: 0x0005,
  FLAGS: 0x0006,
  TIMESTAMP: 0x0007,
  SINGLE_HOST: 0x0008,
  TARGET_NAME: 0x0009,
  CHANNEL_BINDINGS: 0x000a,
} as const;
export type AvId = (typeof AvId)[keyof typeof AvId];

/** MsvAvFlags bits, MS-NLMP 2.2.2.1. */
export const AvFlags = {
  ACCOUNT_AUTH_CONSTRAINED: 0x00000001,
  MIC_PRESENT: 0x00000002,
  UNTRUSTED_SPN_SOURCE: 0x00000004,
} as const;

export interface AvPair {
  id: number;
  value: Buffer;
}

/**
 * An ordered AV_PAIR list (MS-NLMP 2.2.2.1), the TargetInfo of CHALLENGE and the tail of an
 * NTLMv2_CLIENT_CHALLENGE. Order matters: the NTLMv2 proof is computed over the exact bytes.
 * `set` replaces a pair in place or appends it, which is also how impacket edits the list.
 */
export class AvPairs {
  private readonly pairs: AvPair[];

  constructor(pairs: Iterable<AvPair> = []) {
    this.pairs = [...pairs].filter((p) => p.id !== AvId.EOL).map((p) => ({ id: p.id, value: Buffer.from(p.value) }));
  }

  /**
   * Parse a list up to MsvAvEOL. Bytes after the EOL (the NTLMv2 blob's trailing Z(4)) are ignored.
   * `baseOffset` is where `buf` starts inside the enclosing message, so errors name real offsets.
   */
  static decode(buf: Buffer, structure = 'AV_PAIR', baseOffset = 0): AvPairs {
    const r = new ByteReader(buf, structure);
    const pairs: AvPair[] = [];
    for (;;) {
      if (r.remaining < 4) {
        throw r.fail('AvId', `AV_PAIR list ends at ${baseOffset + r.offset} without MsvAvEOL`);
      }
      const at = r.offset;
      const id = r.u16('AvId');
      const len = r.u16('AvLen');
      if (id === AvId.EOL) break;
      if (len > r.remaining) {
        r.fail('AvLen', `pair 0x${id.toString(16)} needs ${len} byte(s) at ${baseOffset + at}, ${r.remaining} left`);
      }
      pairs.push({ id, value: r.bytes(len, 'Value') });
    }
    return new AvPairs(pairs);
  }

  get size(): number {
    return this.pairs.length;
  }

  entries(): readonly AvPair[] {
    return this.pairs;
  }

  get(id: number): Buffer | undefined {
    return this.pairs.find((p) => p.id === id)?.value;
  }

  has(id: number): boolean {
    return this.pairs.some((p) => p.id === id);
  }

  /** UTF-16LE string value of a name pair. */
  getString(id: number): string | undefined {
    const v = this.get(id);
    return v === undefined ? undefined : v.toString('utf16le');
  }

  /** MsvAvFlags value, 0 when absent. */
  get flags(): number {
    const v = this.get(AvId.FLAGS);
    return v !== undefined && v.length >= 4 ? v.readUInt32LE(0) : 0;
  }

  set(id: number, value: Buffer): this {
    const existing = this.pairs.find((p) => p.id === id);
    if (existing) existing.value = Buffer.from(value);
    else this.pairs.push({ id, value: Buffer.from(value) });
    return this;
  }

  setString(id: number, value: string): this {
    return this.set(id, Buffer.from(value, 'utf16le'));
  }

  delete(id: number): this {
    const i = this.pairs.findIndex((p) => p.id === id);
    if (i >= 0) this.pairs.splice(i, 1);
    return this;
  }

  clone(): AvPairs {
    return new AvPairs(this.pairs);
  }

  /** Encode the pairs followed by MsvAvEOL. */
  encode(): Buffer {
    const w = new ByteWriter(64);
    for (const p of this.pairs) w.u16(p.id).u16(p.value.length).bytes(p.value);
    w.u16(AvId.EOL).u16(0);
    return w.toBuffer();
  }
}

/** 64-bit FILETIME (100 ns since 1601-01-01 UTC) of a JS time, as MsvAvTimestamp carries it. */
export function fileTimeFromDate(date: Date): bigint {
  return BigInt(date.getTime()) * 10000n + 116444736000000000n;
}

export function encodeFileTime(fileTime: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(fileTime);
  return b;
}
