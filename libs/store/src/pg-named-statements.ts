import { createHash } from 'node:crypto';
import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import type pg from 'pg';

/**
 * SQL texts that run as named prepared statements on PostgreSQL (the PreparedQuery shapes: fixed
 * text, run many times). PostgreSQL then parses each once per connection and, after a few runs,
 * reuses a generic plan; everything else stays an unnamed statement, parsed and planned per run.
 */
const statementNames = new Map<string, string>();
/** Shapes are finite (one per PreparedQuery, bounded PreparedInserts); this only guards a leak. */
const MAX_STATEMENTS = 1024;

/** Marks `sql` as a statement worth preparing by name. */
export function registerNamedStatement(sql: string): void {
  if (statementNames.has(sql) || statementNames.size >= MAX_STATEMENTS) return;
  statementNames.set(sql, `eg_${createHash('sha256').update(sql).digest('base64url').slice(0, 24)}`);
}

/** SQLSTATEs after which a named statement cannot be used as it is. */
const CACHED_PLAN_CHANGED = '0A000'; // "cached plan must not change result type" (a migration changed a table)
const STATEMENT_MISSING = '26000'; // the server lost it (a pooler that does not keep statements per client)
const STATEMENT_EXISTS = '42P05'; // another client's statement of that name on a pooled server connection

interface PgError {
  code?: string;
  message?: string;
}

/**
 * The pool Kysely sees: each pg client wrapped once, so that a registered SQL text runs as a
 * named statement. Safe with a schema change under a running pool (the statement is prepared
 * again under a new name) and with a pooler that drops statements (named statements are then
 * switched off for this pool, with a warning, and the statement runs unnamed).
 */
export class NamedStatementPool implements PostgresPool {
  private readonly wrapped = new WeakMap<pg.PoolClient, NamedStatementClient>();
  enabled = true;

  constructor(
    private readonly pool: pg.Pool,
    private readonly warn: (message: string) => void,
  ) {}

  async connect(): Promise<PostgresPoolClient> {
    const client = await this.pool.connect();
    let wrapper = this.wrapped.get(client);
    if (!wrapper) {
      wrapper = new NamedStatementClient(client, this);
      this.wrapped.set(client, wrapper);
    }
    return wrapper;
  }

  end(): Promise<void> {
    return this.pool.end();
  }

  disable(code: string): void {
    if (!this.enabled) return;
    this.enabled = false;
    this.warn(
      `PostgreSQL answered SQLSTATE ${code} to a named prepared statement: a connection pooler in front of the database does not keep them; they are off for this process (add ?prepare=false to the URL to say so)`,
    );
  }
}

class NamedStatementClient implements PostgresPoolClient {
  /** In a transaction an error aborts it, so a failed statement is not retried there. */
  private inTransaction = false;
  /** Per SQL text: how many times its statement had to be prepared again on this connection. */
  private readonly generations = new Map<string, number>();

  constructor(
    private readonly client: pg.PoolClient,
    private readonly pool: NamedStatementPool,
  ) {}

  query<R>(sql: string, parameters: readonly unknown[]): Promise<PostgresQueryResult<R>>;
  query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
  query<R>(sqlOrCursor: string | PostgresCursor<R>, parameters?: readonly unknown[]): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
    if (typeof sqlOrCursor !== 'string') return (this.client as unknown as PostgresPoolClient).query(sqlOrCursor);
    const sql = sqlOrCursor;
    const values = parameters as unknown[];
    const name = this.pool.enabled ? statementNames.get(sql) : undefined;
    if (name === undefined) {
      this.track(sql);
      return this.client.query(sql, values) as unknown as Promise<PostgresQueryResult<R>>;
    }
    return this.named<R>(sql, name, values, true);
  }

  release(): void {
    this.client.release();
  }

  private async named<R>(sql: string, name: string, values: unknown[], mayRetry: boolean): Promise<PostgresQueryResult<R>> {
    const generation = this.generations.get(sql) ?? 0;
    try {
      return (await this.client.query({ name: generation === 0 ? name : `${name}_${generation}`, text: sql, values })) as unknown as PostgresQueryResult<R>;
    } catch (e) {
      const { code, message } = e as PgError;
      if (code === CACHED_PLAN_CHANGED && /cached plan/.test(message ?? '')) this.generations.set(sql, generation + 1);
      else if (code === STATEMENT_MISSING || code === STATEMENT_EXISTS) this.pool.disable(code);
      else throw e;
      if (this.inTransaction || !mayRetry) throw e;
      // Outside a transaction nothing ran: run it once more, prepared anew or unnamed.
      return this.pool.enabled ? this.named<R>(sql, name, values, false) : (this.client.query(sql, values) as unknown as Promise<PostgresQueryResult<R>>);
    }
  }

  /** Transaction statements are never registered, so they all pass through here. */
  private track(sql: string): void {
    const head = sql.trimStart().slice(0, 17).toLowerCase();
    if (head.startsWith('begin') || head.startsWith('start transaction')) this.inTransaction = true;
    else if (head.startsWith('commit') || head.startsWith('end') || (head.startsWith('rollback') && !head.startsWith('rollback to')))
      this.inTransaction = false;
  }
}
