/**
 * What every encryption type offers (RFC 3961 3): string-to-key, encryption with a key usage and
 * a random confounder, and its keyed checksum. Implementations: aes-sha1.ts, rc4-hmac.ts.
 */
export interface EncryptionProfile {
  readonly etype: number;
  readonly name: string;
  readonly keyLength: number;
  /** The mandatory keyed checksum of this etype (RFC 3961 4 "required checksum mechanism"). */
  readonly checksumType: number;
  readonly checksumLength: number;
  /** Bytes an encryption adds to the plaintext (confounder + integrity). */
  readonly overhead: number;
  stringToKey(password: string, salt: string | Buffer, params?: Buffer): Buffer;
  /** Encrypts with a fresh random confounder unless one is given (tests). */
  encrypt(key: Buffer, usage: number, plaintext: Buffer, confounder?: Buffer): Buffer;
  /** Decrypts and verifies; throws WcceError('INTEGRITY') when the MAC does not check. */
  decrypt(key: Buffer, usage: number, ciphertext: Buffer): Buffer;
  checksum(key: Buffer, usage: number, data: Buffer): Buffer;
  randomKey(): Buffer;
}
