import { randomUUID } from 'node:crypto';
import type { EnrollJob, EnrollProtocol, EnrollResult } from '@enrollgate/contracts';
import type { Kysely, Transaction } from 'kysely';
import type { StoreDatabase } from './database.js';
import { PreparedQuery } from './prepared.js';
import { resultKeyOf, toEnrollment, transitionFor, type Enrollment } from './enrollment.js';
import { EnrollmentNotFoundError } from './errors.js';
import { ENROLLMENT_STATUSES, type EnrollmentStatus, type Schema } from './schema.js';

export interface EnrollmentRepositoryOptions {
  /** Clock for created/updated/received timestamps (tests pin it). */
  now?: () => Date;
  /** Id of a new enrollment when the job brings none. */
  newId?: () => string;
}

export interface CreateOrGetOutcome {
  enrollment: Enrollment;
  /** False when the (protocol, request key) was already known: a retried request. */
  created: boolean;
}

export interface RecordResultOutcome {
  /** True when this result was new; false for a duplicate (same result key), which changed nothing. */
  applied: boolean;
  /** True when the enrollment's state moved (a new result can still be refused by finality). */
  changed: boolean;
  enrollment: Enrollment;
}

/**
 * Enrollment state for the front-ends. Idempotent by construction (DESIGN.md Conventions): one
 * row per (protocol, request key), one result row per result key, both enforced by unique
 * constraints, so concurrent front-end pods and duplicate queue deliveries cannot double-apply.
 */
export class EnrollmentRepository {
  private readonly db: Kysely<Schema>;
  private readonly dialect: StoreDatabase['dialect'];
  private readonly now: () => Date;
  private readonly newId: () => string;

  constructor(database: Pick<StoreDatabase, 'db' | 'dialect'>, options: EnrollmentRepositoryOptions = {}) {
    this.db = database.db;
    this.dialect = database.dialect;
    this.now = options.now ?? (() => new Date());
    this.newId = options.newId ?? randomUUID;
  }

  /** Inserts the enrollment unless its (protocol, request key) exists; returns the stored row either way. */
  async createOrGet(job: EnrollJob & { id?: string }, jobId: string): Promise<CreateOrGetOutcome> {
    const now = this.now().toISOString();
    const inserted = await this.db
      .insertInto('enrollments')
      .values({
        id: job.id ?? this.newId(),
        protocol: job.protocol,
        request_key: job.requestKey,
        job_id: jobId,
        status: 'queued',
        template: job.template,
        ca_pool: job.caPool ?? null,
        csr: job.csr,
        requester: JSON.stringify(job.requester),
        attributes: job.attributes ? JSON.stringify(job.attributes) : null,
        certificate: null,
        chain: null,
        ca_host: null,
        ca_name: null,
        ca_request_id: null,
        error_code: null,
        error_message: null,
        error_status: null,
        attempts: 0,
        created_at: now,
        updated_at: now,
        completed_at: null,
      })
      .onConflict((oc) => oc.columns(['protocol', 'request_key']).doNothing())
      .returningAll()
      .executeTakeFirst();
    if (inserted) return { enrollment: toEnrollment(inserted), created: true };
    const existing = await this.get(job.protocol, job.requestKey);
    // Rows are never deleted by the application; a concurrent delete is the only way here.
    if (!existing) throw new EnrollmentNotFoundError(`enrollment ${job.protocol} ${job.requestKey} vanished between insert and read`);
    return { enrollment: existing, created: false };
  }

  private readonly byKey = new PreparedQuery(2, (protocol: EnrollProtocol, requestKey: string) =>
    this.db.selectFrom('enrollments').selectAll().where('protocol', '=', protocol).where('request_key', '=', requestKey),
  );

  async get(protocol: EnrollProtocol, requestKey: string): Promise<Enrollment | undefined> {
    const row = await this.byKey.first(this.db, protocol, requestKey);
    return row && toEnrollment(row);
  }

  async getById(id: string): Promise<Enrollment | undefined> {
    const row = await this.db.selectFrom('enrollments').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toEnrollment(row);
  }

  /**
   * Persists a worker result once, in one transaction: the result row (unique result key) and the
   * enrollment's transition. A duplicate changes nothing (applied=false). Final states are never
   * overwritten; pending only moves queued → pending. Throws EnrollmentNotFoundError when no
   * enrollment has the result's (protocol, request key).
   */
  async recordResult(result: EnrollResult): Promise<RecordResultOutcome> {
    return this.db.transaction().execute(async (trx) => {
      // Lock the row first (PostgreSQL FOR UPDATE; SQLite's BEGIN IMMEDIATE already holds the
      // write lock), so concurrent results for one enrollment apply one after the other.
      const current = await this.lockEnrollment(trx, result.protocol, result.requestKey);
      if (!current) throw new EnrollmentNotFoundError(`no enrollment for ${result.protocol} request ${result.requestKey} (result ${result.outcome})`);

      const now = this.now().toISOString();
      const recorded = await trx
        .insertInto('enrollment_results')
        .values({
          protocol: result.protocol,
          request_key: result.requestKey,
          outcome: result.outcome,
          result_key: resultKeyOf(result),
          payload: JSON.stringify(result),
          received_at: now,
        })
        .onConflict((oc) => oc.column('result_key').doNothing())
        .returning('id')
        .executeTakeFirst();
      if (!recorded) return { applied: false, changed: false, enrollment: toEnrollment(current) };

      const patch = transitionFor(current, result, now);
      if (!patch) return { applied: true, changed: false, enrollment: toEnrollment(current) };
      const updated = await trx
        .updateTable('enrollments')
        .set(patch)
        .where('id', '=', current.id)
        // Guard: the state we decided from is the state we change.
        .where('status', '=', current.status)
        .returningAll()
        .executeTakeFirstOrThrow();
      return { applied: true, changed: true, enrollment: toEnrollment(updated) };
    });
  }

  /** Oldest first (by last change), e.g. pending enrollments to poll. */
  async listByStatus(status: EnrollmentStatus, limit = 100): Promise<Enrollment[]> {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
    const rows = await this.db.selectFrom('enrollments').selectAll().where('status', '=', status).orderBy('updated_at').orderBy('id').limit(limit).execute();
    return rows.map(toEnrollment);
  }

  /** Every status with its count (zero included), for metrics and dashboards. */
  async countByStatus(): Promise<Record<EnrollmentStatus, number>> {
    const rows = await this.db
      .selectFrom('enrollments')
      .select((eb) => ['status', eb.fn.countAll<number>().as('count')])
      .groupBy('status')
      .execute();
    const counts = Object.fromEntries(ENROLLMENT_STATUSES.map((s) => [s, 0])) as Record<EnrollmentStatus, number>;
    // Number(): belt and braces; openDatabase already maps PostgreSQL's int8 to numbers.
    for (const row of rows) counts[row.status] = Number(row.count);
    return counts;
  }

  private lockEnrollment(trx: Transaction<Schema>, protocol: EnrollProtocol, requestKey: string) {
    return trx
      .selectFrom('enrollments')
      .selectAll()
      .where('protocol', '=', protocol)
      .where('request_key', '=', requestKey)
      .$if(this.dialect === 'postgres', (qb) => qb.forUpdate())
      .executeTakeFirst();
  }
}
