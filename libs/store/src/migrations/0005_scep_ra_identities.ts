import type { Kysely, Migration } from 'kysely';

/**
 * The SCEP RA identities shared by every scep-api replica (SCEP_RA_STORE=database): one row per
 * enrollment of an RA certificate, numbered per usage (signing, encryption) by `generation`. The
 * row is written when a replica claims the next generation (UNIQUE (usage, generation): exactly
 * one replica wins it) with the locally generated key (AES-256-GCM, never in clear) and its CSR,
 * then completed with the certificate, its chain and notAfter once the CA issued it. Older issued
 * rows stay: their encryption keys still open requests clients encrypted before a renewal.
 */
export function scepRaIdentities0005(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('scep_ra_identities')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('usage', 'text', (c) => c.notNull())
        .addColumn('generation', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('request_key', 'text', (c) => c.notNull())
        .addColumn('template', 'text', (c) => c.notNull())
        .addColumn('csr', 'text', (c) => c.notNull())
        .addColumn('private_key', 'text', (c) => c.notNull())
        .addColumn('certificate', 'text')
        .addColumn('serial', 'text')
        .addColumn('chain', 'text')
        .addColumn('not_after', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('issued_at', 'text')
        .addUniqueConstraint('scep_ra_identities_usage_generation_key', ['usage', 'generation'])
        .execute();
    },

    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('scep_ra_identities').execute();
    },
  };
}
