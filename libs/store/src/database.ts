import { mkdirSync, realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { parseDatabaseUrl, redactDatabaseUrl, SQLITE_MEMORY, type DatabaseDialect, type PostgresTarget, type SqliteTarget } from './database-url.js';
import { errorMessage } from './error-message.js';
import { NamedStatementPool } from './pg-named-statements.js';
import { StoreConfigError } from './errors.js';
import type { Schema } from './schema.js';
import { AsyncMutex } from './sqlite/async-mutex.js';
import { SqliteFileDialect } from './sqlite/sqlite-file-dialect.js';

export interface OpenDatabaseOptions {
  /** PostgreSQL: schema used as the connections' search_path (overrides `?schema=` in the URL). */
  schema?: string;
  /** SQLite: base directory of a relative `sqlite:path` (default: process.cwd()). */
  cwd?: string;
  /** SQLite: how long a writer waits for another process' lock (default 5000 ms). */
  busyTimeoutMs?: number;
  /** PostgreSQL pool (defaults: 10 connections, 10 s to connect). */
  pool?: { max?: number; connectionTimeoutMillis?: number; idleTimeoutMillis?: number };
  /** PostgreSQL: `application_name` shown in pg_stat_activity. */
  applicationName?: string;
  /**
   * PostgreSQL: an idle pooled connection failed (server restart, network). The pool drops it and
   * the next query reconnects; without a listener pg would crash the process. Default: a warning.
   */
  onPoolError?: (error: Error) => void;
  /** PostgreSQL: something the operator should know but that does not stop the store (default: process warning). */
  onWarning?: (message: string) => void;
}

export interface StoreDatabase {
  readonly db: Kysely<Schema>;
  readonly dialect: DatabaseDialect;
  /** The URL with its password redacted (for logs). */
  readonly url: string;
  /** PostgreSQL schema of this handle, when one was set. */
  readonly schema: string | undefined;
  /** One round trip (`select 1`); rejects when the database cannot answer. */
  ping(): Promise<void>;
  /** Closes the pool or file. Idempotent. */
  close(): Promise<void>;
}

const DEFAULT_BUSY_TIMEOUT_MS = 5000;
const DEFAULT_PG_CONNECT_TIMEOUT_MS = 10_000;

/**
 * Opens the store. PostgreSQL connects lazily (a database that is down at start-up shows in
 * readiness, not as a crash); SQLite opens the file at once, creating its directory.
 * Both dialects return the same JS values: strings for text, numbers for integers.
 */
export function openDatabase(url: string, opts: OpenDatabaseOptions = {}): StoreDatabase {
  const target = parseDatabaseUrl(url, { ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}), ...(opts.schema !== undefined ? { schema: opts.schema } : {}) });
  const redacted = redactDatabaseUrl(url.trim());
  return target.dialect === 'postgres' ? openPostgres(target, redacted, opts) : openSqlite(target, redacted, opts);
}

/** int8 (count(*), bigint columns) arrives as a string from pg; both dialects give numbers. */
const PG_INT8_OID = 20;
function parseInt8(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`int8 value ${value} does not fit a JavaScript number`);
  return n;
}

function openPostgres(target: PostgresTarget, redacted: string, opts: OpenDatabaseOptions): StoreDatabase {
  const types = new pg.TypeOverrides();
  types.setTypeParser(PG_INT8_OID, 'text', parseInt8);
  const options = [target.options, target.schema ? `-c search_path=${target.schema}` : undefined].filter(Boolean).join(' ');
  const pool = new pg.Pool({
    connectionString: target.connectionString,
    types,
    ...(options ? { options } : {}),
    ...(opts.applicationName ? { application_name: opts.applicationName } : {}),
    // pg waits forever for a connection by default; a readiness probe must not hang.
    connectionTimeoutMillis: DEFAULT_PG_CONNECT_TIMEOUT_MS,
    ...opts.pool,
  });
  pool.on('error', opts.onPoolError ?? ((e: Error) => process.emitWarning(`PostgreSQL pool connection error (${redacted}): ${e.message}`)));
  const dialectPool = target.prepare === false ? pool : new NamedStatementPool(pool, (m) => (opts.onWarning ?? process.emitWarning)(`${m} (${redacted})`));
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool: dialectPool }) });
  return handle(db, 'postgres', redacted, target.schema, () => undefined);
}

/** One mutex per database file in this process (see SqliteFileDialect). */
const sqliteFileMutexes = new Map<string, { mutex: AsyncMutex; handles: number }>();

function openSqlite(target: SqliteTarget, redacted: string, opts: OpenDatabaseOptions): StoreDatabase {
  const busyTimeoutMs = opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) throw new StoreConfigError(`busyTimeoutMs must be a non-negative integer, got ${busyTimeoutMs}`);
  const memory = target.filename === SQLITE_MEMORY;
  let filename = target.filename;
  let connection: BetterSqlite3.Database;
  try {
    if (!memory) {
      mkdirSync(dirname(filename), { recursive: true });
      // Canonical path, so two spellings of one file share one mutex.
      filename = join(realpathSync(dirname(filename)), basename(filename));
    }
    connection = new BetterSqlite3(filename, { timeout: busyTimeoutMs });
  } catch (e) {
    throw new StoreConfigError(`cannot open SQLite database ${filename}: ${errorMessage(e)}`, { cause: e });
  }
  try {
    // WAL: readers never block the writer. NORMAL is durable across application crashes in WAL
    // mode (only an OS crash can lose the last commits). Foreign keys are off by default in SQLite.
    connection.pragma('journal_mode = WAL');
    connection.pragma('synchronous = NORMAL');
    connection.pragma(`busy_timeout = ${busyTimeoutMs}`);
    connection.pragma('foreign_keys = ON');
  } catch (e) {
    connection.close();
    throw new StoreConfigError(`cannot configure SQLite database ${filename}: ${errorMessage(e)}`, { cause: e });
  }

  let shared: { mutex: AsyncMutex; handles: number } | undefined;
  if (!memory) {
    shared = sqliteFileMutexes.get(filename) ?? { mutex: new AsyncMutex(), handles: 0 };
    shared.handles += 1;
    sqliteFileMutexes.set(filename, shared);
  }
  const db = new Kysely<Schema>({ dialect: new SqliteFileDialect(connection, shared?.mutex) });
  return handle(db, 'sqlite', redacted, undefined, () => {
    if (shared && --shared.handles === 0) sqliteFileMutexes.delete(filename);
  });
}

function handle(db: Kysely<Schema>, dialect: DatabaseDialect, url: string, schema: string | undefined, onClosed: () => void): StoreDatabase {
  let closing: Promise<void> | undefined;
  return {
    db,
    dialect,
    url,
    schema,
    async ping() {
      await sql`select 1`.execute(db);
    },
    close() {
      closing ??= db.destroy().finally(onClosed);
      return closing;
    },
  };
}
