import {
  CompiledQuery,
  SqliteAdapter,
  SqliteDialect,
  type DatabaseConnection,
  type DialectAdapter,
  type Driver,
  type QueryCompiler,
  type SqliteDialectConfig,
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
 */
export class SqliteFileDialect extends SqliteDialect {
  constructor(
    config: SqliteDialectConfig,
    private readonly fileMutex: AsyncMutex | undefined,
  ) {
    super(config);
  }

  override createDriver(): Driver {
    return new SqliteFileDriver(super.createDriver(), this.fileMutex);
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

class SqliteFileDriver implements Driver {
  constructor(
    private readonly inner: Driver,
    private readonly fileMutex: AsyncMutex | undefined,
  ) {}

  init(): Promise<void> {
    return this.inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await this.inner.acquireConnection();
    if (!this.fileMutex) return connection;
    try {
      await this.fileMutex.lock();
    } catch (e) {
      await this.inner.releaseConnection(connection);
      throw e;
    }
    return connection;
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
