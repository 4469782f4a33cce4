import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

const NONCE_FORMAT = /^[A-Za-z0-9_-]{16,64}$/;

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
    const nonce = newNonce();
    await this.redis.set(this.key(nonce), '1', 'EX', this.ttlSeconds);
    return nonce;
  }

  /** True when the nonce was issued and not used before; it is spent either way. */
  async consume(nonce: string): Promise<boolean> {
    if (!NONCE_FORMAT.test(nonce)) return false;
    return (await this.redis.del(this.key(nonce))) === 1;
  }

  /**
   * Spends `nonce` and issues the nonce of the response in one round trip (a pipeline: DEL, SET,
   * and GET `alsoGet` when given, for the caller's own check). `valid` is what consume() would
   * answer; `next` is stored whether or not `nonce` was valid, since a badNonce answer carries a
   * fresh nonce too. `got` is the value of `alsoGet` (absent when the nonce was malformed).
   */
  async consumeAndIssue(nonce: string, alsoGet?: string): Promise<{ valid: boolean; next: string; got?: string | null }> {
    const next = newNonce();
    const nextKey = this.key(next);
    if (!NONCE_FORMAT.test(nonce)) {
      await this.redis.set(nextKey, '1', 'EX', this.ttlSeconds);
      return { valid: false, next };
    }
    const pipeline = this.redis.pipeline().del(this.key(nonce)).set(nextKey, '1', 'EX', this.ttlSeconds);
    if (alsoGet !== undefined) pipeline.get(alsoGet);
    const replies = await pipeline.exec();
    const [del, set, get] = replies ?? [];
    if (!del || !set || (alsoGet !== undefined && !get)) throw new Error('nonce pipeline returned no replies');
    if (del[0]) throw del[0];
    if (set[0]) throw set[0];
    if (get?.[0]) throw get[0];
    return { valid: del[1] === 1, next, ...(get ? { got: get[1] as string | null } : {}) };
  }

  private key(nonce: string): string {
    return `${this.keyPrefix}:acme:nonce:${nonce}`;
  }
}

function newNonce(): string {
  return randomBytes(16).toString('base64url');
}
