import type { Compilable, CompiledQuery, Kysely, QueryResult } from 'kysely';
import { registerNamedStatement } from './pg-named-statements.js';

const SENTINEL = '\u0000enrollgate-prepared-';

/**
 * A query built and compiled by Kysely once, then run with new parameter values. Building the
 * operation tree and compiling it costs about as much as running a small statement on SQLite, and
 * the hottest statements (by primary key) always have the same shape.
 *
 * `build` receives sentinel strings in place of its arguments; every argument must reach the
 * compiled parameters unchanged (scalars in `where`, `set` and `values`; never inside an `in`
 * list, whose length is part of the shape). Other parameters of the built query (constants) are
 * kept as they were. The SQL text is the one Kysely produced, so dialects and statement caches
 * see exactly what the builder would have sent.
 */
export class PreparedQuery<Args extends readonly unknown[], R> {
  private compiled: CompiledQuery<R> | undefined;
  /** Per compiled parameter: the index of the argument it takes, or a constant. */
  private slots: readonly (number | { constant: unknown })[] = [];

  /** `build` runs on first use (so a repository may declare its queries before its constructor body). */
  constructor(
    private readonly arity: Args['length'],
    private readonly build: (...args: Args) => Compilable<R>,
  ) {}

  private compile(): CompiledQuery<R> {
    const sentinels = Array.from({ length: this.arity }, (_, i) => `${SENTINEL}${i}`) as unknown as Args;
    const compiled = this.build(...sentinels).compile();
    const seen = new Set<number>();
    this.slots = compiled.parameters.map((p) => {
      if (typeof p === 'string' && p.startsWith(SENTINEL)) {
        const index = Number(p.slice(SENTINEL.length));
        seen.add(index);
        return index;
      }
      if (typeof p === 'string' && p.includes(SENTINEL)) throw new Error('a prepared argument was transformed by the query builder');
      return { constant: p };
    });
    if (seen.size !== this.arity) throw new Error(`prepared query uses ${seen.size} of its ${this.arity} arguments as parameters`);
    // On PostgreSQL the text also becomes a named prepared statement (parsed once per connection).
    registerNamedStatement(compiled.sql);
    this.compiled = compiled;
    return compiled;
  }

  /** Runs on `db` (the database or a transaction). */
  run(db: Pick<Kysely<never>, 'executeQuery'>, ...args: Args): Promise<QueryResult<R>> {
    const compiled = this.compiled ?? this.compile();
    const parameters = this.slots.map((s) => (typeof s === 'number' ? args[s] : s.constant));
    return db.executeQuery<R>({ ...compiled, parameters });
  }

  /** Runs on `db` (the database or a transaction) and returns the rows. */
  async execute(db: Pick<Kysely<never>, 'executeQuery'>, ...args: Args): Promise<R[]> {
    return (await this.run(db, ...args)).rows;
  }

  /** The first row, if any. */
  async first(db: Pick<Kysely<never>, 'executeQuery'>, ...args: Args): Promise<R | undefined> {
    return (await this.execute(db, ...args))[0];
  }
}

type AnyTables = Record<string, Record<string, unknown>>;

/**
 * `INSERT INTO table VALUES …` of rows sharing their columns, compiled once per (table, columns,
 * row count) and then run with each call's values. `builder` only compiles (it is never executed).
 */
export class PreparedInserts {
  private readonly queries = new Map<string, PreparedQuery<unknown[], unknown>>();

  constructor(
    private readonly builder: Kysely<never>,
    private readonly maxShapes = 64,
  ) {}

  async execute(db: Pick<Kysely<never>, 'executeQuery'>, table: string, records: readonly object[]): Promise<void> {
    if (records.length === 0) return;
    const rows = records as readonly Record<string, unknown>[];
    const columns = Object.keys(rows[0] as Record<string, unknown>);
    const shape = `${table}|${rows.length}|${columns.join(',')}`;
    let query = this.queries.get(shape);
    if (!query) {
      const width = columns.length;
      const count = rows.length;
      query = new PreparedQuery(width * count, (...args: unknown[]) =>
        (this.builder as unknown as Kysely<AnyTables>)
          .insertInto(table)
          .values(Array.from({ length: count }, (_, r) => Object.fromEntries(columns.map((c, i) => [c, args[r * width + i]])))),
      );
      if (this.queries.size < this.maxShapes) this.queries.set(shape, query);
    }
    const args: unknown[] = [];
    for (const row of rows) for (const c of columns) args.push(row[c]);
    await query.run(db, ...args);
  }
}
