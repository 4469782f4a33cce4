import { sql, type Kysely, type Migration } from 'kysely';

/**
 * ACME state (RFC 8555 §7.1): accounts, orders, authorizations (shared by orders of one account
 * when reused), challenges. Portable types only, as in 0001: text, integer; timestamps are
 * ISO-8601 text (one format, so they compare as strings); JSON as text. The certificate itself
 * lives in `enrollments` (request key = order id); orders keep what ARI and revocation look up.
 */
export function acme0002(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('acme_accounts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('valid', 'deactivated', 'revoked')`))
        .addColumn('jwk', 'text', (c) => c.notNull())
        // RFC 7638 thumbprint: one account per key, and the key-change conflict check.
        .addColumn('jwk_thumbprint', 'text', (c) => c.notNull().unique())
        .addColumn('contact', 'text', (c) => c.notNull())
        .addColumn('tos_agreed', 'integer', (c) => c.notNull())
        .addColumn('eab_kid', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('acme_orders')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('acme_accounts.id'))
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('pending', 'ready', 'processing', 'valid', 'invalid')`))
        .addColumn('identifiers', 'text', (c) => c.notNull())
        // JSON array of authorization ids in identifier order: an order reads in one query.
        .addColumn('authorization_ids', 'text', (c) => c.notNull())
        .addColumn('profile', 'text')
        .addColumn('template', 'text', (c) => c.notNull())
        .addColumn('expires', 'text', (c) => c.notNull())
        .addColumn('error', 'text')
        .addColumn('csr', 'text')
        // Request key of the current enrollment: the order id, then `<id>.r<n>` after a transient failure.
        .addColumn('enrollment_key', 'text')
        .addColumn('resubmits', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('processing_since', 'text')
        .addColumn('replaces', 'text')
        .addColumn('cert_serial', 'text')
        .addColumn('cert_aki', 'text')
        .addColumn('cert_not_before', 'text')
        .addColumn('cert_not_after', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('acme_orders_account_idx').on('acme_orders').columns(['account_id', 'status']).execute();
      await db.schema.createIndex('acme_orders_cert_serial_idx').on('acme_orders').column('cert_serial').execute();

      await db.schema
        .createTable('acme_authorizations')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('acme_accounts.id'))
        .addColumn('identifier_type', 'text', (c) => c.notNull().check(sql`identifier_type in ('dns', 'ip')`))
        .addColumn('identifier_value', 'text', (c) => c.notNull())
        .addColumn('wildcard', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('pending', 'valid', 'invalid', 'deactivated', 'expired', 'revoked')`))
        .addColumn('expires', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      // Reuse of valid authorizations: by account and identifier.
      await db.schema
        .createIndex('acme_authorizations_reuse_idx')
        .on('acme_authorizations')
        .columns(['account_id', 'identifier_type', 'identifier_value', 'wildcard', 'status'])
        .execute();

      await db.schema
        .createTable('acme_order_authorizations')
        .addColumn('order_id', 'text', (c) => c.notNull().references('acme_orders.id').onDelete('cascade'))
        .addColumn('authorization_id', 'text', (c) => c.notNull().references('acme_authorizations.id'))
        .addColumn('position', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('acme_order_authorizations_pkey', ['order_id', 'authorization_id'])
        .execute();
      await db.schema.createIndex('acme_order_authorizations_authz_idx').on('acme_order_authorizations').column('authorization_id').execute();

      await db.schema
        .createTable('acme_challenges')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('authorization_id', 'text', (c) => c.notNull().references('acme_authorizations.id').onDelete('cascade'))
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('token', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('pending', 'processing', 'valid', 'invalid')`))
        .addColumn('validated', 'text')
        .addColumn('error', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('acme_challenges_authz_idx').on('acme_challenges').column('authorization_id').execute();
    },

    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('acme_challenges').execute();
      await db.schema.dropTable('acme_order_authorizations').execute();
      await db.schema.dropTable('acme_authorizations').execute();
      await db.schema.dropTable('acme_orders').execute();
      await db.schema.dropTable('acme_accounts').execute();
    },
  };
}
