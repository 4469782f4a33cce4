import { Migrator, sql } from 'kysely';
import { withDatabases, type OpenedTestDatabase } from '../../../test/support/databases.js';
import { openDatabase, type StoreDatabase } from './database.js';
import { errorMessage } from './error-message.js';
import { StoreMigrationError } from './errors.js';
import { migrateToLatest } from './migrate.js';
import { anEnrollmentRow } from './testing/fixtures.js';
import { StoreMigrationProvider, storeMigrations } from './migrations/index.js';

const databases = await withDatabases();

/**
 * The message a promise rejects with. Not `rejects.toThrow`: better-sqlite3 registers its error
 * class once per process, so in a Jest worker its errors can belong to an earlier test file's
 * realm, which Jest's toThrow does not recognise as an Error.
 */
async function rejectionOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (e) {
    return errorMessage(e);
  }
  throw new Error('expected the promise to reject, but it resolved');
}

/** Tables of the handle's own schema or file (not Kysely's introspection: see migrate.ts). */
async function tablesOf(database: StoreDatabase): Promise<string[]> {
  const query =
    database.dialect === 'postgres'
      ? sql<{ name: string }>`select tablename as name from pg_tables where schemaname = current_schema() order by 1`
      : sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by 1`;
  return (await query.execute(database.db)).rows.map((r) => r.name);
}

describe(migrateToLatest.name, () => {
  describe.each(databases)('on $name', ({ name, open }) => {
    let target: OpenedTestDatabase;
    let sut: StoreDatabase;

    beforeEach(async () => {
      target = await open();
      sut = openDatabase(target.url);
    });

    afterEach(async () => {
      await sut?.close();
      await target?.cleanup();
    });

    it('applies every migration once, then nothing', async () => {
      expect(await migrateToLatest(sut)).toEqual(Object.keys(storeMigrations(sut.dialect)));
      expect(await migrateToLatest(sut)).toEqual([]);
      expect(await tablesOf(sut)).toEqual(
        expect.arrayContaining([
          'acme_accounts',
          'acme_authorizations',
          'acme_challenges',
          'acme_order_authorizations',
          'acme_orders',
          'enrollment_results',
          'enrollments',
          'kysely_migration',
        ]),
      );
    });

    it('is safe when several processes start together', async () => {
      const others = [openDatabase(target.url), openDatabase(target.url)];
      try {
        const applied = await Promise.all([sut, ...others].map((d) => migrateToLatest(d)));
        expect(applied.flat()).toEqual(Object.keys(storeMigrations(sut.dialect)));
      } finally {
        await Promise.all(others.map((d) => d.close()));
      }
    });

    it('enforces the unique request key and the result → enrollment foreign key', async () => {
      await migrateToLatest(sut);
      const row = anEnrollmentRow();
      await sut.db.insertInto('enrollments').values(row).execute();
      expect(
        await rejectionOf(
          sut.db
            .insertInto('enrollments')
            .values({ ...row, id: 'e2' })
            .execute(),
        ),
      ).toMatch(/unique/i);
      expect(
        await rejectionOf(
          sut.db
            .insertInto('enrollments')
            .values({ ...row, id: 'e3', request_key: 'k3', status: 'bogus' as 'queued' })
            .execute(),
        ),
      ).toMatch(/check/i);
      expect(
        await rejectionOf(
          sut.db
            .insertInto('enrollment_results')
            .values({ protocol: 'acme', request_key: 'missing', outcome: 'issued', result_key: 'x', payload: '{}', received_at: 'now' })
            .execute(),
        ),
      ).toMatch(/foreign key/i);
    });

    if (name === 'sqlite') {
      // SQLite only: on PostgreSQL Kysely's Migrator introspects every schema of the server and
      // trips over schemas that parallel test files drop (the reason migrateToLatest avoids it).
      it("keeps its bookkeeping where Kysely's own Migrator finds it", async () => {
        await migrateToLatest(sut);
        const kysely = new Migrator({ db: sut.db, provider: new StoreMigrationProvider(sut.dialect) });
        expect((await kysely.getMigrations()).map((m) => [m.name, m.executedAt !== undefined])).toEqual(
          Object.keys(storeMigrations(sut.dialect)).map((m) => [m, true]),
        );
        expect(await kysely.migrateToLatest()).toEqual({ results: [] });
      });
    }

    if (name === 'postgres') {
      it('keeps everything in its own schema, creating the schema when it is missing', async () => {
        const fresh = `eg_new_${Date.now().toString(36)}`;
        const isolated = openDatabase(target.url, { schema: fresh });
        try {
          expect(await migrateToLatest(isolated)).toEqual(Object.keys(storeMigrations(isolated.dialect)));
          const { rows } = await sql<{
            table_name: string;
          }>`select table_name from information_schema.tables where table_schema = ${fresh} order by table_name`.execute(sut.db);
          expect(rows.map((r) => r.table_name)).toEqual(
            expect.arrayContaining([
              'acme_accounts',
              'acme_authorizations',
              'acme_challenges',
              'acme_order_authorizations',
              'acme_orders',
              'enrollment_results',
              'enrollments',
              'kysely_migration',
            ]),
          );
        } finally {
          await sql`drop schema if exists ${sql.id(fresh)} cascade`.execute(sut.db);
          await isolated.close();
        }
      });
    }
  });

  it('refuses a database migrated by a newer version', async () => {
    const sut = openDatabase('sqlite::memory:');
    try {
      await migrateToLatest(sut);
      await sql`insert into kysely_migration (name, timestamp) values ('9999_future', 'x')`.execute(sut.db);
      await expect(migrateToLatest(sut)).rejects.toThrow(/migrations this version does not know \(9999_future\)/);
    } finally {
      await sut.close();
    }
  });

  it('reports a failure as a StoreMigrationError', async () => {
    const sut = openDatabase('sqlite::memory:');
    try {
      // A table of the same name exists but is not ours: the first migration cannot create it.
      await sql`create table enrollments (x int)`.execute(sut.db);
      await expect(migrateToLatest(sut)).rejects.toBeInstanceOf(StoreMigrationError);
      await expect(migrateToLatest(sut)).rejects.toThrow(/migration 0001_enrollments failed: .*enrollments.*already exists/);
      // One transaction: nothing of the failed run remains.
      expect(await tablesOf(sut)).toEqual(['enrollments']);
    } finally {
      await sut.close();
    }
  });
});
