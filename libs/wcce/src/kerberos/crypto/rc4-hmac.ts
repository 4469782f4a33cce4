import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { WcceError } from '../../errors.js';
import { md4 } from '../../crypto/md4.js';
import { rc4k } from '../../crypto/rc4.js';
import { ChecksumType, EncType } from './constants.js';
import type { EncryptionProfile } from './profile.js';

const CONFOUNDER_LENGTH = 8;
const MAC_LENGTH = 16;

function hmacMd5(key: Buffer, ...data: Buffer[]): Buffer {
  const h = createHmac('md5', key);
  for (const d of data) h.update(d);
  return h.digest();
}

/** RFC 4757 3: the Microsoft message types that replace some RFC 4120 key usages. */
function msUsage(usage: number): number {
  switch (usage) {
    case 3:
      return 8; // AS-REP encrypted part uses the TGS-REP number
    case 9:
      return 8;
    case 23:
      return 13;
    default:
      return usage;
  }
}

function le32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0, 0);
  return b;
}

/**
 * RC4-HMAC (etype 23, RFC 4757). Only used when an operator opts in (weak; needed by domains that
 * still have no AES keys). RC4 and MD4 come from libs/wcce/src/crypto because Node 20's OpenSSL
 * refuses them without the legacy provider.
 */
export class Rc4HmacProfile implements EncryptionProfile {
  readonly etype = EncType.RC4_HMAC;
  readonly name = 'rc4-hmac';
  readonly keyLength = 16;
  readonly checksumType = ChecksumType.HMAC_MD5;
  readonly checksumLength = MAC_LENGTH;
  readonly overhead = CONFOUNDER_LENGTH + MAC_LENGTH;

  /** RFC 4757 2: the key is the NT hash, MD4(UTF-16LE(password)); the salt is ignored. */
  stringToKey(password: string): Buffer {
    return md4(Buffer.from(password, 'utf16le'));
  }

  /** RFC 4757 3: K1 = HMAC(K, T); checksum = HMAC(K1, conf ‖ data); K3 = HMAC(K1, checksum). */
  encrypt(key: Buffer, usage: number, plaintext: Buffer, confounder?: Buffer): Buffer {
    const conf = confounder ?? randomBytes(CONFOUNDER_LENGTH);
    if (conf.length !== CONFOUNDER_LENGTH) throw new RangeError('RC4-HMAC confounder must be 8 bytes');
    const k1 = hmacMd5(key, le32(msUsage(usage)));
    const data = Buffer.concat([conf, plaintext]);
    const mac = hmacMd5(k1, data);
    const k3 = hmacMd5(k1, mac);
    return Buffer.concat([mac, rc4k(k3, data)]);
  }

  decrypt(key: Buffer, usage: number, ciphertext: Buffer): Buffer {
    if (ciphertext.length < MAC_LENGTH + CONFOUNDER_LENGTH) {
      throw new WcceError('INTEGRITY', `rc4-hmac ciphertext of ${ciphertext.length} bytes is too short`);
    }
    const k1 = hmacMd5(key, le32(msUsage(usage)));
    const mac = ciphertext.subarray(0, MAC_LENGTH);
    const data = rc4k(hmacMd5(k1, mac), ciphertext.subarray(MAC_LENGTH));
    if (!timingSafeEqual(hmacMd5(k1, data), mac)) throw new WcceError('INTEGRITY', `rc4-hmac integrity check failed (key usage ${usage})`);
    return data.subarray(CONFOUNDER_LENGTH);
  }

  /** RFC 4757 4: Ksign = HMAC(K, "signaturekey\0"); HMAC(Ksign, MD5(T ‖ data)). */
  checksum(key: Buffer, usage: number, data: Buffer): Buffer {
    const ksign = hmacMd5(key, Buffer.from('signaturekey\0', 'latin1'));
    const inner = createHash('md5')
      .update(le32(msUsage(usage)))
      .update(data)
      .digest();
    return hmacMd5(ksign, inner);
  }

  randomKey(): Buffer {
    return randomBytes(this.keyLength);
  }
}

export const rc4Hmac = new Rc4HmacProfile();
