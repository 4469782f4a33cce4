import { createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { WcceError } from '../../errors.js';
import { aesEcbBlock, ctsDecrypt, ctsEncrypt } from './aes-cts.js';
import { ChecksumType, EncType } from './constants.js';
import { nfold } from './nfold.js';
import type { EncryptionProfile } from './profile.js';

const BLOCK = 16;
const HMAC_LENGTH = 12; // HMAC-SHA1-96, RFC 3962 6
const DEFAULT_ITERATIONS = 4096; // RFC 3962 4: default s2kparams 00 00 10 00
const ZERO_IV = Buffer.alloc(BLOCK);

/**
 * RFC 3961 5.1 DR(Key, Constant): encrypt the n-folded constant, then keep encrypting the previous
 * output, concatenating until there are enough bits. For AES, random-to-key is the identity, so
 * DK(Key, Constant) = DR(Key, Constant) truncated to the key length.
 */
export function deriveRandom(key: Buffer, constant: Buffer, length = key.length): Buffer {
  let block = constant.length === BLOCK ? Buffer.from(constant) : nfold(constant, BLOCK);
  const out: Buffer[] = [];
  let have = 0;
  while (have < length) {
    block = aesEcbBlock(key, block);
    out.push(block);
    have += block.length;
  }
  return Buffer.concat(out).subarray(0, length);
}

export function deriveKey(key: Buffer, constant: Buffer): Buffer {
  return deriveRandom(key, constant, key.length);
}

/** The 5-byte usage constant of RFC 3961 5.3: usage (32-bit big-endian) ‖ 0x99 / 0xAA / 0x55. */
export function usageConstant(usage: number, kind: 0x99 | 0xaa | 0x55): Buffer {
  const c = Buffer.alloc(5);
  c.writeUInt32BE(usage >>> 0, 0);
  c[4] = kind;
  return c;
}

/** Derived keys are pure functions of (base key, constant): cache them per base key object. */
const derivedCache = new WeakMap<Buffer, Map<string, Buffer>>();

function derived(key: Buffer, usage: number, kind: 0x99 | 0xaa | 0x55): Buffer {
  let perKey = derivedCache.get(key);
  if (!perKey) {
    perKey = new Map();
    derivedCache.set(key, perKey);
  }
  const id = `${usage}:${kind}`;
  let k = perKey.get(id);
  if (!k) {
    k = deriveKey(key, usageConstant(usage, kind));
    perKey.set(id, k);
  }
  return k;
}

/** AES128/256-CTS-HMAC-SHA1-96 (etypes 17, 18), RFC 3962 with the RFC 3961 5.3 simplified profile. */
export class AesCtsHmacSha1Profile implements EncryptionProfile {
  readonly checksumLength = HMAC_LENGTH;
  readonly overhead = BLOCK + HMAC_LENGTH;
  readonly name: string;
  readonly checksumType: number;

  constructor(
    readonly etype: number,
    readonly keyLength: 16 | 32,
  ) {
    this.name = `aes${keyLength * 8}-cts-hmac-sha1-96`;
    this.checksumType = keyLength === 16 ? ChecksumType.HMAC_SHA1_96_AES128 : ChecksumType.HMAC_SHA1_96_AES256;
  }

  /** RFC 3962 4: tkey = PBKDF2-HMAC-SHA1(password, salt, iterations); key = DK(tkey, "kerberos"). */
  stringToKey(password: string, salt: string | Buffer, params?: Buffer): Buffer {
    let iterations = DEFAULT_ITERATIONS;
    if (params !== undefined && params.length > 0) {
      if (params.length !== 4) throw new WcceError('PROTOCOL', `AES s2kparams must be 4 bytes, got ${params.length}`);
      iterations = params.readUInt32BE(0);
      // RFC 3962 4: 0 would mean 2^32; refuse absurd counts from a KDC rather than spin for hours.
      if (iterations === 0 || iterations > 10_000_000) throw new WcceError('PROTOCOL', `AES s2kparams iteration count ${iterations} refused`);
    }
    const saltBytes = typeof salt === 'string' ? Buffer.from(salt, 'utf8') : salt;
    const tkey = pbkdf2Sync(Buffer.from(password, 'utf8'), saltBytes, iterations, this.keyLength, 'sha1');
    return deriveKey(tkey, Buffer.from('kerberos', 'ascii'));
  }

  /** RFC 3961 5.3: C = CTS(Ke, conf ‖ plaintext) ‖ HMAC-SHA1(Ki, conf ‖ plaintext)[0..12). */
  encrypt(key: Buffer, usage: number, plaintext: Buffer, confounder?: Buffer): Buffer {
    this.checkKey(key);
    const conf = confounder ?? randomBytes(BLOCK);
    if (conf.length !== BLOCK) throw new RangeError('AES confounder must be 16 bytes');
    const data = Buffer.concat([conf, plaintext]);
    const ke = derived(key, usage, 0xaa);
    const ki = derived(key, usage, 0x55);
    const mac = createHmac('sha1', ki).update(data).digest().subarray(0, HMAC_LENGTH);
    return Buffer.concat([ctsEncrypt(ke, ZERO_IV, data), mac]);
  }

  decrypt(key: Buffer, usage: number, ciphertext: Buffer): Buffer {
    this.checkKey(key);
    if (ciphertext.length < BLOCK + HMAC_LENGTH) {
      throw new WcceError('INTEGRITY', `${this.name} ciphertext of ${ciphertext.length} bytes is too short`);
    }
    const body = ciphertext.subarray(0, ciphertext.length - HMAC_LENGTH);
    const mac = ciphertext.subarray(ciphertext.length - HMAC_LENGTH);
    const data = ctsDecrypt(derived(key, usage, 0xaa), ZERO_IV, body);
    const expected = createHmac('sha1', derived(key, usage, 0x55))
      .update(data)
      .digest()
      .subarray(0, HMAC_LENGTH);
    if (!timingSafeEqual(expected, mac)) {
      throw new WcceError('INTEGRITY', `${this.name} integrity check failed (key usage ${usage})`);
    }
    return data.subarray(BLOCK);
  }

  /** RFC 3961 5.4 / RFC 3962 7: HMAC-SHA1(Kc, data) truncated to 96 bits. */
  checksum(key: Buffer, usage: number, data: Buffer): Buffer {
    this.checkKey(key);
    return createHmac('sha1', derived(key, usage, 0x99))
      .update(data)
      .digest()
      .subarray(0, HMAC_LENGTH);
  }

  randomKey(): Buffer {
    return randomBytes(this.keyLength);
  }

  private checkKey(key: Buffer): void {
    if (key.length !== this.keyLength) throw new WcceError('PROTOCOL', `${this.name} key must be ${this.keyLength} bytes, got ${key.length}`);
  }
}

export const aes128CtsHmacSha1 = new AesCtsHmacSha1Profile(EncType.AES128_CTS_HMAC_SHA1_96, 16);
export const aes256CtsHmacSha1 = new AesCtsHmacSha1Profile(EncType.AES256_CTS_HMAC_SHA1_96, 32);
