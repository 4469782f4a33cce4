import type { Kysely, Migration } from 'kysely';

/**
 * SCEP state beside the enrollments: transactions (retries and CertPoll find their request by
 * transactionID; kept at least as long as a client polls) and one-time challenge passwords
 * (stored as hashes, consumed once, bound to the transaction that used them).
 */
export function scep0003(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('scep_transactions')
        .addColumn('request_key', 'text', (c) => c.primaryKey())
        .addColumn('transaction_id', 'text', (c) => c.notNull())
        .addColumn('profile', 'text', (c) => c.notNull())
        .addColumn('signer_key_sha256', 'text', (c) => c.notNull())
        .addColumn('message_type', 'integer', (c) => c.notNull())
        .addColumn('csr_sha256', 'text', (c) => c.notNull())
        .addColumn('challenge_id', 'text')
        .addColumn('certificate_serial', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('scep_transactions_expires_at_idx').on('scep_transactions').column('expires_at').execute();
      await db.schema.createIndex('scep_transactions_certificate_serial_idx').on('scep_transactions').column('certificate_serial').execute();

      await db.schema
        .createTable('scep_challenges')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('challenge_sha256', 'text', (c) => c.notNull().unique())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('profile', 'text')
        .addColumn('binding', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('consumed_at', 'text')
        .addColumn('consumed_by', 'text')
        .execute();
      await db.schema.createIndex('scep_challenges_open_idx').on('scep_challenges').columns(['consumed_at', 'expires_at']).execute();
    },

    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('scep_challenges').execute();
      await db.schema.dropTable('scep_transactions').execute();
    },
  };
}
