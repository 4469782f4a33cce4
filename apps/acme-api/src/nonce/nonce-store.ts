import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * Anti-replay nonces (RFC 8555 §6.5) in Redis, so any replica accepts a nonce another issued.
 * Single use: consuming is an atomic DEL; an unknown, used or expired nonce is refused.
 */
export class NonceStore {
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
    private readonly ttlSeconds: number,
  ) {}

  async issue(): Promise<string> {
    const nonce = randomBytes(16).toString('base64url');
    await this.redis.set(this.key(nonce), '1', 'EX', this.ttlSeconds);
    return nonce;
  }

  /** True when the nonce was issued and not used before; it is spent either way. */
  async consume(nonce: string): Promise<boolean> {
    if (!/^[A-Za-z0-9_-]{16,64}$/.test(nonce)) return false;
    return (await this.redis.del(this.key(nonce))) === 1;
  }

  private key(nonce: string): string {
    return `${this.keyPrefix}:acme:nonce:${nonce}`;
  }
}
