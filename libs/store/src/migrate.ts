import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { StoreDatabase } from './database.js';
import { errorMessage } from './error-message.js';
import { StoreMigrationError } from './errors.js';
import { storeMigrations } from './migrations/index.js';

/** Kysely's bookkeeping table and shape, so Kysely's own Migrator (e.g. migrateDown in dev) agrees. */
const MIGRATION_TABLE = 'kysely_migration';
type MigrationTables = {
  kysely_migration: { name: string; timestamp: string };
};

/**
 * Applies every migration not yet applied, in name order, and returns their names (empty when up
 * to date). The whole run is one transaction (DDL is transactional in both dialects), so a
 * failure leaves the database as it was. With a PostgreSQL schema configured, it is created first.
 *
 * Safe when several processes start together: PostgreSQL takes a transaction-scoped advisory
 * lock per schema, SQLite's BEGIN IMMEDIATE holds the write lock.
 *
 * Not Kysely's Migrator: it checks for its table by introspecting every table of every schema,
 * which fails ("schema … does not exist") whenever another schema is dropped at that moment, as
 * parallel test files do all the time; and its advisory lock is one for the whole server.
 */
export async function migrateToLatest(database: Pick<StoreDatabase, 'db' | 'dialect' | 'schema'>): Promise<string[]> {
  const migrations = storeMigrations(database.dialect);
  const names = Object.keys(migrations).sort();
  try {
    return await database.db.transaction().execute(async (trx) => {
      const db = trx.withTables<MigrationTables>();
      if (database.dialect === 'postgres') {
        await sql`select pg_advisory_xact_lock(${advisoryLockKey(database.schema)}::bigint)`.execute(db);
        if (database.schema) await sql`create schema if not exists ${sql.id(database.schema)}`.execute(db);
      }
      await db.schema
        .createTable(MIGRATION_TABLE)
        .ifNotExists()
        .addColumn('name', 'varchar(255)', (c) => c.primaryKey())
        .addColumn('timestamp', 'varchar(255)', (c) => c.notNull())
        .execute();
      const done = new Set((await db.selectFrom(MIGRATION_TABLE).select('name').execute()).map((r) => r.name));
      const unknown = [...done].filter((name) => !(name in migrations));
      if (unknown.length > 0) {
        throw new StoreMigrationError(
          `the database has migrations this version does not know (${unknown.join(', ')}): it was migrated by a newer enrollgate`,
          undefined,
        );
      }
      const applied: string[] = [];
      for (const name of names) {
        if (done.has(name)) continue;
        try {
          await migrations[name]?.up(db);
        } catch (e) {
          throw new StoreMigrationError(`migration ${name} failed: ${errorMessage(e)}`, name, { cause: e });
        }
        await db.insertInto(MIGRATION_TABLE).values({ name, timestamp: new Date().toISOString() }).execute();
        applied.push(name);
      }
      return applied;
    });
  } catch (e) {
    if (e instanceof StoreMigrationError) throw e;
    throw new StoreMigrationError(`migrations could not run: ${errorMessage(e)}`, undefined, { cause: e });
  }
}

/** A signed 64-bit advisory lock key per schema (two schemas never wait on each other). */
function advisoryLockKey(schema: string | undefined): string {
  const digest = createHash('sha256')
    .update(`enrollgate-store-migrations:${schema ?? ''}`)
    .digest();
  return digest.readBigInt64BE(0).toString();
}
