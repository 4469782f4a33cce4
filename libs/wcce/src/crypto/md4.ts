/**
 * MD4 message digest (RFC 1320), in TypeScript because Node 20's OpenSSL 3 refuses MD4 without
 * `--openssl-legacy-provider`. NTLM needs it for the NT hash (MS-NLMP 3.3.1 NTOWFv1).
 */

// RFC 1320 3.4: the auxiliary functions of the three rounds.
const F = (x: number, y: number, z: number): number => (x & y) | (~x & z);
const G = (x: number, y: number, z: number): number => (x & y) | (x & z) | (y & z);
const H = (x: number, y: number, z: number): number => x ^ y ^ z;
const rotl = (v: number, s: number): number => (v << s) | (v >>> (32 - s));

// RFC 1320 3.4: round 2 and 3 additive constants.
const ROUND2 = 0x5a827999;
const ROUND3 = 0x6ed9eba1;

// Word index and shift per step (RFC 1320 3.4, rounds 1-3).
const R1_SHIFTS = [3, 7, 11, 19];
const R2_ORDER = [0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15];
const R2_SHIFTS = [3, 5, 9, 13];
const R3_ORDER = [0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15];
const R3_SHIFTS = [3, 9, 11, 15];

/** MD4 digest of `data` (16 bytes). */
export function md4(data: Uint8Array): Buffer {
  // RFC 1320 3.1-3.2: append 0x80, pad with zeros to 56 mod 64, append the bit length (LE64).
  const bitLength = BigInt(data.length) * 8n;
  const paddedLength = (((data.length + 8) >> 6) + 1) << 6;
  const msg = Buffer.alloc(paddedLength);
  msg.set(data, 0);
  msg[data.length] = 0x80;
  msg.writeBigUInt64LE(bitLength & 0xffffffffffffffffn, paddedLength - 8);

  // RFC 1320 3.3: initial buffer.
  let a = 0x67452301;
  let b = 0xefcdab89;
  let c = 0x98badcfe;
  let d = 0x10325476;
  const x = new Array<number>(16);

  for (let block = 0; block < paddedLength; block += 64) {
    for (let i = 0; i < 16; i++) x[i] = msg.readInt32LE(block + i * 4);
    const aa = a;
    const bb = b;
    const cc = c;
    const dd = d;

    // Each step rotates the roles of a, b, c, d: [abcd k s] with the word order of the round.
    for (let i = 0; i < 16; i++) {
      const t = rotl((a + F(b, c, d) + x[i]!) | 0, R1_SHIFTS[i % 4]!);
      a = d;
      d = c;
      c = b;
      b = t;
    }
    for (let i = 0; i < 16; i++) {
      const t = rotl((a + G(b, c, d) + x[R2_ORDER[i]!]! + ROUND2) | 0, R2_SHIFTS[i % 4]!);
      a = d;
      d = c;
      c = b;
      b = t;
    }
    for (let i = 0; i < 16; i++) {
      const t = rotl((a + H(b, c, d) + x[R3_ORDER[i]!]! + ROUND3) | 0, R3_SHIFTS[i % 4]!);
      a = d;
      d = c;
      c = b;
      b = t;
    }

    a = (a + aa) | 0;
    b = (b + bb) | 0;
    c = (c + cc) | 0;
    d = (d + dd) | 0;
  }

  // RFC 1320 3.5: output A, B, C, D little-endian.
  const out = Buffer.alloc(16);
  out.writeInt32LE(a, 0);
  out.writeInt32LE(b, 4);
  out.writeInt32LE(c, 8);
  out.writeInt32LE(d, 12);
  return out;
}
