import { createHmac } from 'node:crypto';

/**
 * SP800-108 KDF in counter mode with HMAC-SHA256 as the PRF, r = 32, as MS-SMB2 3.1.4.2 uses it
 * to derive SMB 3.x signing, encryption and application keys from the session key.
 *
 * K(i) = HMAC-SHA256(key, [i]_32be || Label || 0x00 || Context || [L]_32be), output = first L bits.
 * MS-SMB2 labels carry their own terminating NUL ("SMB2AESCMAC\0"), so the fixed input holds two
 * zero bytes in a row there; that is what Windows does and what the published vectors need.
 */
export function sp800108CounterHmacSha256(key: Uint8Array, label: Uint8Array, context: Uint8Array, lengthBits: number): Buffer {
  if (lengthBits <= 0 || lengthBits % 8 !== 0) throw new RangeError(`KDF output length must be a positive multiple of 8 bits, got ${lengthBits}`);
  const lengthBytes = lengthBits / 8;
  const blocks = Math.ceil(lengthBytes / 32);
  const counter = Buffer.alloc(4);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(lengthBits >>> 0, 0);
  const out: Buffer[] = [];
  for (let i = 1; i <= blocks; i++) {
    counter.writeUInt32BE(i, 0);
    out.push(createHmac('sha256', key).update(counter).update(label).update(Buffer.of(0)).update(context).update(length).digest());
  }
  return Buffer.concat(out).subarray(0, lengthBytes);
}

/** MS-SMB2 3.1.4.2 with L = 128: the only length SMB 3.x with 128-bit ciphers needs. */
export function smb3Kdf(sessionKey: Uint8Array, label: Uint8Array, context: Uint8Array, lengthBits = 128): Buffer {
  return sp800108CounterHmacSha256(sessionKey, label, context, lengthBits);
}

/** A label or context string with its terminating NUL, as MS-SMB2 3.2.5.3.1 spells them. */
export function kdfString(s: string): Buffer {
  return Buffer.from(s + '\0', 'latin1');
}
