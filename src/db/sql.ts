// The one seam between the stores and a database: run a statement, run a transaction. Each dialect
// (sqlite.ts, postgresql.ts) implements it on the ORM's own connection; the stores write their SQL once,
// with `?` placeholders, and read rows through the converters below.

export type Dialect = 'sqlite' | 'postgresql';

export interface SqlRunner {
  all<Row>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  one<Row>(sql: string, params?: readonly unknown[]): Promise<Row | undefined>;
  /** Runs a write; resolves with the number of rows it changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
}

/** Every statement run, for the tests that pin a path's SQL, and for an operator's debug log. */
export type QueryListener = (sql: string, durationMs: number) => void;

export interface SqlDatabase extends SqlRunner {
  readonly dialect: Dialect;
  /**
   * BEGIN, `work`, COMMIT; ROLLBACK if it throws. On SQLite the write lock is taken at BEGIN (IMMEDIATE), so
   * what the work reads stays true until it commits; on PostgreSQL (READ COMMITTED) a rule that reads before
   * it writes takes a lock itself (see users.store.ts). Never nest, and never call the database itself
   * (only `tx`) from inside `work`.
   */
  transaction<T>(work: (tx: SqlRunner) => Promise<T>): Promise<T>;
  /** Resolves when the database answers a trivial statement. */
  ping(): Promise<void>;
  /** Listen to every statement; returns the function that stops listening. */
  observe(listener: QueryListener): () => void;
}

/** A date column as a Date: SQLite stores epoch milliseconds, PostgreSQL timestamptz text (the ORM's parser). */
export function toDate(value: unknown): Date {
  if (value instanceof Date) return value;
  if (typeof value === 'number') return new Date(value);
  if (typeof value === 'string') return new Date(value);
  if (typeof value === 'bigint') return new Date(Number(value));
  throw new TypeError(`Not a date column value: ${typeof value}`);
}

export function toDateOrNull(value: unknown): Date | null {
  return value === null || value === undefined ? null : toDate(value);
}

/** A boolean column: SQLite stores 0/1, PostgreSQL answers a boolean. */
export function toBoolean(value: unknown): boolean {
  return value === true || value === 1 || value === BigInt(1);
}

/** count(*) is a bigint on PostgreSQL (text in the driver), a number on SQLite. */
export function toCount(value: unknown): number {
  return Number(value ?? 0);
}

/** Notifies listeners, cheaply when there are none. */
export class QueryLog {
  private listeners: QueryListener[] = [];

  get active(): boolean {
    return this.listeners.length > 0;
  }

  observe(listener: QueryListener): () => void {
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((each) => each !== listener);
    };
  }

  emit(sql: string, started: number): void {
    const took = Math.round((performance.now() - started) * 100) / 100;
    for (const listener of this.listeners) listener(sql, took);
  }
}
