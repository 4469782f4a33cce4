import { WcceError } from '../../errors.js';
import { aes128CtsHmacSha1, aes256CtsHmacSha1 } from './aes-sha1.js';
import { EncType } from './constants.js';
import type { EncryptionProfile } from './profile.js';
import { rc4Hmac } from './rc4-hmac.js';

export { ChecksumType, EncType, KeyUsage, type KerberosKey } from './constants.js';
export type { EncryptionProfile } from './profile.js';
export { AesCtsHmacSha1Profile, aes128CtsHmacSha1, aes256CtsHmacSha1, deriveKey, deriveRandom, usageConstant } from './aes-sha1.js';
export { Rc4HmacProfile, rc4Hmac } from './rc4-hmac.js';
export { nfold } from './nfold.js';
export { ctsDecrypt, ctsEncrypt } from './aes-cts.js';

export interface ProfileOptions {
  /** RC4-HMAC (etype 23) is refused unless explicitly allowed (RFC 8429 deprecates it). */
  allowRc4?: boolean;
}

/** The profile for an etype, or WcceError('UNSUPPORTED'). */
export function encryptionProfile(etype: number, options: ProfileOptions = {}): EncryptionProfile {
  switch (etype) {
    case EncType.AES256_CTS_HMAC_SHA1_96:
      return aes256CtsHmacSha1;
    case EncType.AES128_CTS_HMAC_SHA1_96:
      return aes128CtsHmacSha1;
    case EncType.RC4_HMAC:
      if (options.allowRc4) return rc4Hmac;
      throw new WcceError('UNSUPPORTED', 'Kerberos etype 23 (rc4-hmac) is disabled; enable it explicitly to use it');
    default:
      throw new WcceError('UNSUPPORTED', `Kerberos etype ${etype} is not supported`);
  }
}

/** Etypes we offer to a KDC, strongest first. */
export function supportedEtypes(options: ProfileOptions = {}): number[] {
  const list: number[] = [EncType.AES256_CTS_HMAC_SHA1_96, EncType.AES128_CTS_HMAC_SHA1_96];
  if (options.allowRc4) list.push(EncType.RC4_HMAC);
  return list;
}
