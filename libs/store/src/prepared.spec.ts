import { withDatabases } from '../../../test/support/databases.js';
import { migrateToLatest, openDatabase, type StoreDatabase } from './index.js';
import { PreparedInserts, PreparedQuery } from './prepared.js';
import { anEnrollmentRow } from './testing/fixtures.js';

const databases = await withDatabases();

describe.each(databases)('PreparedQuery on $name', ({ open }) => {
  let db: StoreDatabase;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    const opened = await open();
    cleanup = opened.cleanup;
    db = openDatabase(opened.url);
    await migrateToLatest(db);
    const now = '2026-01-01T00:00:00.000Z';
    for (const [id, key, status] of [
      ['e1', 'k1', 'queued'],
      ['e2', 'k2', 'issued'],
    ] as const) {
      await db.db
        .insertInto('enrollments')
        .values(anEnrollmentRow({ id, request_key: key, job_id: `job-${id}`, status, template: 'WebServer', csr: 'MA==', created_at: now, updated_at: now }))
        .execute();
    }
  });
  afterAll(async () => {
    await db?.close();
    await cleanup?.();
  });

  it('runs the compiled SQL with each call’s arguments and keeps the builder’s constants', async () => {
    const q = new PreparedQuery(1, (key: string) =>
      db.db.selectFrom('enrollments').select(['id', 'status']).where('request_key', '=', key).where('protocol', '=', 'acme'),
    );
    expect(await q.first(db.db, 'k1')).toEqual({ id: 'e1', status: 'queued' });
    expect(await q.first(db.db, 'k2')).toEqual({ id: 'e2', status: 'issued' });
    expect(await q.first(db.db, 'nope')).toBeUndefined();
  });

  it('runs updates inside a transaction and reports affected rows', async () => {
    const q = new PreparedQuery(2, (id: string, updatedAt: string) => db.db.updateTable('enrollments').set({ updated_at: updatedAt }).where('id', '=', id));
    const result = await db.db.transaction().execute((trx) => q.run(trx, 'e1', '2026-02-02T00:00:00.000Z'));
    expect(result.numAffectedRows).toBe(1n);
    expect((await db.db.selectFrom('enrollments').select('updated_at').where('id', '=', 'e1').executeTakeFirstOrThrow()).updated_at).toBe(
      '2026-02-02T00:00:00.000Z',
    );
  });

  it('inserts rows with each call’s values, compiled once per row count', async () => {
    const inserts = new PreparedInserts(db.db as never);
    const row = (id: string, key: string) => ({
      protocol: 'acme',
      request_key: key,
      outcome: 'issued',
      result_key: `rk-${id}`,
      payload: JSON.stringify({ id }),
      received_at: '2026-01-01T00:00:00.000Z',
    });
    await db.db.transaction().execute((trx) => inserts.execute(trx as never, 'enrollment_results', [row('a', 'k1'), row('b', 'k2')]));
    await inserts.execute(db.db as never, 'enrollment_results', [row('c', 'k1'), row('d', 'k2')]);
    await inserts.execute(db.db as never, 'enrollment_results', []);
    const keys = await db.db
      .selectFrom('enrollment_results')
      .select(['result_key', 'request_key'])
      .where('result_key', 'like', 'rk-%')
      .orderBy('result_key')
      .execute();
    expect(keys).toEqual([
      { result_key: 'rk-a', request_key: 'k1' },
      { result_key: 'rk-b', request_key: 'k2' },
      { result_key: 'rk-c', request_key: 'k1' },
      { result_key: 'rk-d', request_key: 'k2' },
    ]);
  });

  it('refuses a query that does not pass every argument through as a parameter', async () => {
    const q = new PreparedQuery<[string, string], { id: string }>(2, (key) => db.db.selectFrom('enrollments').select('id').where('request_key', '=', key));
    await expect(q.execute(db.db, 'k1', 'unused')).rejects.toThrow(/uses 1 of its 2 arguments/);
  });
});
