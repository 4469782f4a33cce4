import { sql, type Kysely, type QueryCreator, type RawBuilder, type Transaction, type Updateable } from 'kysely';
import type { StoreDatabase } from '../database.js';
import { PreparedInserts, PreparedQuery } from '../prepared.js';
import type { Schema } from '../schema.js';
import type { AcmeAuthorization, AcmeChallenge, AcmeIdentifier, AcmeOrder, AcmeOrderEnrollment, StoredProblem } from './records.js';
import type {
  AcmeAuthorizationsTable,
  AcmeAuthzStatus,
  AcmeChallengesTable,
  AcmeIdentifierType,
  AcmeChallengeStatus,
  AcmeOrdersTable,
  AcmeOrderStatus,
  AcmeTables,
} from './schema.js';

type Db = Kysely<Schema & AcmeTables>;

/** `template` before finalize: the column is NOT NULL (0002) and the template is decided at finalize (0004). */
const NO_TEMPLATE = '';

export interface NewAcmeChallenge {
  id: string;
  type: string;
  token: string;
}

export interface NewAcmeAuthorization {
  id: string;
  identifier: AcmeIdentifier;
  wildcard: boolean;
  expires: string;
  challenges: NewAcmeChallenge[];
}

export interface NewAcmeOrder {
  id: string;
  accountId: string;
  identifiers: AcmeIdentifier[];
  profile: string | null;
  expires: string;
  replaces: string | null;
  /** Per identifier, in order: a reused authorization id or a new authorization. */
  authorizations: (string | NewAcmeAuthorization)[];
}

/** What a challenge validation needs: the authorization with its challenges, and the account's key thumbprint. */
export interface ValidationTarget {
  authorization: AcmeAuthorization;
  /** RFC 7638 thumbprint of the account key (the key authorization's second half); null when the account is gone. */
  accountThumbprint: string | null;
}

export type ChallengeOutcome = { status: 'valid'; authzExpires: string } | { status: 'invalid'; error: StoredProblem };

export interface OrderPatch {
  status?: AcmeOrderStatus;
  error?: StoredProblem | null;
  csr?: string | null;
  enrollmentKey?: string | null;
  resubmits?: number;
  processingSince?: string | null;
  certificate?: { serial: string; aki: string | null; notBefore: string; notAfter: string };
  /** set once, at finalize */
  enrollment?: AcmeOrderEnrollment;
}

/**
 * Orders, authorizations and challenges. Every state change is a compare-and-set on the status
 * it was decided from, so two replicas acting on one order (a finalize retried against the other
 * pod, two validations of one challenge) cannot both win.
 */
export class AcmeOrderRepository {
  private readonly db: Db;
  /** PostgreSQL runs multi-table writes as one statement (data-modifying CTEs): one round trip, atomic. */
  private readonly postgres: boolean;

  constructor(
    database: Pick<StoreDatabase, 'db'> & Partial<Pick<StoreDatabase, 'dialect'>>,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.db = database.db.withTables<AcmeTables>();
    this.postgres = database.dialect === 'postgres';
    this.inserts = new PreparedInserts(this.db as unknown as Kysely<never>);
  }

  /**
   * Inserts the order, its new authorizations and challenges atomically: on PostgreSQL one
   * statement (data-modifying CTEs, one round trip), elsewhere one transaction with one
   * statement per table.
   */
  async create(order: NewAcmeOrder): Promise<AcmeOrder> {
    const now = this.now().toISOString();
    const authorizationIds = order.authorizations.map((a) => (typeof a === 'string' ? a : a.id));
    const fresh = order.authorizations.filter((a): a is NewAcmeAuthorization => typeof a !== 'string');
    const row: AcmeOrdersTable = {
      id: order.id,
      account_id: order.accountId,
      status: 'pending',
      identifiers: JSON.stringify(order.identifiers),
      authorization_ids: JSON.stringify(authorizationIds),
      profile: order.profile,
      template: NO_TEMPLATE,
      ca_pool: null,
      ca_name: null,
      request_attributes: null,
      expires: order.expires,
      error: null,
      csr: null,
      enrollment_key: null,
      resubmits: 0,
      processing_since: null,
      replaces: order.replaces,
      cert_serial: null,
      cert_aki: null,
      cert_not_before: null,
      cert_not_after: null,
      created_at: now,
      updated_at: now,
    };
    const authorizationRows = fresh.map((a) => ({
      id: a.id,
      account_id: order.accountId,
      identifier_type: a.identifier.type,
      identifier_value: a.identifier.value,
      wildcard: a.wildcard ? 1 : 0,
      status: 'pending' as const,
      expires: a.expires,
      created_at: now,
      updated_at: now,
    }));
    const challengeRows = fresh.flatMap((a) =>
      a.challenges.map((c) => ({
        id: c.id,
        authorization_id: a.id,
        type: c.type,
        token: c.token,
        status: 'pending' as const,
        validated: null,
        error: null,
        created_at: now,
        updated_at: now,
      })),
    );
    const links = authorizationIds.map((authorization_id, position) => ({ order_id: order.id, authorization_id, position }));
    if (this.postgres) {
      // Foreign keys are checked at the end of the statement, when every CTE has inserted.
      // The CTEs are never read, so their names need not be in the builder's type.
      let creator: QueryCreator<Schema & AcmeTables> = this.db.with('o', (qb) => qb.insertInto('acme_orders').values(row));
      if (authorizationRows.length > 0) creator = creator.with('a', (qb) => qb.insertInto('acme_authorizations').values(authorizationRows));
      if (challengeRows.length > 0) creator = creator.with('c', (qb) => qb.insertInto('acme_challenges').values(challengeRows));
      await creator.insertInto('acme_order_authorizations').values(links).execute();
      return toOrder(row);
    }
    await this.db.transaction().execute(async (trx) => {
      await this.inserts.execute(trx, 'acme_orders', [row]);
      await this.inserts.execute(trx, 'acme_authorizations', authorizationRows);
      await this.inserts.execute(trx, 'acme_challenges', challengeRows);
      await this.inserts.execute(trx, 'acme_order_authorizations', links);
    });
    return toOrder(row);
  }

  // The statements of every issuance, compiled once (PreparedQuery): same SQL, no query building.
  private readonly orderById = new PreparedQuery(1, (id: string) => this.db.selectFrom('acme_orders').selectAll().where('id', '=', id));
  private readonly challengeById = new PreparedQuery(1, (id: string) => this.db.selectFrom('acme_challenges').selectAll().where('id', '=', id));
  private readonly authorizationOfChallenge = new PreparedQuery(1, (challengeId: string) =>
    this.authorizationsWithChallenges().where('a.id', '=', (eb) => eb.selectFrom('acme_challenges').select('authorization_id').where('id', '=', challengeId)),
  );
  private readonly validationTarget = new PreparedQuery(1, (challengeId: string) =>
    this.authorizationsWithChallenges()
      .leftJoin('acme_accounts as acct', 'acct.id', 'a.account_id')
      .select('acct.jwk_thumbprint as acct_thumbprint')
      .where('a.id', '=', (eb) => eb.selectFrom('acme_challenges').select('authorization_id').where('id', '=', challengeId)),
  );
  private readonly oneAuthorization = new PreparedQuery(1, (id: string) => this.authorizationsWithChallenges().where('a.id', '=', id));
  private readonly reusableAuthorization = new PreparedQuery(
    6,
    (accountId: string, type: AcmeIdentifierType, value: string, wildcard: number, status: 'valid', until: string) =>
      this.db
        .selectFrom('acme_authorizations')
        .select('id')
        .where('account_id', '=', accountId)
        .where('identifier_type', '=', type)
        .where('identifier_value', '=', value)
        .where('wildcard', '=', wildcard)
        .where('status', '=', status)
        .where('expires', '>', until)
        .orderBy('expires', 'desc'),
  );
  private readonly challengeStart = new PreparedQuery(3, (id: string, updatedAt: string, status: 'processing') =>
    this.db.updateTable('acme_challenges').set({ status, updated_at: updatedAt }).where('id', '=', id).where('status', '=', 'pending'),
  );

  private readonly transitions = new Map<string, PreparedQuery<unknown[], AcmeOrdersTable>>();
  private readonly inserts: PreparedInserts;

  async getOrder(id: string): Promise<AcmeOrder | undefined> {
    const row = await this.orderById.first(this.db, id);
    return row && toOrder(row);
  }

  private readonly orderWithCertificate = new PreparedQuery(2, (id: string, protocol: 'acme') =>
    this.db
      .selectFrom('acme_orders as o')
      .leftJoin('enrollments as e', (join) => join.on('e.protocol', '=', protocol).onRef('e.request_key', '=', 'o.enrollment_key'))
      .selectAll('o')
      .select(['e.status as e_status', 'e.certificate as e_certificate', 'e.chain as e_chain'])
      .where('o.id', '=', id),
  );

  /**
   * The order and the certificate of its current enrollment (certificate download: one query).
   * `certificate` is set only when that enrollment is issued.
   */
  async getOrderWithCertificate(id: string): Promise<{ order: AcmeOrder; certificate: { leaf: string; chain: string[] } | undefined } | undefined> {
    const row = await this.orderWithCertificate.first(this.db, id, 'acme');
    if (!row) return undefined;
    const { e_status, e_certificate, e_chain, ...orderRow } = row;
    const certificate =
      e_status === 'issued' && e_certificate ? { leaf: e_certificate, chain: e_chain === null ? [] : (JSON.parse(e_chain) as string[]) } : undefined;
    return { order: toOrder(orderRow), certificate };
  }

  /** Orders of an account that are not final yet (RFC 8555 §7.1.2.1 `orders`), newest first. */
  async listOpenOrderIds(accountId: string, limit = 1000): Promise<string[]> {
    const rows = await this.db
      .selectFrom('acme_orders')
      .select('id')
      .where('account_id', '=', accountId)
      .where('status', 'in', ['pending', 'ready', 'processing'])
      .orderBy('created_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => r.id);
  }

  /** The order holding an issued certificate, by its serial (ARI, revocation). */
  async findByCertificateSerial(serial: string): Promise<AcmeOrder | undefined> {
    const row = await this.db.selectFrom('acme_orders').select('id').where('cert_serial', '=', serial).executeTakeFirst();
    return row ? this.getOrder(row.id) : undefined;
  }

  /** Orders that already name `certId` in `replaces` (RFC 9773 alreadyReplaced), excluding invalid ones. */
  async countReplacing(certId: string): Promise<number> {
    const rows = await this.db.selectFrom('acme_orders').select('id').where('replaces', '=', certId).where('status', '!=', 'invalid').execute();
    return rows.length;
  }

  /**
   * Applies `patch` when the order is still in one of `from`; returns the updated order, or
   * undefined when another request changed it first.
   */
  async transitionOrder(id: string, from: readonly AcmeOrderStatus[], patch: OrderPatch, whereEnrollmentKey?: string | null): Promise<AcmeOrder | undefined> {
    const set: Updateable<AcmeOrdersTable> = { updated_at: this.now().toISOString() };
    if (patch.status !== undefined) set.status = patch.status;
    if (patch.error !== undefined) set.error = patch.error === null ? null : JSON.stringify(patch.error);
    if (patch.csr !== undefined) set.csr = patch.csr;
    if (patch.enrollmentKey !== undefined) set.enrollment_key = patch.enrollmentKey;
    if (patch.resubmits !== undefined) set.resubmits = patch.resubmits;
    if (patch.processingSince !== undefined) set.processing_since = patch.processingSince;
    if (patch.enrollment !== undefined) {
      set.template = patch.enrollment.template;
      set.ca_pool = patch.enrollment.caPool;
      set.ca_name = patch.enrollment.caName;
      set.request_attributes = JSON.stringify(patch.enrollment.attributes);
    }
    if (patch.certificate !== undefined) {
      set.cert_serial = patch.certificate.serial;
      set.cert_aki = patch.certificate.aki;
      set.cert_not_before = patch.certificate.notBefore;
      set.cert_not_after = patch.certificate.notAfter;
    }
    // Compiled once per shape (columns set, statuses, enrollment-key condition): a handful in all.
    const columns = Object.keys(set) as (keyof typeof set)[];
    const keyCondition = whereEnrollmentKey === undefined ? 'any' : whereEnrollmentKey === null ? 'null' : 'eq';
    const shape = `${columns.join(',')}|${from.join(',')}|${keyCondition}`;
    let query = this.transitions.get(shape);
    if (!query) {
      query = new PreparedQuery(columns.length + (keyCondition === 'eq' ? 2 : 1), (...args: unknown[]) =>
        this.db
          .updateTable('acme_orders')
          .set(Object.fromEntries(columns.map((c, i) => [c, args[i]])) as Updateable<AcmeOrdersTable>)
          .where('id', '=', args[columns.length] as string)
          .where('status', 'in', [...from])
          .$if(keyCondition !== 'any', (qb) =>
            keyCondition === 'null' ? qb.where('enrollment_key', 'is', null) : qb.where('enrollment_key', '=', args[columns.length + 1] as string),
          )
          .returningAll(),
      );
      if (this.transitions.size < 64) this.transitions.set(shape, query);
    }
    const args: unknown[] = [...columns.map((c) => set[c]), id];
    if (keyCondition === 'eq') args.push(whereEnrollmentKey);
    const updated = await query.first(this.db, ...args);
    return updated && toOrder(updated);
  }

  async getAuthorization(id: string): Promise<AcmeAuthorization | undefined> {
    return (await this.getAuthorizations([id]))[0];
  }

  /** The authorization holding a challenge, with all its challenges (one query). */
  async getAuthorizationOfChallenge(challengeId: string): Promise<AcmeAuthorization | undefined> {
    const rows = await this.authorizationOfChallenge.execute(this.db, challengeId);
    return assembleAuthorizations(rows)[0];
  }

  /** The authorization of a challenge with its challenges and the account's key thumbprint (one query). */
  async getValidationTarget(challengeId: string): Promise<ValidationTarget | undefined> {
    const rows = await this.validationTarget.execute(this.db, challengeId);
    const authorization = assembleAuthorizations(rows)[0];
    return authorization && { authorization, accountThumbprint: rows[0]?.acct_thumbprint ?? null };
  }

  /** Authorizations with their challenges, in the order of `ids` (one query: a join). */
  async getAuthorizations(ids: readonly string[]): Promise<AcmeAuthorization[]> {
    if (ids.length === 0) return [];
    // One identifier per order is the common case: a prepared `=`; several: an `in` list.
    const rows =
      ids.length === 1
        ? await this.oneAuthorization.execute(this.db, ids[0] as string)
        : await this.authorizationsWithChallenges()
            .where('a.id', 'in', [...ids])
            .execute();
    const byId = new Map(assembleAuthorizations(rows).map((a) => [a.id, a]));
    return ids.map((id) => byId.get(id)).filter((a): a is AcmeAuthorization => a !== undefined);
  }

  private authorizationsWithChallenges(from: QueryCreator<Schema & AcmeTables> = this.db) {
    return from
      .selectFrom('acme_authorizations as a')
      .leftJoin('acme_challenges as c', 'c.authorization_id', 'a.id')
      .selectAll('a')
      .select(['c.id as c_id', 'c.type as c_type', 'c.token as c_token', 'c.status as c_status', 'c.validated as c_validated', 'c.error as c_error'])
      .orderBy('a.id')
      .orderBy('c.type');
  }

  /** A valid authorization of this account for the identifier that is still valid at `until` (reuse). */
  async findReusableAuthorization(accountId: string, identifier: AcmeIdentifier, wildcard: boolean, until: string): Promise<string | undefined> {
    const row = await this.reusableAuthorization.first(this.db, accountId, identifier.type, identifier.value, wildcard ? 1 : 0, 'valid', until);
    return row?.id;
  }

  async transitionAuthorization(id: string, from: readonly AcmeAuthzStatus[], to: AcmeAuthzStatus, expires?: string): Promise<boolean> {
    const result = await this.db
      .updateTable('acme_authorizations')
      .set({ status: to, updated_at: this.now().toISOString(), ...(expires ? { expires } : {}) })
      .where('id', '=', id)
      .where('status', 'in', [...from])
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async getChallenge(id: string): Promise<AcmeChallenge | undefined> {
    const row = await this.challengeById.first(this.db, id);
    return row && toChallenge(row);
  }

  /**
   * The client's response to a challenge (RFC 8555 §7.5.1): moves it pending → processing when
   * its authorization is pending, unexpired at `now` and `accountId`'s, and returns that
   * authorization with its challenges as they are after the move; `started` says whether this
   * call moved it. Undefined when there is no such challenge. PostgreSQL: one statement.
   */
  async respondToChallenge(challengeId: string, accountId: string): Promise<{ authorization: AcmeAuthorization; started: boolean } | undefined> {
    const now = this.now().toISOString();
    let authorization: AcmeAuthorization | undefined;
    let started: boolean;
    if (this.postgres) {
      const rows = await this.respondPostgres.execute(this.db, challengeId, now, accountId);
      authorization = assembleAuthorizations(rows)[0];
      started = Number(rows[0]?.started ?? 0) > 0;
    } else {
      const before = await this.getAuthorizationOfChallenge(challengeId);
      const usable = before !== undefined && before.accountId === accountId && before.status === 'pending' && before.expires > now;
      started = usable && (await this.startChallenge(challengeId));
      authorization = started || !before ? before : ((await this.getAuthorizationOfChallenge(challengeId)) ?? before);
    }
    if (!authorization) return undefined;
    // Both read the challenge as it was before the move (PostgreSQL: the statement's snapshot).
    if (started) for (const c of authorization.challenges) if (c.id === challengeId) Object.assign(c, { status: 'processing' });
    return { authorization, started };
  }

  private readonly respondPostgres = new PreparedQuery(3, (challengeId: string, now: string, accountId: string) =>
    this.authorizationsWithChallenges(
      this.db.with('s', (qb) =>
        qb
          .updateTable('acme_challenges')
          .set({ status: 'processing', updated_at: now })
          .where('id', '=', challengeId)
          .where('status', '=', 'pending')
          .where('authorization_id', 'in', (eb) =>
            eb.selectFrom('acme_authorizations').select('id').where('account_id', '=', accountId).where('status', '=', 'pending').where('expires', '>', now),
          )
          .returning('id'),
      ) as unknown as QueryCreator<Schema & AcmeTables>,
    )
      .select((eb) =>
        eb
          .selectFrom('s' as never)
          .select(eb.fn.countAll<number>().as('n'))
          .as('started'),
      )
      .where('a.id', '=', (eb) => eb.selectFrom('acme_challenges').select('authorization_id').where('id', '=', challengeId)),
  );

  /** pending → processing when the client answers the challenge; false when not pending any more. */
  async startChallenge(id: string): Promise<boolean> {
    const result = await this.challengeStart.run(this.db, id, this.now().toISOString(), 'processing');
    return (result.numAffectedRows ?? 0n) > 0n;
  }

  /**
   * Records a validation outcome atomically: the challenge (processing → valid|invalid) and its
   * authorization (pending → valid with the reuse expiry | invalid). False when the challenge was
   * not processing any more (another replica recorded it).
   */
  async completeChallenge(challengeId: string, outcome: ChallengeOutcome): Promise<boolean> {
    return (await this.recordChallengeOutcome(challengeId, outcome)) !== undefined;
  }

  /**
   * completeChallenge() returning the challenge as recorded, or undefined when it was not
   * processing any more. PostgreSQL: one statement (CTEs); elsewhere one transaction.
   *
   * A valid outcome also moves each pending, unexpired order of the authorization whose other
   * authorizations are all valid and unexpired to ready, so finalize need not read them. Two
   * authorizations of one order validated at the same moment may each see the other still
   * pending and leave the order pending: reading the order then works it out as before.
   */
  async recordChallengeOutcome(challengeId: string, outcome: ChallengeOutcome): Promise<AcmeChallenge | undefined> {
    const now = this.now().toISOString();
    if (this.postgres) {
      const row =
        outcome.status === 'valid'
          ? await this.validOutcome.first(this.db, challengeId, now, outcome.authzExpires)
          : await this.invalidOutcome.first(this.db, challengeId, now, JSON.stringify(outcome.error));
      return row && toChallenge(row);
    }
    const challengeSet = {
      status: outcome.status,
      updated_at: now,
      validated: outcome.status === 'valid' ? now : null,
      error: outcome.status === 'invalid' ? JSON.stringify(outcome.error) : null,
    };
    const authzSet = { status: outcome.status, updated_at: now, ...(outcome.status === 'valid' ? { expires: outcome.authzExpires } : {}) };
    return this.db.transaction().execute(async (trx: Transaction<Schema & AcmeTables>) => {
      const challenge = await trx
        .updateTable('acme_challenges')
        .set(challengeSet)
        .where('id', '=', challengeId)
        .where('status', '=', 'processing')
        .returningAll()
        .executeTakeFirst();
      if (!challenge) return undefined;
      const authz = await trx
        .updateTable('acme_authorizations')
        .set(authzSet)
        .where('id', '=', challenge.authorization_id)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      if (outcome.status === 'valid' && authz.numUpdatedRows > 0n) {
        // Here the transaction sees its own update: every authorization of the order is checked.
        await trx
          .updateTable('acme_orders')
          .set({ status: 'ready', updated_at: now })
          .where('status', '=', 'pending')
          .where('expires', '>', now)
          .where('id', 'in', (eb) => eb.selectFrom('acme_order_authorizations').select('order_id').where('authorization_id', '=', challenge.authorization_id))
          .where(noOtherUnusableAuthorization(now))
          .execute();
      }
      return toChallenge(challenge);
    });
  }

  /** PostgreSQL: challenge, authorization and the orders it makes ready, in one statement. */
  private readonly validOutcome = new PreparedQuery(3, (challengeId: string, now: string, authzExpires: string) =>
    this.db
      .with('c', (qb) =>
        qb
          .updateTable('acme_challenges')
          .set({ status: 'valid', updated_at: now, validated: now, error: null })
          .where('id', '=', challengeId)
          .where('status', '=', 'processing')
          .returningAll(),
      )
      .with('a', (qb) =>
        qb
          .updateTable('acme_authorizations')
          .set({ status: 'valid', updated_at: now, expires: authzExpires })
          .where('id', '=', (eb) => eb.selectFrom('c').select('c.authorization_id'))
          .where('status', '=', 'pending')
          .returning('id'),
      )
      .with('o', (qb) =>
        qb
          .updateTable('acme_orders')
          .set({ status: 'ready', updated_at: now })
          .where('status', '=', 'pending')
          .where('expires', '>', now)
          .where('id', 'in', (eb) =>
            eb
              .selectFrom('acme_order_authorizations')
              .select('order_id')
              .where('authorization_id', 'in', (s) => s.selectFrom('a').select('a.id')),
          )
          // The statement sees the authorizations as they were before it: the one it validates
          // counts through `a`, every other one of the order must already be valid.
          .where(noOtherUnusableAuthorization(now, sql`select id from a`))
          .returning('id'),
      )
      .selectFrom('c')
      .selectAll(),
  );

  private readonly invalidOutcome = new PreparedQuery(3, (challengeId: string, now: string, error: string) =>
    this.db
      .with('c', (qb) =>
        qb
          .updateTable('acme_challenges')
          .set({ status: 'invalid', updated_at: now, validated: null, error })
          .where('id', '=', challengeId)
          .where('status', '=', 'processing')
          .returningAll(),
      )
      .with('a', (qb) =>
        qb
          .updateTable('acme_authorizations')
          .set({ status: 'invalid', updated_at: now })
          .where('id', '=', (eb) => eb.selectFrom('c').select('c.authorization_id'))
          .where('status', '=', 'pending')
          .returning('id'),
      )
      .selectFrom('c')
      .selectAll(),
  );
}

/**
 * For an `acme_orders` row being updated: none of its authorizations (other than those `except`
 * selects) is unusable at `now`, i.e. all are valid and unexpired.
 */
function noOtherUnusableAuthorization(now: string, except?: RawBuilder<unknown>): RawBuilder<boolean> {
  const exclusion = except ? sql`and other.id not in (${except})` : sql``;
  return sql<boolean>`not exists (select 1 from acme_order_authorizations oa join acme_authorizations other on other.id = oa.authorization_id
    where oa.order_id = acme_orders.id ${exclusion} and (other.status <> 'valid' or other.expires <= ${now}))`;
}

function parseProblem(text: string | null): StoredProblem | null {
  return text === null ? null : (JSON.parse(text) as StoredProblem);
}

type AuthorizationJoinRow = AcmeAuthorizationsTable & {
  c_id: string | null;
  c_type: string | null;
  c_token: string | null;
  c_status: string | null;
  c_validated: string | null;
  c_error: string | null;
};

function assembleAuthorizations(rows: AuthorizationJoinRow[]): AcmeAuthorization[] {
  const out = new Map<string, AcmeAuthorization>();
  for (const r of rows) {
    let authz = out.get(r.id);
    if (!authz) {
      authz = toAuthorization(r, []);
      out.set(r.id, authz);
    }
    if (r.c_id !== null) {
      authz.challenges.push({
        id: r.c_id,
        authorizationId: r.id,
        type: r.c_type as string,
        token: r.c_token as string,
        status: r.c_status as AcmeChallengeStatus,
        validated: r.c_validated,
        error: parseProblem(r.c_error),
      });
    }
  }
  return [...out.values()];
}

function toOrder(row: AcmeOrdersTable): AcmeOrder {
  const authorizationIds = JSON.parse(row.authorization_ids) as string[];
  return {
    id: row.id,
    accountId: row.account_id,
    status: row.status,
    identifiers: JSON.parse(row.identifiers) as AcmeIdentifier[],
    profile: row.profile,
    enrollment:
      row.template === NO_TEMPLATE
        ? null
        : {
            template: row.template,
            caPool: row.ca_pool,
            caName: row.ca_name,
            attributes: row.request_attributes === null ? {} : (JSON.parse(row.request_attributes) as Record<string, string>),
          },
    expires: row.expires,
    error: parseProblem(row.error),
    csr: row.csr,
    enrollmentKey: row.enrollment_key,
    resubmits: row.resubmits,
    processingSince: row.processing_since,
    replaces: row.replaces,
    certificate:
      row.cert_serial !== null && row.cert_not_before !== null && row.cert_not_after !== null
        ? { serial: row.cert_serial, aki: row.cert_aki, notBefore: row.cert_not_before, notAfter: row.cert_not_after }
        : null,
    authorizationIds,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toChallenge(row: AcmeChallengesTable): AcmeChallenge {
  return {
    id: row.id,
    authorizationId: row.authorization_id,
    type: row.type,
    token: row.token,
    status: row.status as AcmeChallengeStatus,
    validated: row.validated,
    error: parseProblem(row.error),
  };
}

function toAuthorization(row: AcmeAuthorizationsTable, challenges: AcmeChallengesTable[]): AcmeAuthorization {
  return {
    id: row.id,
    accountId: row.account_id,
    identifier: { type: row.identifier_type, value: row.identifier_value },
    wildcard: row.wildcard === 1,
    status: row.status,
    expires: row.expires,
    challenges: challenges.map(toChallenge),
  };
}
