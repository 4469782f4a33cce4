import type { Kysely, Migration } from 'kysely';

/**
 * What an ACME order enrolls with, decided by the policy at finalize (not at newOrder: the
 * template may come from the finalize request's headers) and kept on the order, so a
 * resubmission after a transient failure enrolls with the same parameters. `template` already
 * exists (0002, NOT NULL: `''` until finalize, as SQLite cannot relax a column without
 * rebuilding the table); these add the CA pool, the CA within it (an EAB kid's `ca_name`) and
 * the extra MS-ICPR request attributes (JSON object).
 */
export function acmeOrderEnrollment0004(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('acme_orders').addColumn('ca_pool', 'text').execute();
      await db.schema.alterTable('acme_orders').addColumn('ca_name', 'text').execute();
      await db.schema.alterTable('acme_orders').addColumn('request_attributes', 'text').execute();
    },

    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('acme_orders').dropColumn('request_attributes').execute();
      await db.schema.alterTable('acme_orders').dropColumn('ca_name').execute();
      await db.schema.alterTable('acme_orders').dropColumn('ca_pool').execute();
    },
  };
}
