import { createHash, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { StoreDatabase } from '../database.js';
import type { ScepChallengesTable, ScepSchema } from './schema.js';

/** What a minted challenge may be used for (JSON API); absent fields do not constrain. */
export interface ChallengeBinding {
  /** the CSR subject must equal this (RFC 4514 text, compared case-insensitively) */
  subject?: string;
  /** every one of these SAN values must be in the CSR */
  sans?: string[];
  /** the template the enrollment is submitted with */
  template?: string;
}

export interface ScepChallenge {
  id: string;
  source: string;
  profile: string | null;
  binding: ChallengeBinding | null;
  createdAt: string;
  expiresAt: string;
  consumedAt: string | null;
  consumedBy: string | null;
}

export type ConsumeOutcome =
  { ok: true; challenge: ScepChallenge; replay: boolean } | { ok: false; reason: 'unknown' | 'expired' | 'consumed' | 'wrong-profile' };

function toChallenge(row: ScepChallengesTable): ScepChallenge {
  return {
    id: row.id,
    source: row.source,
    profile: row.profile,
    binding: row.binding === null ? null : (JSON.parse(row.binding) as ChallengeBinding),
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    consumedAt: row.consumed_at,
    consumedBy: row.consumed_by,
  };
}

/** Challenges are stored as SHA-256 of the password: the table never holds a usable secret. */
export function challengeHash(password: string): string {
  return createHash('sha256').update(password, 'utf8').digest('hex');
}

/**
 * One-time SCEP challenge passwords (NDES dynamic passwords and the JSON API). The cache limit
 * counts open (unconsumed, unexpired) challenges, as NDES's PasswordMax does. Consumption is one
 * conditional UPDATE, so two replicas cannot both consume a challenge; a retry of the transaction
 * that consumed it is recognised (consumed_by) and succeeds again.
 */
export class ScepChallengeRepository {
  private readonly db: Kysely<ScepSchema>;

  constructor(
    database: Pick<StoreDatabase, 'db'>,
    private readonly options: { now?: () => Date } = {},
  ) {
    this.db = database.db.withTables<ScepSchema>() as unknown as Kysely<ScepSchema>;
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  async countOpen(): Promise<number> {
    const row = await this.db
      .selectFrom('scep_challenges')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('consumed_at', 'is', null)
      .where('expires_at', '>', this.now().toISOString())
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Stores a new challenge unless `cacheSize` open ones exist; undefined when the cache is full. */
  async mint(input: {
    password: string;
    ttlMs: number;
    cacheSize: number;
    source: string;
    profile?: string;
    binding?: ChallengeBinding;
  }): Promise<ScepChallenge | undefined> {
    if ((await this.countOpen()) >= input.cacheSize) return undefined;
    const now = this.now();
    const row = await this.db
      .insertInto('scep_challenges')
      .values({
        id: randomUUID(),
        challenge_sha256: challengeHash(input.password),
        source: input.source,
        profile: input.profile ?? null,
        binding: input.binding ? JSON.stringify(input.binding) : null,
        created_at: now.toISOString(),
        expires_at: new Date(now.getTime() + input.ttlMs).toISOString(),
        consumed_at: null,
        consumed_by: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toChallenge(row);
  }

  /** Looks a challenge up without consuming it. */
  async find(password: string): Promise<ScepChallenge | undefined> {
    const row = await this.db.selectFrom('scep_challenges').selectAll().where('challenge_sha256', '=', challengeHash(password)).executeTakeFirst();
    return row && toChallenge(row);
  }

  /**
   * Consumes `password` for `requestKey`: succeeds once, and again for the same request key (a
   * retried request); refuses unknown, expired, already consumed, or another profile's challenge.
   */
  async consume(password: string, requestKey: string, profile: string): Promise<ConsumeOutcome> {
    const hash = challengeHash(password);
    const now = this.now().toISOString();
    const updated = await this.db
      .updateTable('scep_challenges')
      .set({ consumed_at: now, consumed_by: requestKey })
      .where('challenge_sha256', '=', hash)
      .where('consumed_at', 'is', null)
      .where('expires_at', '>', now)
      .where((eb) => eb.or([eb('profile', 'is', null), eb('profile', '=', profile)]))
      .returningAll()
      .executeTakeFirst();
    if (updated) return { ok: true, challenge: toChallenge(updated), replay: false };
    const row = await this.db.selectFrom('scep_challenges').selectAll().where('challenge_sha256', '=', hash).executeTakeFirst();
    if (!row) return { ok: false, reason: 'unknown' };
    if (row.consumed_by === requestKey) return { ok: true, challenge: toChallenge(row), replay: true };
    if (row.consumed_at !== null) return { ok: false, reason: 'consumed' };
    if (row.expires_at <= now) return { ok: false, reason: 'expired' };
    return { ok: false, reason: 'wrong-profile' };
  }

  /** Deletes challenges that expired more than `graceMs` ago. */
  async purgeExpired(graceMs = 0): Promise<number> {
    const cutoff = new Date(this.now().getTime() - graceMs).toISOString();
    const r = await this.db.deleteFrom('scep_challenges').where('expires_at', '<=', cutoff).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
