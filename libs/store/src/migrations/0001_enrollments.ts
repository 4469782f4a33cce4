import { sql, type Kysely, type Migration } from 'kysely';
import type { DatabaseDialect } from '../database-url.js';

/**
 * Enrollment state and the results received for it. Portable column types only (text, integer,
 * bigint); timestamps are ISO-8601 text so both dialects return the same strings.
 */
export function enrollments0001(dialect: DatabaseDialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('enrollments')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('protocol', 'text', (c) => c.notNull().check(sql`protocol in ('acme', 'scep')`))
        .addColumn('request_key', 'text', (c) => c.notNull())
        .addColumn('job_id', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('queued', 'pending', 'issued', 'denied', 'failed')`))
        .addColumn('template', 'text', (c) => c.notNull())
        .addColumn('ca_pool', 'text')
        .addColumn('csr', 'text', (c) => c.notNull())
        .addColumn('requester', 'text', (c) => c.notNull())
        .addColumn('attributes', 'text')
        .addColumn('certificate', 'text')
        .addColumn('chain', 'text')
        .addColumn('ca_host', 'text')
        .addColumn('ca_name', 'text')
        // MS-WCCE request ids are DWORDs: beyond PostgreSQL's int4. bigint has INTEGER affinity in SQLite.
        .addColumn('ca_request_id', 'bigint')
        .addColumn('error_code', 'text')
        .addColumn('error_message', 'text')
        .addColumn('error_status', 'text')
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('completed_at', 'text')
        .addUniqueConstraint('enrollments_protocol_request_key_key', ['protocol', 'request_key'])
        .execute();
      // Pollers list by status, oldest first.
      await db.schema.createIndex('enrollments_status_updated_at_idx').on('enrollments').columns(['status', 'updated_at']).execute();

      const results = db.schema.createTable('enrollment_results');
      await (
        dialect === 'postgres'
          ? results.addColumn('id', 'bigserial', (c) => c.primaryKey())
          : // INTEGER PRIMARY KEY is SQLite's rowid alias; AUTOINCREMENT never reuses ids.
            results.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
      )
        .addColumn('protocol', 'text', (c) => c.notNull())
        .addColumn('request_key', 'text', (c) => c.notNull())
        .addColumn('outcome', 'text', (c) => c.notNull().check(sql`outcome in ('issued', 'pending', 'denied', 'failed')`))
        .addColumn('result_key', 'text', (c) => c.notNull().unique())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('received_at', 'text', (c) => c.notNull())
        .addForeignKeyConstraint('enrollment_results_enrollment_fkey', ['protocol', 'request_key'], 'enrollments', ['protocol', 'request_key'], (fk) =>
          fk.onDelete('cascade'),
        )
        .execute();
      await db.schema.createIndex('enrollment_results_enrollment_idx').on('enrollment_results').columns(['protocol', 'request_key']).execute();
    },

    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('enrollment_results').execute();
      await db.schema.dropTable('enrollments').execute();
    },
  };
}
