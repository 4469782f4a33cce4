import { isAbsolute, resolve } from 'node:path';
import { StoreConfigError } from './errors.js';

export type DatabaseDialect = 'postgres' | 'sqlite';

export interface SqliteTarget {
  dialect: 'sqlite';
  /** Absolute path of the database file, or `:memory:`. */
  filename: string;
}

export interface PostgresTarget {
  dialect: 'postgres';
  /** The URL without our own `schema` parameter (pg would otherwise ignore or misread it). */
  connectionString: string;
  /** Schema every connection uses as its only `search_path` entry; absent → the server default. */
  schema?: string;
  /** libpq startup `options` taken from the URL (`?options=...`), merged with our search_path. */
  options?: string;
  /**
   * `?prepare=false`: never use named prepared statements (for a pooler that does not keep them
   * per client, such as PgBouncer in transaction mode before 1.21). Default: used.
   */
  prepare?: boolean;
}

export type DatabaseTarget = SqliteTarget | PostgresTarget;

export const SQLITE_MEMORY = ':memory:';

/**
 * Lower-case identifiers only: the schema goes into `-c search_path=...` unquoted, where
 * PostgreSQL folds case, so anything else would silently name a different schema.
 */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Parses a database URL into what openDatabase needs. Accepted forms:
 * `postgres://…`, `postgresql://…` (optional `?schema=name`), `sqlite:///abs/path.db`,
 * `sqlite:relative/path.db` (relative to `cwd`), `sqlite::memory:`.
 * Throws StoreConfigError naming the problem; the message never shows a password.
 */
export function parseDatabaseUrl(url: string, opts: { cwd?: string; schema?: string } = {}): DatabaseTarget {
  const trimmed = url.trim();
  if (trimmed === '') {
    throw new StoreConfigError(
      'database URL is empty: use postgres://user@host:5432/db, sqlite:///absolute/path.db, sqlite:relative/path.db or sqlite::memory:',
    );
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(trimmed)?.[1]?.toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') return parsePostgresUrl(trimmed, opts.schema);
  if (scheme === 'sqlite') {
    if (opts.schema !== undefined) throw new StoreConfigError('the schema option applies to PostgreSQL only; SQLite has one schema per file');
    return parseSqliteUrl(trimmed, opts.cwd ?? process.cwd());
  }
  throw new StoreConfigError(
    `unsupported database URL ${redactDatabaseUrl(trimmed)}: ` +
      (scheme ? `scheme '${scheme}:' is not one of postgres:, postgresql:, sqlite:` : 'it has no scheme (postgres://… or sqlite:…)'),
  );
}

function parsePostgresUrl(url: string, schemaOption: string | undefined): PostgresTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new StoreConfigError(`malformed PostgreSQL URL ${redactDatabaseUrl(url)}: expected postgres://user:password@host:5432/database`);
  }
  if (!parsed.hostname && !parsed.searchParams.get('host')) {
    throw new StoreConfigError(`PostgreSQL URL ${redactDatabaseUrl(url)} names no host (postgres://user@host:5432/database, or ?host=/socket/dir)`);
  }
  const schemas = parsed.searchParams.getAll('schema');
  if (schemas.length > 1) throw new StoreConfigError(`PostgreSQL URL ${redactDatabaseUrl(url)} has ${schemas.length} schema parameters; give one`);
  const schema = schemaOption ?? schemas[0];
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new StoreConfigError(`invalid PostgreSQL schema name '${schema}': use lower-case letters, digits and _ (at most 63, not starting with a digit)`);
  }
  const options = parsed.searchParams.get('options') ?? undefined;
  const prepareValues = parsed.searchParams.getAll('prepare');
  if (prepareValues.length > 1 || (prepareValues[0] !== undefined && !['true', 'false'].includes(prepareValues[0]))) {
    throw new StoreConfigError(`PostgreSQL URL ${redactDatabaseUrl(url)}: prepare must be given once, as true or false`);
  }
  // pg lets the connection string override explicit config, so our parameters leave the URL.
  const ours = schemas.length > 0 || options !== undefined || prepareValues.length > 0;
  parsed.searchParams.delete('schema');
  parsed.searchParams.delete('options');
  parsed.searchParams.delete('prepare');
  return {
    dialect: 'postgres',
    connectionString: ours ? parsed.toString() : url,
    ...(schema !== undefined ? { schema } : {}),
    ...(options !== undefined ? { options } : {}),
    ...(prepareValues[0] !== undefined ? { prepare: prepareValues[0] === 'true' } : {}),
  };
}

function parseSqliteUrl(url: string, cwd: string): SqliteTarget {
  const rest = url.slice('sqlite:'.length);
  if (rest === SQLITE_MEMORY) return { dialect: 'sqlite', filename: SQLITE_MEMORY };
  const shape = 'write sqlite:///absolute/path.db, sqlite:relative/path.db or sqlite::memory:';
  if (/[?#]/.test(rest)) throw new StoreConfigError(`SQLite URL ${url} has a query or fragment; SQLite URLs take none (${shape})`);
  let encodedPath: string;
  if (rest.startsWith('//')) {
    // sqlite://host/… has an authority part, which means nothing for a file.
    if (rest === '//') throw new StoreConfigError(`SQLite URL ${url} names no file; ${shape}`);
    if (!rest.startsWith('///')) throw new StoreConfigError(`SQLite URL ${url} has a host part; ${shape}`);
    encodedPath = rest.slice(2);
  } else {
    encodedPath = rest;
  }
  let path: string;
  try {
    path = decodeURIComponent(encodedPath);
  } catch {
    throw new StoreConfigError(`SQLite URL ${url} has a malformed %-escape in its path`);
  }
  if (path === '' || path === '/') throw new StoreConfigError(`SQLite URL ${url} names no file; ${shape}`);
  if (path.endsWith('/')) throw new StoreConfigError(`SQLite URL ${url} names a directory, not a file; ${shape}`);
  if (path.includes('\0')) throw new StoreConfigError(`SQLite URL ${url} contains a NUL byte`);
  return { dialect: 'sqlite', filename: isAbsolute(path) ? path : resolve(cwd, path) };
}

/** The URL with any password replaced by `***`, for messages and logs. */
export function redactDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    const password = parsed.searchParams.get('password');
    if (password) parsed.searchParams.set('password', '***');
    return parsed.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
  }
}
