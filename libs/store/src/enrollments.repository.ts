import { randomUUID } from 'node:crypto';
import type { EnrollJob, EnrollProtocol, EnrollResult } from '@enrollgate/contracts';
import { sql, type Kysely, type Transaction, type Updateable } from 'kysely';
import type { StoreDatabase } from './database.js';
import { PreparedQuery } from './prepared.js';
import { isFinalStatus, resultKeyOf, toEnrollment, transitionFor, type Enrollment } from './enrollment.js';
import { EnrollmentNotFoundError } from './errors.js';
import { ENROLLMENT_STATUSES, type EnrollmentStatus, type EnrollmentsTable, type Schema } from './schema.js';

/** A row of recordResult's PostgreSQL statement. */
type RecordRow = EnrollmentsTable & { applied: boolean; changed: boolean };

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

  /** One statement on both dialects; a conflict returns no row and costs one read. Compiled once. */
  private readonly insertEnrollment = new PreparedQuery(
    10,
    (
      id: string,
      protocol: EnrollProtocol,
      requestKey: string,
      jobId: string,
      template: string,
      caPool: string | null,
      csr: string,
      requester: string,
      attributes: string | null,
      now: string,
    ) =>
      this.db
        .insertInto('enrollments')
        .values({
          id,
          protocol,
          request_key: requestKey,
          job_id: jobId,
          status: 'queued',
          template,
          ca_pool: caPool,
          csr,
          requester,
          attributes,
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
        .returningAll(),
  );

  /** Inserts the enrollment unless its (protocol, request key) exists; returns the stored row either way. */
  async createOrGet(job: EnrollJob & { id?: string }, jobId: string): Promise<CreateOrGetOutcome> {
    const now = this.now().toISOString();
    const inserted = await this.insertEnrollment.first(
      this.db,
      job.id ?? this.newId(),
      job.protocol,
      job.requestKey,
      jobId,
      job.template,
      job.caPool ?? null,
      job.csr,
      JSON.stringify(job.requester),
      job.attributes ? JSON.stringify(job.attributes) : null,
      now,
    );
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
    if (this.dialect === 'postgres') return this.recordResultPostgres(result);
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

  /** recordResult's statements on PostgreSQL, one per shape of transition (see recordResultPostgres). */
  private readonly recordStatements = new Map<string, PreparedQuery<unknown[], RecordRow>>();

  /**
   * recordResult on PostgreSQL in one statement (one round trip): data-modifying CTEs lock the
   * enrollment (FOR UPDATE), insert the result row only when the enrollment exists (ON CONFLICT on
   * the result key: a duplicate inserts nothing), and apply the transition only when the result
   * row was inserted and the locked state allows it (the same rules as transitionFor: final states
   * are never overwritten, pending only from queued). Under READ COMMITTED the locked row is the
   * newest version and the UPDATE re-checks its guard on it, so concurrent results serialize as
   * in the transaction.
   */
  private async recordResultPostgres(result: EnrollResult): Promise<RecordResultOutcome> {
    const now = this.now().toISOString();
    // The columns this outcome sets; attempts is added to the stored value in SQL.
    const { attempts: _attempts, ...patch } = transitionFor({ status: 'queued', attempts: 0 }, result, now) ?? {};
    const columns = Object.keys(patch) as (keyof typeof patch)[];
    const allowed: EnrollmentStatus[] = result.outcome === 'pending' ? ['queued'] : ENROLLMENT_STATUSES.filter((s) => !isFinalStatus(s));
    const shape = `${result.outcome}|${columns.join(',')}`;
    const statement =
      this.recordStatements.get(shape) ?? new PreparedQuery(6 + columns.length, (...args: unknown[]) => this.recordResultQuery(args, columns, allowed));
    this.recordStatements.set(shape, statement);
    const rows = await statement.execute(
      this.db,
      result.protocol,
      result.requestKey,
      resultKeyOf(result),
      JSON.stringify(result),
      now,
      result.attempts,
      ...columns.map((c) => patch[c]),
    );
    const row = rows.find((r) => r.changed) ?? rows[0];
    if (!row) throw new EnrollmentNotFoundError(`no enrollment for ${result.protocol} request ${result.requestKey} (result ${result.outcome})`);
    const { applied, changed, ...enrollment } = row;
    return { applied: Boolean(applied), changed: Boolean(changed), enrollment: toEnrollment(enrollment) };
  }

  /**
   * Rows: the locked enrollment (applied = the result row was inserted, changed = false) and, when
   * the transition applied, the updated enrollment (applied = changed = true). None: no enrollment.
   */
  private recordResultQuery(args: readonly unknown[], columns: readonly string[], allowed: readonly EnrollmentStatus[]) {
    const [protocol, requestKey, resultKey, payload, now, attempts, ...values] = args as [EnrollProtocol, string, string, string, string, number, ...unknown[]];
    const set = Object.fromEntries(columns.map((c, i) => [c, values[i]])) as Updateable<EnrollmentsTable>;
    return this.db
      .with('cur', (qb) => qb.selectFrom('enrollments').selectAll().where('protocol', '=', protocol).where('request_key', '=', requestKey).forUpdate())
      .with('ins', (qb) =>
        qb
          .insertInto('enrollment_results')
          .columns(['protocol', 'request_key', 'outcome', 'result_key', 'payload', 'received_at'])
          .expression((eb) =>
            eb
              .selectFrom('cur')
              .select([
                'cur.protocol',
                'cur.request_key',
                eb.val(set.status as string).as('outcome'),
                eb.val(resultKey).as('result_key'),
                eb.val(payload).as('payload'),
                eb.val(now).as('received_at'),
              ]),
          )
          .onConflict((oc) => oc.column('result_key').doNothing())
          .returning('id'),
      )
      .with('upd', (qb) =>
        qb
          .updateTable('enrollments')
          .set((eb) => ({ ...set, attempts: eb('enrollments.attempts', '+', attempts) }))
          .where('id', '=', (eb) => eb.selectFrom('cur').select('cur.id'))
          .where('status', 'in', [...allowed])
          .where((eb) => eb.exists(eb.selectFrom('ins').select('ins.id')))
          .returningAll(),
      )
      .selectFrom('cur')
      .selectAll('cur')
      .select((eb) => [eb.exists(eb.selectFrom('ins').select('ins.id')).$castTo<boolean>().as('applied'), sql<boolean>`false`.as('changed')])
      .unionAll((eb) =>
        eb
          .selectFrom('upd')
          .selectAll('upd')
          .select([sql<boolean>`true`.as('applied'), sql<boolean>`true`.as('changed')]),
      );
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
