// SQLite: statements prepared once and run synchronously on the ORM's one better-sqlite3 connection.
//
// A statement outside a transaction runs at once: better-sqlite3 is synchronous, so nothing else runs on
// the connection until it returns. A transaction's work is asynchronous (it awaits between statements),
// so while one is open every other caller waits for it to end instead of writing into it; the work
// itself reaches the connection only through its `tx`.
import { DatabaseUnavailableError, UniqueViolationError } from './errors';
import { QueryLog, type SqlDatabase, type SqlRunner } from './sql';

export interface SqliteStatement {
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): { changes: number };
  /** False for a statement that may write (sqlite3_stmt_readonly): INSERT, UPDATE, DELETE, DDL. */
  readonly readonly: boolean;
}

/** The part of a better-sqlite3 connection used here. */
export interface SqliteConnection {
  pragma(sql: string): unknown;
  prepare(sql: string): SqliteStatement;
  /** True between BEGIN and COMMIT/ROLLBACK. */
  readonly inTransaction: boolean;
}

/** Synchronous access, for SQLite-only code that must run two statements with nothing in between (session-cache.ts). */
export interface SyncSql {
  get<Row>(sql: string, params?: readonly unknown[]): Row | undefined;
  all<Row>(sql: string, params?: readonly unknown[]): Row[];
  run(sql: string, params?: readonly unknown[]): number;
  /** Identifies the connection: prepared statements and kept answers belong to one. */
  readonly connection: SqliteConnection;
  /**
   * Statements that may write run through this seam on this connection: moves as each one starts, whether
   * it changes a row, fails or is rolled back (a kept answer is dropped for nothing, never kept across a write).
   */
  readonly writes: number;
}

// Driver codes that mean "not now" rather than "wrong": locked past busy_timeout, disk full, I/O trouble.
const UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|FULL|IOERR|CANTOPEN|READONLY|PROTOCOL|NOMEM)/;

function mapError(error: unknown): unknown {
  const code = (error as { code?: unknown })?.code;
  if (typeof code !== 'string') return error;
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    // "UNIQUE constraint failed: users.email": the table and column, no values.
    const constraint = /failed: (.+)$/.exec((error as Error).message)?.[1];
    return new UniqueViolationError(constraint);
  }
  if (UNAVAILABLE.test(code)) return new DatabaseUnavailableError(code);
  return error;
}

/** Dates as epoch milliseconds and booleans as 0/1: how this schema has always stored them. */
function bind(params: readonly unknown[]): unknown[] {
  return params.map((value) => (value instanceof Date ? value.getTime() : typeof value === 'boolean' ? Number(value) : value));
}

class ConnectionSql implements SyncSql {
  private readonly statements = new Map<string, SqliteStatement>();
  writes = 0;

  constructor(
    readonly connection: SqliteConnection,
    private readonly log: QueryLog,
  ) {}

  get<Row>(sql: string, params: readonly unknown[] = []): Row | undefined {
    return this.timed(sql, () => this.statement(sql).get(...bind(params)) as Row | undefined);
  }

  all<Row>(sql: string, params: readonly unknown[] = []): Row[] {
    return this.timed(sql, () => this.statement(sql).all(...bind(params)) as Row[]);
  }

  run(sql: string, params: readonly unknown[] = []): number {
    return this.timed(sql, () => this.statement(sql).run(...bind(params)).changes);
  }

  private timed<T>(sql: string, work: () => T): T {
    if (!this.log.active) return work();
    const started = performance.now();
    const result = work();
    this.log.emit(sql, started);
    return result;
  }

  /** Every statement is taken from here just before it runs, so this is where a write is counted. */
  private statement(sql: string): SqliteStatement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.connection.prepare(sql);
      this.statements.set(sql, statement);
    }
    if (!statement.readonly) this.writes += 1;
    return statement;
  }
}

export class SqliteDatabase implements SqlDatabase {
  readonly dialect = 'sqlite' as const;
  private readonly log = new QueryLog();
  // One ConnectionSql (and its prepared statements) per connection, should the pool ever replace it.
  private readonly sqls = new WeakMap<SqliteConnection, ConnectionSql>();
  /** Settles when the open transaction ends; undefined while none is open. */
  private held: Promise<void> | undefined;

  constructor(private readonly connection: () => SqliteConnection) {}

  observe(listener: (sql: string, durationMs: number) => void): () => void {
    return this.log.observe(listener);
  }

  /** Run synchronous work on the connection: now, or once the open transaction has ended. */
  async exclusive<T>(work: (sql: SyncSql) => T): Promise<T> {
    while (this.held) await this.held;
    try {
      return work(this.sync());
    } catch (error) {
      throw mapError(error);
    }
  }

  all<Row>(sql: string, params?: readonly unknown[]): Promise<Row[]> {
    return this.exclusive((s) => s.all<Row>(sql, params));
  }

  one<Row>(sql: string, params?: readonly unknown[]): Promise<Row | undefined> {
    return this.exclusive((s) => s.get<Row>(sql, params));
  }

  run(sql: string, params?: readonly unknown[]): Promise<number> {
    return this.exclusive((s) => s.run(sql, params));
  }

  async ping(): Promise<void> {
    await this.one('select 1');
  }

  async transaction<T>(work: (tx: SqlRunner) => Promise<T>): Promise<T> {
    while (this.held) await this.held;
    let release!: () => void;
    this.held = new Promise((resolve) => (release = resolve));
    const sql = this.sync();
    let open = true;
    const guarded =
      <A extends unknown[], R>(fn: (...args: A) => R) =>
      async (...args: A): Promise<R> => {
        if (!open) throw new Error('This transaction has ended');
        try {
          return fn(...args);
        } catch (error) {
          throw mapError(error);
        }
      };
    const tx: SqlRunner = {
      all: guarded(<Row>(query: string, params?: readonly unknown[]) => sql.all<Row>(query, params)),
      one: guarded(<Row>(query: string, params?: readonly unknown[]) => sql.get<Row>(query, params)),
      run: guarded((query: string, params?: readonly unknown[]) => sql.run(query, params)),
    } as SqlRunner;
    try {
      sql.run('begin immediate');
      const result = await work(tx);
      sql.run('commit');
      return result;
    } catch (error) {
      if (sql.connection.inTransaction) {
        try {
          sql.run('rollback');
        } catch {
          // SQLite rolls back by itself when it cannot (a full disk, an I/O error): the first error is the one to report.
        }
      }
      throw mapError(error);
    } finally {
      open = false;
      this.held = undefined;
      release();
    }
  }

  private sync(): ConnectionSql {
    const connection = this.connection();
    let sql = this.sqls.get(connection);
    if (!sql) {
      sql = new ConnectionSql(connection, this.log);
      this.sqls.set(connection, sql);
    }
    return sql;
  }
}
