import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** The sealed private key did not open: another key encryption key, or a damaged value. */
export class RaKeyDecryptionError extends Error {
  constructor(readonly what: string) {
    super(`${what}: the private key does not decrypt with the configured key encryption key (another key, or a damaged value)`);
    this.name = 'RaKeyDecryptionError';
  }
}

const VERSION = 'v1';

/**
 * AES-256-GCM for the RA private keys stored in the database: `v1.<iv>.<tag>.<ciphertext>`
 * (base64url), a fresh 96-bit IV per value, and the row it belongs to (`aad`, e.g.
 * "encryption/3") authenticated with it, so a sealed key copied onto another row does not open.
 * Never prints the key.
 */
export class RaKeyCipher {
  readonly #key: Buffer;

  constructor(key: Uint8Array) {
    if (key.length !== 32) throw new Error(`the RA key encryption key must be 32 bytes (AES-256), got ${key.length}`);
    this.#key = Buffer.from(key);
  }

  /** From base64 (standard or url-safe) of exactly 32 bytes; undefined when it is not that. */
  static fromBase64(text: string): RaKeyCipher | undefined {
    const trimmed = text.trim();
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) return undefined;
    const key = Buffer.from(trimmed, trimmed.includes('-') || trimmed.includes('_') ? 'base64url' : 'base64');
    return key.length === 32 ? new RaKeyCipher(key) : undefined;
  }

  seal(plaintext: string, aad: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv, { authTagLength: 16 });
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, iv, cipher.getAuthTag(), ct].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
  }

  open(sealed: string, aad: string): string {
    const [version, iv, tag, ct, extra] = sealed.split('.');
    if (version !== VERSION || !iv || !tag || ct === undefined || extra !== undefined) throw new RaKeyDecryptionError(aad);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(iv, 'base64url'), { authTagLength: 16 });
      decipher.setAAD(Buffer.from(aad, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new RaKeyDecryptionError(aad);
    }
  }

  toString(): string {
    return 'RaKeyCipher([redacted])';
  }

  toJSON(): string {
    return 'RaKeyCipher([redacted])';
  }
}
