import { sql } from 'kysely';
import { withDatabases } from '../../../test/support/databases.js';
import { openDatabase, type StoreDatabase } from './index.js';
import { PreparedQuery } from './prepared.js';

// Named prepared statements exist on PostgreSQL only; SQLite has its own statement cache.
const postgres = (await withDatabases()).filter((d) => d.name === 'postgres');

interface Row {
  id: string;
  note: string;
}

describe.each(postgres)('named prepared statements on $name', ({ open }) => {
  let url: string;
  let cleanup: () => Promise<void>;
  const opened: StoreDatabase[] = [];
  const warnings: string[] = [];

  beforeAll(async () => {
    ({ url, cleanup } = await open());
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((d) => d.close()));
    warnings.length = 0;
  });
  afterAll(async () => {
    await cleanup?.();
  });

  /** One connection, so what PostgreSQL lists in pg_prepared_statements is that connection's. */
  async function single(extra = ''): Promise<StoreDatabase> {
    const db = openDatabase(`${url}${extra}`, { pool: { max: 1 }, onWarning: (m) => warnings.push(m) });
    opened.push(db);
    return db;
  }

  async function preparedOnConnection(db: StoreDatabase): Promise<{ name: string; statement: string }[]> {
    const r = await sql<{ name: string; statement: string }>`select name, statement from pg_prepared_statements order by name`.execute(db.db);
    return r.rows;
  }

  async function table(db: StoreDatabase, name: string): Promise<void> {
    await sql`create table ${sql.table(name)} (id text primary key, note text not null)`.execute(db.db);
    await sql`insert into ${sql.table(name)} values ('a', 'first'), ('b', 'second')`.execute(db.db);
  }

  function byId(db: StoreDatabase, name: string) {
    return new PreparedQuery<[string], Row>(1, (id: string) =>
      (db.db as unknown as import('kysely').Kysely<Record<string, Row>>).selectFrom(name).selectAll().where('id', '=', id),
    );
  }

  it('runs a PreparedQuery as a statement PostgreSQL keeps on the connection, and other SQL unnamed', async () => {
    const db = await single();
    await table(db, 'named_a');
    const q = byId(db, 'named_a');
    expect(await q.first(db.db, 'a')).toEqual({ id: 'a', note: 'first' });
    expect(await q.first(db.db, 'b')).toEqual({ id: 'b', note: 'second' });
    const prepared = await preparedOnConnection(db);
    expect(prepared).toHaveLength(1);
    expect(prepared[0]?.name).toMatch(/^eg_[A-Za-z0-9_-]{24}$/);
    expect(prepared[0]?.statement).toBe('select * from "named_a" where "id" = $1');
  });

  it('with ?prepare=false runs every statement unnamed', async () => {
    const db = await single('&prepare=false');
    await table(db, 'named_b');
    const q = byId(db, 'named_b');
    expect(await q.first(db.db, 'a')).toEqual({ id: 'a', note: 'first' });
    expect(await preparedOnConnection(db)).toEqual([]);
  });

  it('survives a column added under a running pool (PostgreSQL: "cached plan must not change result type")', async () => {
    const db = await single();
    await table(db, 'named_c');
    const q = byId(db, 'named_c');
    expect(await q.first(db.db, 'a')).toEqual({ id: 'a', note: 'first' });
    await sql`alter table named_c add column extra text not null default 'x'`.execute(db.db);
    expect(await q.first(db.db, 'a')).toEqual({ id: 'a', note: 'first', extra: 'x' });
    // Prepared again under a second name; the old one stays until the connection closes.
    expect((await preparedOnConnection(db)).map((p) => p.name)).toEqual([expect.stringMatching(/^eg_/), expect.stringMatching(/^eg_.*_1$/)].sort());
    expect(warnings).toEqual([]);
  });

  it('inside a transaction the schema change fails that transaction, and the next run works', async () => {
    const db = await single();
    await table(db, 'named_d');
    const q = byId(db, 'named_d');
    await q.first(db.db, 'a');
    await sql`alter table named_d add column extra text`.execute(db.db);
    await expect(db.db.transaction().execute((trx) => q.first(trx, 'a'))).rejects.toMatchObject({ code: '0A000' });
    expect(await q.first(db.db, 'b')).toEqual({ id: 'b', note: 'second', extra: null });
  });

  it('when the server loses its statements (as behind a transaction-mode pooler) it warns once and goes on unnamed', async () => {
    const db = await single();
    await table(db, 'named_e');
    const q = byId(db, 'named_e');
    await q.first(db.db, 'a');
    await sql`deallocate all`.execute(db.db);
    expect(await q.first(db.db, 'b')).toEqual({ id: 'b', note: 'second' });
    expect(await q.first(db.db, 'a')).toEqual({ id: 'a', note: 'first' });
    expect(await preparedOnConnection(db)).toEqual([]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/SQLSTATE 26000 .*\?prepare=false/);
    expect(warnings[0]).not.toMatch(/password/);
  });

  it('never runs a failing statement twice', async () => {
    const db = await single();
    await table(db, 'named_f');
    const insert = new PreparedQuery<[string, string], Row>(2, (id: string, note: string) =>
      (db.db as unknown as import('kysely').Kysely<Record<string, Row>>).insertInto('named_f').values({ id, note }),
    );
    await insert.run(db.db, 'c', 'third');
    await expect(insert.run(db.db, 'c', 'again')).rejects.toMatchObject({ code: '23505' });
    const counter = new PreparedQuery<[string], { n: number }>(1, (id: string) =>
      (db.db as unknown as import('kysely').Kysely<Record<string, Row>>)
        .selectFrom('named_f')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('id', '=', id),
    );
    expect(await counter.first(db.db, 'c')).toEqual({ n: 1 });
  });
});
