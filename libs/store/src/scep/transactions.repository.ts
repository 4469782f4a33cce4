import type { Kysely } from 'kysely';
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

  /** Inserts unless the request key exists; returns the stored row either way. */
  async createOrGet(tx: NewScepTransaction): Promise<{ transaction: ScepTransaction; created: boolean }> {
    const now = this.now();
    const inserted = await this.db
      .insertInto('scep_transactions')
      .values({
        request_key: tx.requestKey,
        transaction_id: tx.transactionId,
        profile: tx.profile,
        signer_key_sha256: tx.signerKeySha256,
        message_type: tx.messageType,
        csr_sha256: tx.csrSha256,
        challenge_id: tx.challengeId,
        certificate_serial: null,
        created_at: now.toISOString(),
        updated_at: now.toISOString(),
        expires_at: new Date(now.getTime() + this.options.retentionMs).toISOString(),
      })
      .onConflict((oc) => oc.column('request_key').doNothing())
      .returningAll()
      .executeTakeFirst();
    if (inserted) return { transaction: toTransaction(inserted), created: true };
    const existing = await this.get(tx.requestKey);
    if (!existing) throw new Error(`scep transaction ${tx.requestKey} vanished between insert and read`);
    return { transaction: existing, created: false };
  }

  /** The live transaction (not expired), or undefined. */
  async get(requestKey: string): Promise<ScepTransaction | undefined> {
    const row = await this.db
      .selectFrom('scep_transactions')
      .selectAll()
      .where('request_key', '=', requestKey)
      .where('expires_at', '>', this.now().toISOString())
      .executeTakeFirst();
    return row && toTransaction(row);
  }

  /** Extends the retention from now (a poll or retry is a sign of life) and records an issued serial. */
  async touch(requestKey: string, certificateSerial?: string): Promise<void> {
    const now = this.now();
    await this.db
      .updateTable('scep_transactions')
      .set({
        updated_at: now.toISOString(),
        expires_at: new Date(now.getTime() + this.options.retentionMs).toISOString(),
        ...(certificateSerial !== undefined ? { certificate_serial: certificateSerial } : {}),
      })
      .where('request_key', '=', requestKey)
      .execute();
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
