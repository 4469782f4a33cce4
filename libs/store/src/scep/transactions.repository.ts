import type { Kysely } from 'kysely';
import { PreparedQuery } from '../prepared.js';
import type { StoreDatabase } from '../database.js';
import type { ScepSchema, ScepTransactionsTable } from './schema.js';

export interface ScepTransaction {
  requestKey: string;
  transactionId: string;
  profile: string;
  signerKeySha256: string;
  messageType: number;
  csrSha256: string;
  challengeId: string | null;
  certificateSerial: string | null;
  createdAt: string;
  updatedAt: string;
  expiresAt: string;
}

export type NewScepTransaction = Omit<ScepTransaction, 'createdAt' | 'updatedAt' | 'expiresAt' | 'certificateSerial'>;

function toTransaction(row: ScepTransactionsTable): ScepTransaction {
  return {
    requestKey: row.request_key,
    transactionId: row.transaction_id,
    profile: row.profile,
    signerKeySha256: row.signer_key_sha256,
    messageType: row.message_type,
    csrSha256: row.csr_sha256,
    challengeId: row.challenge_id,
    certificateSerial: row.certificate_serial,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    expiresAt: row.expires_at,
  };
}

/**
 * SCEP transactions: one row per (profile, signer key, transactionID) request key. A retried
 * PKCSReq finds its row and is answered from the enrollment's state; CertPoll finds the request it
 * polls. Rows live at least `retentionMs` after their last use (a client polling a PENDING
 * request keeps it alive), then purge() removes them; the enrollments themselves stay.
 */
export class ScepTransactionRepository {
  private readonly db: Kysely<ScepSchema>;

  constructor(
    database: Pick<StoreDatabase, 'db'>,
    private readonly options: { retentionMs: number; now?: () => Date },
  ) {
    this.db = database.db.withTables<ScepSchema>() as unknown as Kysely<ScepSchema>;
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  // The statements of every PKIOperation, compiled once (PreparedQuery; named statements on PostgreSQL).
  private readonly insert = new PreparedQuery(
    11,
    (
      requestKey: string,
      transactionId: string,
      profile: string,
      signerKeySha256: string,
      messageType: number,
      csrSha256: string,
      challengeId: string | null,
      certificateSerial: null,
      createdAt: string,
      updatedAt: string,
      expiresAt: string,
    ) =>
      this.db
        .insertInto('scep_transactions')
        .values({
          request_key: requestKey,
          transaction_id: transactionId,
          profile,
          signer_key_sha256: signerKeySha256,
          message_type: messageType,
          csr_sha256: csrSha256,
          challenge_id: challengeId,
          certificate_serial: certificateSerial,
          created_at: createdAt,
          updated_at: updatedAt,
          expires_at: expiresAt,
        })
        .onConflict((oc) => oc.column('request_key').doNothing())
        .returningAll(),
  );
  private readonly live = new PreparedQuery(2, (requestKey: string, now: string) =>
    this.db.selectFrom('scep_transactions').selectAll().where('request_key', '=', requestKey).where('expires_at', '>', now),
  );
  private readonly extend = new PreparedQuery(3, (requestKey: string, updatedAt: string, expiresAt: string) =>
    this.db.updateTable('scep_transactions').set({ updated_at: updatedAt, expires_at: expiresAt }).where('request_key', '=', requestKey),
  );
  private readonly extendWithSerial = new PreparedQuery(4, (requestKey: string, updatedAt: string, expiresAt: string, serial: string) =>
    this.db
      .updateTable('scep_transactions')
      .set({ updated_at: updatedAt, expires_at: expiresAt, certificate_serial: serial })
      .where('request_key', '=', requestKey),
  );

  /** Inserts unless the request key exists; returns the stored row either way. */
  async createOrGet(tx: NewScepTransaction): Promise<{ transaction: ScepTransaction; created: boolean }> {
    const now = this.now();
    const at = now.toISOString();
    const inserted = await this.insert.first(
      this.db,
      tx.requestKey,
      tx.transactionId,
      tx.profile,
      tx.signerKeySha256,
      tx.messageType,
      tx.csrSha256,
      tx.challengeId,
      null,
      at,
      at,
      new Date(now.getTime() + this.options.retentionMs).toISOString(),
    );
    if (inserted) return { transaction: toTransaction(inserted), created: true };
    const existing = await this.get(tx.requestKey);
    if (!existing) throw new Error(`scep transaction ${tx.requestKey} vanished between insert and read`);
    return { transaction: existing, created: false };
  }

  /** The live transaction (not expired), or undefined. */
  async get(requestKey: string): Promise<ScepTransaction | undefined> {
    const row = await this.live.first(this.db, requestKey, this.now().toISOString());
    return row && toTransaction(row);
  }

  /** Extends the retention from now (a poll or retry is a sign of life) and records an issued serial. */
  async touch(requestKey: string, certificateSerial?: string): Promise<void> {
    const now = this.now();
    const expires = new Date(now.getTime() + this.options.retentionMs).toISOString();
    if (certificateSerial !== undefined) await this.extendWithSerial.run(this.db, requestKey, now.toISOString(), expires, certificateSerial);
    else await this.extend.run(this.db, requestKey, now.toISOString(), expires);
  }

  async findByCertificateSerial(serialHex: string): Promise<ScepTransaction | undefined> {
    const row = await this.db
      .selectFrom('scep_transactions')
      .selectAll()
      .where('certificate_serial', '=', serialHex)
      .orderBy('updated_at', 'desc')
      .executeTakeFirst();
    return row && toTransaction(row);
  }

  /** Deletes expired transactions; returns how many. */
  async purgeExpired(): Promise<number> {
    const r = await this.db.deleteFrom('scep_transactions').where('expires_at', '<=', this.now().toISOString()).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
