import { createCipheriv } from 'node:crypto';

/**
 * AES-CMAC (RFC 4493) on node:crypto, which has AES but no CMAC. Used for SMB 3.x signing
 * (MS-SMB2 3.1.4.1). Keys of 16, 24 or 32 bytes select AES-128/192/256; SMB uses 128.
 */

const BLOCK = 16;
/** RFC 4493 2.3: the constant R_b for a 128-bit block cipher. */
const RB = 0x87;

function algorithm(key: Buffer, mode: 'ecb' | 'cbc'): string {
  if (key.length !== 16 && key.length !== 24 && key.length !== 32) {
    throw new RangeError(`AES-CMAC key must be 16, 24 or 32 bytes, got ${key.length}`);
  }
  return `aes-${key.length * 8}-${mode}`;
}

/** Left shift of a 16-byte block by one bit, XOR R_b when the dropped bit was 1 (RFC 4493 2.3). */
function doubleBlock(block: Buffer): Buffer {
  const out = Buffer.alloc(BLOCK);
  for (let i = 0; i < BLOCK; i++) {
    const next = i + 1 < BLOCK ? block[i + 1]! : 0;
    out[i] = ((block[i]! << 1) | (next >>> 7)) & 0xff;
  }
  if (block[0]! & 0x80) out[BLOCK - 1] = out[BLOCK - 1]! ^ RB;
  return out;
}

/** RFC 4493 2.3 Generate_Subkey: returns [K1, K2]. */
export function cmacSubkeys(key: Buffer): [Buffer, Buffer] {
  const ecb = createCipheriv(algorithm(key, 'ecb'), key, null).setAutoPadding(false);
  const l = Buffer.concat([ecb.update(Buffer.alloc(BLOCK)), ecb.final()]);
  const k1 = doubleBlock(l);
  return [k1, doubleBlock(k1)];
}

/** RFC 4493 2.4: the 16-byte MAC of `message` under `key`. */
export function aesCmac(key: Buffer, message: Uint8Array): Buffer {
  const [k1, k2] = cmacSubkeys(key);
  const blocks = Math.max(1, Math.ceil(message.length / BLOCK));
  const complete = message.length > 0 && message.length % BLOCK === 0;
  // Copy the message into whole blocks; the last one is padded (10*) when incomplete.
  const data = Buffer.alloc(blocks * BLOCK);
  data.set(message, 0);
  const lastStart = (blocks - 1) * BLOCK;
  if (!complete) data[message.length] = 0x80;
  const subkey = complete ? k1 : k2;
  for (let i = 0; i < BLOCK; i++) data[lastStart + i] = data[lastStart + i]! ^ subkey[i]!;
  // CBC-MAC with a zero IV: the MAC is the last ciphertext block.
  const cbc = createCipheriv(algorithm(key, 'cbc'), key, Buffer.alloc(BLOCK)).setAutoPadding(false);
  const out = Buffer.concat([cbc.update(data), cbc.final()]);
  return Buffer.from(out.subarray(out.length - BLOCK));
}
