import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { withDatabases } from '../../../test/support/databases.js';
import { openDatabase, type StoreDatabase } from './database.js';
import { StoreConfigError } from './errors.js';
import { databaseHealthCheck } from './health.js';

const databases = await withDatabases();
const postgres = databases.find((d) => d.name === 'postgres');

describe(openDatabase.name, () => {
  let dir: string;
  const opened: StoreDatabase[] = [];
  const track = (d: StoreDatabase): StoreDatabase => (opened.push(d), d);

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'enrollgate-store-'));
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((d) => d.close()));
    await rm(dir, { recursive: true, force: true });
  });

  describe('SQLite', () => {
    it('creates the parent directory and turns on WAL, busy_timeout and foreign keys', async () => {
      const sut = track(openDatabase(`sqlite://${dir}/nested/deeper/eg.db`, { busyTimeoutMs: 1234 }));
      expect(sut.dialect).toBe('sqlite');
      expect((await stat(join(dir, 'nested/deeper/eg.db'))).isFile()).toBe(true);
      const pragma = async (name: string): Promise<unknown> =>
        Object.values((await sql.raw<Record<string, unknown>>(`pragma ${name}`).execute(sut.db)).rows[0] ?? {})[0];
      expect(await pragma('journal_mode')).toBe('wal');
      expect(await pragma('busy_timeout')).toBe(1234);
      expect(await pragma('foreign_keys')).toBe(1);
    });

    it('resolves sqlite:relative/path against cwd', async () => {
      track(openDatabase('sqlite:data/eg.db', { cwd: dir }));
      expect((await stat(join(dir, 'data/eg.db'))).isFile()).toBe(true);
    });

    it('opens an in-memory database', async () => {
      const sut = track(openDatabase('sqlite::memory:'));
      await expect(sut.ping()).resolves.toBeUndefined();
    });

    it('says which file it cannot open', async () => {
      await writeFile(join(dir, 'not-a-dir'), '');
      expect(() => openDatabase(`sqlite://${dir}/not-a-dir/eg.db`)).toThrow(StoreConfigError);
      expect(() => openDatabase(`sqlite://${dir}/not-a-dir/eg.db`)).toThrow(/cannot open SQLite database .*not-a-dir\/eg\.db/);
    });

    it('closes idempotently', async () => {
      const sut = openDatabase(`sqlite://${dir}/eg.db`);
      await sut.close();
      await expect(sut.close()).resolves.toBeUndefined();
    });
  });

  describe('URLs', () => {
    it('refuses a bad URL before connecting anywhere', () => {
      expect(() => openDatabase('redis://127.0.0.1:6379')).toThrow(StoreConfigError);
    });
  });

  (postgres ? describe : describe.skip)('PostgreSQL', () => {
    let target: { url: string; cleanup(): Promise<void> };

    beforeEach(async () => {
      target = await postgres!.open();
    });

    afterEach(async () => {
      await Promise.all(opened.splice(0).map((d) => d.close()));
      await target.cleanup();
    });

    it('uses the URL schema as the search_path and redacts the URL it reports', async () => {
      const sut = track(openDatabase(target.url));
      const schema = new URL(target.url).searchParams.get('schema');
      expect(sut.schema).toBe(schema);
      const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(sut.db);
      expect(rows[0]?.schema).toBe(schema);
    });

    it('returns counts and bigints as numbers, and refuses ones beyond 2^53', async () => {
      const sut = track(openDatabase(target.url));
      const { rows } = await sql<{ n: unknown; big: unknown }>`select count(*) as n, 4000000123::bigint as big`.execute(sut.db);
      expect(rows[0]).toEqual({ n: 1, big: 4_000_000_123 });
      await expect(sql`select 9007199254740993::bigint as x`.execute(sut.db)).rejects.toThrow(/does not fit a JavaScript number/);
    });

    it('connects lazily: an unreachable server fails the ping, not the open', async () => {
      const sut = track(openDatabase('postgres://postgres@127.0.0.1:1/test', { pool: { connectionTimeoutMillis: 2000 } }));
      await expect(sut.ping()).rejects.toThrow();
    });
  });
});

describe(databaseHealthCheck.name, () => {
  it('passes when the database answers', async () => {
    const database = openDatabase('sqlite::memory:');
    try {
      await expect(databaseHealthCheck(database)()).resolves.toBeUndefined();
    } finally {
      await database.close();
    }
  });

  it('names the dialect and the reason when it does not', async () => {
    const sut = databaseHealthCheck({ dialect: 'postgres', ping: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432')) });
    await expect(sut()).rejects.toThrow('postgres database not answering: connect ECONNREFUSED 127.0.0.1:5432');
  });
});
