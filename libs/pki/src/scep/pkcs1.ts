/**
 * RSAES-PKCS1-v1_5 decryption of a CMS key-transport key without a padding oracle.
 *
 * Node 20 refuses privateDecrypt with RSA_PKCS1_PADDING (CVE-2023-46809), and a plain unpad that
 * throws on bad padding is Bleichenbacher's oracle. So: raw RSA (RSA_NO_PADDING), then a
 * branch-free check of the encoded message, and *implicit rejection*
 * (draft-irtf-cfrg-rsa-guidance §7, as OpenSSL 3.2 does): a bad encoding yields a synthetic key
 * derived deterministically from the private key and the ciphertext, indistinguishable from a
 * real one until the content decryption fails, the same way a wrong real key would.
 *
 * CMS tells us the key length to expect (the content cipher's key size), so the message sits at a
 * fixed offset and no variable-index copy is needed. JavaScript gives no hard constant-time
 * guarantee; the code avoids data-dependent branches and indexing, which is what we can control.
 */
import { constants, createHash, createHmac, privateDecrypt, type KeyObject } from 'node:crypto';

/** 0xff when a === b, else 0 (a, b bytes). */
function eqMask(a: number, b: number): number {
  const x = (a ^ b) & 0xff;
  // (x - 1) >> 8 has bit 0..7 set only when x == 0
  return ((x - 1) >>> 8) & 0xff;
}

/**
 * Checks EM = 0x00 || 0x02 || PS (≥ 8 non-zero octets) || 0x00 || M with |M| = messageLength,
 * without branching on the data. Returns 0xff when valid, else 0.
 */
export function pkcs1v15ValidMask(em: Uint8Array, messageLength: number): number {
  const k = em.length;
  const sep = k - messageLength - 1; // index of the 0x00 separator
  if (sep < 10) return 0; // public sizes only: needs 8 bytes of PS
  let good = eqMask(em[0]!, 0x00) & eqMask(em[1]!, 0x02) & eqMask(em[sep]!, 0x00);
  for (let i = 2; i < sep; i++) good &= ~eqMask(em[i]!, 0x00) & 0xff;
  return good;
}

/** The key's modulus size in bytes (asymmetricKeyDetails builds a new object on every read). */
const modulusCache = new WeakMap<KeyObject, number>();
function modulusBytesOf(key: KeyObject): number {
  let n = modulusCache.get(key);
  if (n === undefined) {
    n = Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
    modulusCache.set(key, n);
  }
  return n;
}

/** Per-key secret for implicit rejection: a hash of the private key (never leaves this module). */
const kdkCache = new WeakMap<KeyObject, Buffer>();
function keyDerivationKey(key: KeyObject): Buffer {
  let kdk = kdkCache.get(key);
  if (kdk === undefined) {
    kdk = createHash('sha256')
      .update('enrollgate scep implicit rejection\0')
      .update(key.export({ format: 'der', type: 'pkcs8' }))
      .digest();
    kdkCache.set(key, kdk);
  }
  return kdk;
}

/** The synthetic message for a ciphertext: HMAC-SHA-256(KDK, counter || ciphertext) expanded to `length`. */
export function syntheticMessage(key: KeyObject, ciphertext: Uint8Array, length: number): Buffer {
  const kdk = keyDerivationKey(key);
  const out = Buffer.alloc(length);
  for (let counter = 0, pos = 0; pos < length; counter++) {
    const block = createHmac('sha256', kdk).update(Buffer.of(counter)).update(ciphertext).digest();
    pos += block.copy(out, pos);
  }
  return out;
}

/**
 * Decrypts an RSAES-PKCS1-v1_5 ciphertext whose message must be `messageLength` bytes. Never throws
 * for a bad padding: returns the synthetic message instead (implicit rejection). Throws only for
 * problems independent of the plaintext (ciphertext longer than the modulus, unusable key).
 */
export function rsaPkcs1v15DecryptImplicit(key: KeyObject, ciphertext: Uint8Array, messageLength: number): Buffer {
  const modulusBytes = modulusBytesOf(key);
  if (modulusBytes === 0 || ciphertext.length > modulusBytes) throw new RangeError('ciphertext does not fit the RSA modulus');
  const padded = Buffer.alloc(modulusBytes);
  Buffer.from(ciphertext).copy(padded, modulusBytes - ciphertext.length);
  let em: Buffer;
  try {
    em = privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, padded);
  } catch {
    // c ≥ n: public information about the ciphertext, not about the plaintext
    return syntheticMessage(key, padded, messageLength);
  }
  const synthetic = syntheticMessage(key, padded, messageLength);
  const good = pkcs1v15ValidMask(em, messageLength);
  const out = Buffer.alloc(messageLength);
  const offset = modulusBytes - messageLength;
  for (let i = 0; i < messageLength; i++) out[i] = (em[offset + i]! & good) | (synthetic[i]! & ~good & 0xff);
  em.fill(0);
  return out;
}
