import type BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery,
  SelectQueryNode,
  SqliteAdapter,
  SqliteDialect,
  type DatabaseConnection,
  type DialectAdapter,
  type Driver,
  type QueryCompiler,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';
import { AsyncMutex } from './async-mutex.js';

/**
 * Kysely's SQLite dialect, adjusted for a file several connections write to.
 *
 * - Transactions start with `BEGIN IMMEDIATE`: the write lock is taken up front, so a transaction
 *   that reads before it writes can never fail with SQLITE_BUSY on upgrade (which busy_timeout
 *   does not retry), and other processes wait on busy_timeout instead.
 * - Connections of this process to the same file share one async mutex. better-sqlite3 is
 *   synchronous: if a second connection of the same process hit the first one's lock, its
 *   busy_timeout wait would block the event loop that must run the first one's COMMIT, and it
 *   would fail after the timeout. Serialising in-process costs nothing (one thread anyway);
 *   across processes SQLite's own locking and busy_timeout apply.
 * - DDL is transactional in SQLite, so migrations run in a transaction (Kysely assumes not).
 * - Prepared statements are cached by SQL text: Kysely's driver prepares every query anew, which
 *   costs about as much as running a small one. The SQL texts are the application's own queries,
 *   a small set; the cache is bounded anyway (least recently used out).
 */
export class SqliteFileDialect extends SqliteDialect {
  constructor(
    private readonly database: BetterSqlite3.Database,
    private readonly fileMutex: AsyncMutex | undefined,
    private readonly statementCacheSize = 500,
  ) {
    super({ database });
  }

  override createDriver(): Driver {
    return new SqliteFileDriver(super.createDriver(), this.fileMutex, new CachingSqliteConnection(this.database, this.statementCacheSize));
  }

  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

/** The one connection of a better-sqlite3 handle, with prepared statements cached by SQL text. */
export class CachingSqliteConnection implements DatabaseConnection {
  private readonly statements = new Map<string, BetterSqlite3.Statement>();

  constructor(
    private readonly db: BetterSqlite3.Database,
    private readonly maxStatements: number,
  ) {}

  /** Statements currently cached (tests). */
  get cachedStatements(): number {
    return this.statements.size;
  }

  executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const stmt = this.statement(compiledQuery.sql);
    const parameters = compiledQuery.parameters as unknown[];
    if (stmt.reader) return Promise.resolve({ rows: stmt.all(parameters) as R[] });
    const { changes, lastInsertRowid } = stmt.run(parameters);
    return Promise.resolve({
      numAffectedRows: changes !== undefined && changes !== null ? BigInt(changes) : undefined,
      insertId: lastInsertRowid !== undefined && lastInsertRowid !== null ? BigInt(lastInsertRowid) : undefined,
      rows: [],
    });
  }

  async *streamQuery<R>(compiledQuery: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    if (!SelectQueryNode.is(compiledQuery.query)) throw new Error('Sqlite driver only supports streaming of select queries');
    // A statement being iterated is busy: streams get their own, uncached.
    const stmt = this.db.prepare(compiledQuery.sql);
    for (const row of stmt.iterate(compiledQuery.parameters as unknown[])) yield { rows: [row as R] };
  }

  private statement(sql: string): BetterSqlite3.Statement {
    let stmt = this.statements.get(sql);
    if (stmt) {
      // Most recently used last, so the first key is the one to evict.
      this.statements.delete(sql);
    } else {
      stmt = this.db.prepare(sql);
      if (this.statements.size >= this.maxStatements) this.statements.delete(this.statements.keys().next().value as string);
    }
    this.statements.set(sql, stmt);
    return stmt;
  }
}

class SqliteFileDriver implements Driver {
  constructor(
    private readonly inner: Driver,
    private readonly fileMutex: AsyncMutex | undefined,
    private readonly connection: CachingSqliteConnection,
  ) {}

  init(): Promise<void> {
    return this.inner.init();
  }

  /** Kysely's driver serialises the single connection; ours then serialises the file (see above). */
  async acquireConnection(): Promise<DatabaseConnection> {
    const inner = await this.inner.acquireConnection();
    if (this.fileMutex) {
      try {
        await this.fileMutex.lock();
      } catch (e) {
        await this.inner.releaseConnection(inner);
        throw e;
      }
    }
    return this.connection;
  }

  async beginTransaction(connection: DatabaseConnection, _settings: TransactionSettings): Promise<void> {
    // SQLite transactions are serializable; isolation/access settings have no SQLite syntax.
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.commitTransaction(connection);
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.rollbackTransaction(connection);
  }

  savepoint(connection: DatabaseConnection, name: string, compileQuery: QueryCompiler['compileQuery']): Promise<void> {
    return this.required('savepoint')(connection, name, compileQuery);
  }

  rollbackToSavepoint(connection: DatabaseConnection, name: string, compileQuery: QueryCompiler['compileQuery']): Promise<void> {
    return this.required('rollbackToSavepoint')(connection, name, compileQuery);
  }

  releaseSavepoint(connection: DatabaseConnection, name: string, compileQuery: QueryCompiler['compileQuery']): Promise<void> {
    return this.required('releaseSavepoint')(connection, name, compileQuery);
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    this.fileMutex?.unlock();
    // Kysely's SqliteDriver ignores the argument and unlocks its single connection.
    await this.inner.releaseConnection(connection);
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }

  private required(
    method: 'savepoint' | 'rollbackToSavepoint' | 'releaseSavepoint',
  ): (connection: DatabaseConnection, name: string, compileQuery: QueryCompiler['compileQuery']) => Promise<void> {
    const fn = this.inner[method];
    if (!fn) throw new Error(`the SQLite driver does not support ${method}`);
    return fn.bind(this.inner);
  }
}
