import { createCipheriv, createDecipheriv } from 'node:crypto';

/**
 * AES in CBC mode with ciphertext stealing as Kerberos uses it (RFC 3962 5, the "CS3" variant of
 * NIST SP 800-38A Addendum): the last two blocks are always swapped, even when the input is a
 * whole number of blocks; a single block is plain CBC. Built on node:crypto aes-*-cbc / -ecb.
 */
const BLOCK = 16;

function algorithm(key: Buffer, mode: 'cbc' | 'ecb'): string {
  if (key.length !== 16 && key.length !== 32) throw new RangeError(`AES key must be 16 or 32 bytes, got ${key.length}`);
  return `aes-${key.length * 8}-${mode}`;
}

/** AES-CBC over whole blocks, no padding. */
function cbc(key: Buffer, iv: Buffer, data: Buffer, encrypt: boolean): Buffer {
  const c = encrypt ? createCipheriv(algorithm(key, 'cbc'), key, iv) : createDecipheriv(algorithm(key, 'cbc'), key, iv);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]);
}

/** One raw AES block operation (the RFC 3961 "E" of DR on a single block). */
export function aesEcbBlock(key: Buffer, block: Buffer): Buffer {
  const c = createCipheriv(algorithm(key, 'ecb'), key, null);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(block), c.final()]);
}

function aesEcbDecryptBlock(key: Buffer, block: Buffer): Buffer {
  const c = createDecipheriv(algorithm(key, 'ecb'), key, null);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(block), c.final()]);
}

export function ctsEncrypt(key: Buffer, iv: Buffer, plaintext: Buffer): Buffer {
  if (plaintext.length < BLOCK) throw new RangeError('AES-CTS needs at least one block');
  if (plaintext.length === BLOCK) return cbc(key, iv, plaintext, true);
  const blocks = Math.ceil(plaintext.length / BLOCK);
  const lastLength = plaintext.length - (blocks - 1) * BLOCK;
  const padded = Buffer.alloc(blocks * BLOCK);
  plaintext.copy(padded);
  const c = cbc(key, iv, padded, true);
  // C1 … C(n-2) ‖ Cn ‖ C(n-1) truncated to the length of the last plaintext block.
  const head = c.subarray(0, (blocks - 2) * BLOCK);
  const penultimate = c.subarray((blocks - 2) * BLOCK, (blocks - 1) * BLOCK);
  const last = c.subarray((blocks - 1) * BLOCK);
  return Buffer.concat([head, last, penultimate.subarray(0, lastLength)]);
}

export function ctsDecrypt(key: Buffer, iv: Buffer, ciphertext: Buffer): Buffer {
  if (ciphertext.length < BLOCK) throw new RangeError('AES-CTS needs at least one block');
  if (ciphertext.length === BLOCK) return cbc(key, iv, ciphertext, false);
  const blocks = Math.ceil(ciphertext.length / BLOCK);
  const lastLength = ciphertext.length - (blocks - 1) * BLOCK;
  const head = ciphertext.subarray(0, (blocks - 2) * BLOCK);
  const cn = ciphertext.subarray((blocks - 2) * BLOCK, (blocks - 1) * BLOCK);
  const cnMinus1Partial = ciphertext.subarray((blocks - 1) * BLOCK);
  // D(Cn) = C(n-1) xor (Pn ‖ zeros): its tail completes C(n-1), its head xor C(n-1) gives Pn.
  const d = aesEcbDecryptBlock(key, cn);
  const cnMinus1 = Buffer.concat([cnMinus1Partial, d.subarray(lastLength)]);
  const pn = Buffer.alloc(lastLength);
  for (let i = 0; i < lastLength; i++) pn[i] = d[i]! ^ cnMinus1[i]!;
  const front = cbc(key, iv, Buffer.concat([head, cnMinus1]), false);
  return Buffer.concat([front, pn]);
}
