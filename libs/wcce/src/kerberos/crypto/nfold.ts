/**
 * n-fold, RFC 3961 5.1: stretch or shrink `input` to `outBytes` bytes by concatenating copies of
 * it, each rotated 13 bits to the right of the previous one, up to the least common multiple of
 * the two lengths, and adding the `outBytes`-sized chunks with ones'-complement addition.
 * Inputs are short constants, so plain BigInt arithmetic is fast enough.
 */
export function nfold(input: Uint8Array, outBytes: number): Buffer {
  if (input.length === 0 || outBytes <= 0) throw new RangeError('n-fold needs non-empty input and output');
  const inBits = BigInt(input.length * 8);
  const outBits = BigInt(outBytes * 8);
  const total = lcm(input.length, outBytes);
  const inMask = (1n << inBits) - 1n;
  const outMask = (1n << outBits) - 1n;
  const x = toBig(input);

  // The lcm-long string, as one big integer (most significant bit first).
  let big = 0n;
  for (let i = 0; i < total / input.length; i++) {
    const k = BigInt(13 * i) % inBits;
    const rotated = k === 0n ? x : ((x >> k) | (x << (inBits - k))) & inMask;
    big = (big << inBits) | rotated;
  }
  let sum = 0n;
  for (let i = 0; i < total / outBytes; i++) {
    sum += big & outMask;
    big >>= outBits;
  }
  // Ones'-complement addition: fold the carries back in (end-around carry).
  while (sum > outMask) sum = (sum & outMask) + (sum >> outBits);
  return fromBig(sum, outBytes);
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

function lcm(a: number, b: number): number {
  return (a / gcd(a, b)) * b;
}

function toBig(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

function fromBig(v: bigint, n: number): Buffer {
  const out = Buffer.alloc(n);
  for (let i = n - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}
