import BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery, Kysely, sql } from 'kysely';
import { CachingSqliteConnection, SqliteFileDialect } from './sqlite-file-dialect.js';

/** Counts prepare() calls on the handle. */
function countPrepares(db: BetterSqlite3.Database): { count: number } {
  const counter = { count: 0 };
  const prepare = db.prepare.bind(db);
  db.prepare = ((source: string) => {
    counter.count++;
    return prepare(source);
  }) as typeof db.prepare;
  return counter;
}

describe(CachingSqliteConnection.name, () => {
  let db: BetterSqlite3.Database;

  beforeEach(() => {
    db = new BetterSqlite3(':memory:');
    db.exec('create table t (id integer primary key, v text)');
  });

  afterEach(() => db.close());

  it('prepares a SQL text once and reuses the statement', async () => {
    const prepare = countPrepares(db);
    const sut = new CachingSqliteConnection(db, 10);
    for (let i = 0; i < 3; i++) await sut.executeQuery(CompiledQuery.raw('insert into t (v) values (?)', [`v${i}`]));
    const read = await sut.executeQuery<{ v: string }>(CompiledQuery.raw('select v from t where id > ? order by id', [1]));
    expect(read.rows).toEqual([{ v: 'v1' }, { v: 'v2' }]);
    expect(prepare.count).toBe(2);
    expect(sut.cachedStatements).toBe(2);
  });

  it('reports changes and the insert id of writes', async () => {
    const sut = new CachingSqliteConnection(db, 10);
    const inserted = await sut.executeQuery(CompiledQuery.raw('insert into t (v) values (?)', ['a']));
    expect(inserted).toEqual({ numAffectedRows: 1n, insertId: 1n, rows: [] });
    const returning = await sut.executeQuery(CompiledQuery.raw('update t set v = ? returning id', ['b']));
    expect(returning.rows).toEqual([{ id: 1 }]);
  });

  it('evicts the least recently used statement beyond its bound', async () => {
    const prepare = countPrepares(db);
    const sut = new CachingSqliteConnection(db, 2);
    const q = (n: number) => sut.executeQuery(CompiledQuery.raw(`select ${n} as n`));
    await q(1);
    await q(2);
    await q(1); // 1 is now the most recent
    await q(3); // evicts 2
    await q(1);
    expect(prepare.count).toBe(3);
    await q(2);
    expect(prepare.count).toBe(4);
    expect(sut.cachedStatements).toBe(2);
  });

  it('still works after a schema change invalidates a cached statement', async () => {
    const sut = new CachingSqliteConnection(db, 10);
    await sut.executeQuery(CompiledQuery.raw('insert into t (v) values (?)', ['a']));
    expect((await sut.executeQuery(CompiledQuery.raw('select * from t'))).rows).toEqual([{ id: 1, v: 'a' }]);
    db.exec('alter table t add column w text');
    expect((await sut.executeQuery(CompiledQuery.raw('select * from t'))).rows).toEqual([{ id: 1, v: 'a', w: null }]);
  });

  it('serves Kysely queries, transactions and streams through the dialect', async () => {
    const kysely = new Kysely<{ t: { id: number; v: string } }>({ dialect: new SqliteFileDialect(db, undefined) });
    await kysely.transaction().execute(async (trx) => {
      await trx.insertInto('t').values({ id: 1, v: 'x' }).execute();
      await trx.insertInto('t').values({ id: 2, v: 'y' }).execute();
    });
    await expect(
      kysely.transaction().execute(async (trx) => {
        await trx.insertInto('t').values({ id: 3, v: 'z' }).execute();
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    const streamed: string[] = [];
    for await (const row of kysely.selectFrom('t').select('v').orderBy('id').stream()) streamed.push(row.v);
    expect(streamed).toEqual(['x', 'y']);
    expect((await sql<{ n: number }>`select count(*) as n from t`.execute(kysely)).rows[0]?.n).toBe(2);
    await kysely.destroy();
  });
});
