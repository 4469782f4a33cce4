import { createHash } from 'node:crypto';
import type { Logger, Metrics } from '@enrollgate/platform';
import type { Redis } from 'ioredis';

/**
 * Credential-level breaker. One authentication failure blocks every further use of that
 * credential, in every worker pod (the block lives in Redis), so a wrong or expired password
 * cannot lock the AD account out through retries across jobs and pods. The key is derived from
 * the provider's cache key, which changes with the secret: deploying the corrected password
 * lifts the block by itself; `clear()` lifts it by hand.
 */
export class CredentialGuard {
  private cached: { blocked: string | null; at: number } | undefined;
  private readonly key: string;
  private readonly gauge;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    cacheKey: string,
    private readonly label: string,
    private readonly logger: Logger,
    metrics: Metrics,
    private readonly cacheMs = 1000,
  ) {
    this.key = `${prefix}:wcce:credential-blocked:${createHash('sha256').update(cacheKey).digest('hex').slice(0, 32)}`;
    this.gauge = metrics.gauge('worker_credential_blocked', '1 while a CA credential is blocked after an authentication failure', ['credential']);
    this.gauge.set({ credential: label }, 0);
  }

  /** The reason the credential is blocked, or undefined. */
  async blockedReason(): Promise<string | undefined> {
    const now = Date.now();
    if (!this.cached || now - this.cached.at > this.cacheMs) {
      this.cached = { blocked: await this.redis.get(this.key), at: now };
      this.gauge.set({ credential: this.label }, this.cached.blocked ? 1 : 0);
    }
    return this.cached.blocked ?? undefined;
  }

  async block(reason: string): Promise<void> {
    const value = `${new Date().toISOString()} ${reason}`;
    const set = await this.redis.set(this.key, value, 'NX');
    this.cached = { blocked: set ? value : await this.redis.get(this.key), at: Date.now() };
    this.gauge.set({ credential: this.label }, 1);
    if (set)
      this.logger.error({ credential: this.label, reason }, 'authentication failed: credential blocked for every worker until the password is corrected');
  }

  async clear(): Promise<void> {
    await this.redis.del(this.key);
    this.cached = undefined;
    this.gauge.set({ credential: this.label }, 0);
  }
}
