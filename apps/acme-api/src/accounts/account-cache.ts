import { randomBytes } from 'node:crypto';
import type { AcmeAccount, AcmeAccountRepository } from '@enrollgate/store';
import type { Redis } from 'ioredis';

interface Entry {
  account: AcmeAccount;
  /** The account's version in Redis, read before the row (null: never changed since Redis kept it). */
  version: string | null;
  loadedAt: number;
}

export interface CachedAccount {
  readonly account: AcmeAccount;
  readonly version: string | null;
}

export interface AccountCacheOptions {
  /** An entry is read again after this long whatever its version says (default 60 s). */
  maxAgeMs?: number;
  maxEntries?: number;
  now?: () => number;
}

/**
 * The accounts that sign requests (`kid`), kept per replica so that a request does not read its
 * account from the database, and still never acts on a stale one: every change to an account
 * (contact, deactivation, key change) stores a new random version in Redis after its database
 * commit, and each request compares the version of its cached account in the Redis round trip
 * that spends its nonce. A different version means the account is read again before the
 * request goes on. Loading reads the version first and the row second, so a change committed in
 * between shows as a new version on the next request rather than hiding under the old one.
 *
 * `maxAgeMs` bounds what a lost version key (a Redis restart without persistence) can hide.
 */
export class AccountCache {
  private readonly entries = new Map<string, Entry>();
  private readonly maxAgeMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
    private readonly repository: AcmeAccountRepository,
    options: AccountCacheOptions = {},
  ) {
    this.maxAgeMs = options.maxAgeMs ?? 60_000;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  versionKey(id: string): string {
    return `${this.keyPrefix}:acme:account-version:${id}`;
  }

  /** The cached account, to be confirmed with its version in the request's nonce round trip. */
  peek(id: string): CachedAccount | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    if (this.now() - entry.loadedAt >= this.maxAgeMs) {
      this.entries.delete(id);
      return undefined;
    }
    return entry;
  }

  /** Reads the account (version first, then the row) and caches it. */
  async load(id: string): Promise<AcmeAccount | undefined> {
    const version = await this.redis.get(this.versionKey(id));
    const account = await this.repository.get(id);
    if (!account) {
      this.entries.delete(id);
      return undefined;
    }
    if (this.entries.size >= this.maxEntries && !this.entries.has(id)) this.entries.clear();
    this.entries.set(id, { account, version, loadedAt: this.now() });
    return account;
  }

  /**
   * After a committed change to the account: every replica's copy becomes stale. The version
   * outlives every entry loaded before it (entries live at most `maxAgeMs`), so it can expire.
   */
  async changed(id: string): Promise<void> {
    this.entries.delete(id);
    const ttlSeconds = Math.max(86_400, Math.ceil((2 * this.maxAgeMs) / 1000));
    await this.redis.set(this.versionKey(id), randomBytes(12).toString('base64url'), 'EX', ttlSeconds);
  }
}
