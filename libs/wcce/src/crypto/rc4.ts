/**
 * RC4 (ARCFOUR) in TypeScript: Node 20's OpenSSL 3 refuses `rc4` without the legacy provider.
 *
 * NTLM sealing (MS-NLMP 3.4.3) keeps one RC4 handle per direction for the whole connection, so
 * `Rc4` is stateful: the keystream continues across `update()` calls and is never re-keyed.
 */
const ZERO_KEY = new Uint8Array(1);

export class Rc4 {
  private readonly s = new Uint8Array(256);
  private i = 0;
  private j = 0;

  constructor(key: Uint8Array) {
    if (key.length === 0 || key.length > 256) throw new RangeError(`RC4 key must be 1..256 bytes, got ${key.length}`);
    // Key-scheduling algorithm.
    const s = this.s;
    for (let n = 0; n < 256; n++) s[n] = n;
    let j = 0;
    for (let n = 0; n < 256; n++) {
      j = (j + s[n]! + key[n % key.length]!) & 0xff;
      const t = s[n]!;
      s[n] = s[j]!;
      s[j] = t;
    }
  }

  /** XOR `data` with the next data.length keystream bytes (encrypt and decrypt are the same). */
  update(data: Uint8Array): Buffer {
    const out = Buffer.alloc(data.length);
    const s = this.s;
    let i = this.i;
    let j = this.j;
    for (let n = 0; n < data.length; n++) {
      i = (i + 1) & 0xff;
      j = (j + s[i]!) & 0xff;
      const t = s[i]!;
      s[i] = s[j]!;
      s[j] = t;
      out[n] = data[n]! ^ s[(s[i]! + s[j]!) & 0xff]!;
    }
    this.i = i;
    this.j = j;
    return out;
  }

  /** An independent copy of the current state (to roll back after a failed verification). */
  clone(): Rc4 {
    const copy = new Rc4(ZERO_KEY);
    copy.s.set(this.s);
    copy.i = this.i;
    copy.j = this.j;
    return copy;
  }

  /** The next `n` keystream bytes. */
  keystream(n: number): Buffer {
    return this.update(new Uint8Array(n));
  }
}

/** One-shot RC4 with a fresh key schedule: MS-NLMP 6 RC4K(Key, Message). */
export function rc4k(key: Uint8Array, data: Uint8Array): Buffer {
  return new Rc4(key).update(data);
}
