/**
 * Real databases for integration tests, shared by every package: each case runs against SQLite
 * and PostgreSQL alike.
 *
 *   const databases = await withDatabases();
 *   describe.each(databases)('on $name', ({ open }) => { ... const { url, cleanup } = await open(); ... });
 *
 * SQLite: a fresh file in a temp directory per open(). PostgreSQL: DATABASE_URL when it is a
 * postgres URL, else postgres://postgres@127.0.0.1:5432/test; a fresh schema `eg_<random>` per
 * open(), named in the returned URL (`?schema=`) and dropped by cleanup().
 *
 * PostgreSQL unreachable: with CI=true every postgres case fails with the reason; otherwise the
 * postgres cases are left out with a console warning saying why. Never a silent skip.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export type TestDatabaseName = 'sqlite' | 'postgres';

export interface OpenedTestDatabase {
  /** A database URL for openDatabase(): its own file or its own schema. */
  url: string;
  /** Removes the file or drops the schema. Close your connections first. */
  cleanup(): Promise<void>;
}

export interface TestDatabase {
  name: TestDatabaseName;
  open(): Promise<OpenedTestDatabase>;
}

const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';
const PROBE_TIMEOUT_MS = 3000;

export function postgresTestUrl(): string {
  const fromEnv = process.env['DATABASE_URL'];
  return fromEnv && /^postgres(ql)?:/i.test(fromEnv) ? fromEnv : DEFAULT_POSTGRES_URL;
}

export const sqliteTestDatabase: TestDatabase = {
  name: 'sqlite',
  async open() {
    const dir = await mkdtemp(join(tmpdir(), 'enrollgate-db-'));
    const file = join(dir, 'enrollgate.db');
    return {
      url: `sqlite://${file.split('/').map(encodeURIComponent).join('/')}`,
      cleanup: () => rm(dir, { recursive: true, force: true }),
    };
  },
};

let probe: Promise<string | undefined> | undefined;

/** The reason PostgreSQL cannot be used, or undefined when it answers. Probed once per test file. */
function postgresUnavailable(url: string): Promise<string | undefined> {
  probe ??= (async () => {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: PROBE_TIMEOUT_MS });
    try {
      await client.connect();
      await client.query('select 1');
      return undefined;
    } catch (e) {
      return describeError(e);
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return probe;
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: PROBE_TIMEOUT_MS });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function postgresTestDatabase(baseUrl: string): TestDatabase {
  return {
    name: 'postgres',
    async open() {
      const schema = `eg_${randomBytes(6).toString('hex')}`;
      await withClient(baseUrl, (c) => c.query(`create schema ${schema}`));
      const url = new URL(baseUrl);
      url.searchParams.set('schema', schema);
      return {
        url: url.toString(),
        cleanup: async () => {
          await withClient(baseUrl, (c) => c.query(`drop schema if exists ${schema} cascade`));
        },
      };
    },
  };
}

/** Duck-typed: pg's errors come from outside Jest's sandbox realm; AggregateError has no message. */
function describeError(e: unknown): string {
  if (typeof e === 'object' && e !== null) {
    if ('message' in e && typeof e.message === 'string' && e.message !== '') return e.message;
    if ('errors' in e && Array.isArray(e.errors)) return e.errors.map(describeError).join('; ');
  }
  return String(e);
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

/** The databases every integration case runs on (see the file comment for the PostgreSQL rules). */
export async function withDatabases(): Promise<TestDatabase[]> {
  const url = postgresTestUrl();
  const reason = await postgresUnavailable(url);
  if (reason === undefined) return [sqliteTestDatabase, postgresTestDatabase(url)];
  const message = `PostgreSQL not reachable at ${redact(url)} (${reason})`;
  if (process.env['CI'] === 'true') {
    return [
      sqliteTestDatabase,
      {
        name: 'postgres',
        open: () =>
          Promise.reject(new Error(`${message}. CI=true, so the PostgreSQL cases fail instead of being skipped: start PostgreSQL or set DATABASE_URL.`)),
      },
    ];
  }
  console.warn(`${message}: skipping the PostgreSQL cases of this file. Start PostgreSQL or set DATABASE_URL to run them (with CI=true they fail instead).`);
  return [sqliteTestDatabase];
}
