// PostgreSQL: statements through the ORM's own knex pool (MikroORM's PostgreSQL driver), which turns the
// stores' `?` placeholders into $1, $2 … . Connection trouble of any kind — refused, reset, a server
// shutting down, a statement past its timeout, a pool with no connection to give — becomes
// DatabaseUnavailableError, which the API answers with 503 and Retry-After; the pool drops the broken
// connections and makes new ones when the server is back.
import type { Knex } from '@mikro-orm/knex';
import { DatabaseUnavailableError, UniqueViolationError } from './errors';
import { QueryLog, type SqlDatabase, type SqlRunner } from './sql';

// SQLSTATE classes and codes that mean "not now": 08 connection exception, 53 insufficient resources (disk
// full, too many connections), 57014 statement timeout, 57P0x shutdown / cannot connect now, 40P01 deadlock,
// 40001 serialization failure, 55P03 lock not available.
const UNAVAILABLE_SQLSTATE = /^(08|53|57|40P01|40001|55P03)/;
const UNAVAILABLE_NODE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
const UNAVAILABLE_MESSAGE = /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Knex: Timeout acquiring a connection|Connection ended|not queryable/i;

export function mapPgError(error: unknown): unknown {
  if (error instanceof DatabaseUnavailableError || error instanceof UniqueViolationError) return error;
  const { code, constraint, name, message } = (error ?? {}) as { code?: unknown; constraint?: unknown; name?: unknown; message?: unknown };
  if (code === '23505') return new UniqueViolationError(typeof constraint === 'string' ? constraint : undefined);
  if (typeof code === 'string' && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_NODE.has(code))) return new DatabaseUnavailableError(code);
  if (name === 'KnexTimeoutError') return new DatabaseUnavailableError('POOL_TIMEOUT');
  if (typeof message === 'string' && UNAVAILABLE_MESSAGE.test(message)) return new DatabaseUnavailableError('CONNECTION_LOST');
  return error;
}

/** knex rejects undefined bindings: the stores mean SQL NULL by it. */
function bind(params: readonly unknown[]): unknown[] {
  return params.map((value) => (value === undefined ? null : value));
}

interface PgResult<Row> {
  rows: Row[];
  rowCount: number | null;
}

function runnerOn(knex: Knex | Knex.Transaction, log: QueryLog): SqlRunner {
  const raw = async <Row>(sql: string, params: readonly unknown[]): Promise<PgResult<Row>> => {
    const started = performance.now();
    try {
      return (await knex.raw(sql, bind(params) as Knex.RawBinding[])) as unknown as PgResult<Row>;
    } catch (error) {
      throw mapPgError(error);
    } finally {
      if (log.active) log.emit(sql, started);
    }
  };
  return {
    all: async <Row>(sql: string, params: readonly unknown[] = []) => (await raw<Row>(sql, params)).rows,
    one: async <Row>(sql: string, params: readonly unknown[] = []) => (await raw<Row>(sql, params)).rows[0],
    run: async (sql: string, params: readonly unknown[] = []) => (await raw(sql, params)).rowCount ?? 0,
  } as SqlRunner;
}

export class PostgresDatabase implements SqlDatabase {
  readonly dialect = 'postgresql' as const;
  private readonly log = new QueryLog();
  private readonly runner: SqlRunner;
  private readonly writeListeners: Array<() => void> = [];

  constructor(private readonly knex: Knex) {
    this.runner = runnerOn(knex, this.log);
  }

  /**
   * Called after each write of this process is committed (run() outside a transaction, or a transaction's
   * COMMIT): this process's own kept answers are dropped at once, before its next request, without waiting
   * for the announcement to come back (session-cache.ts).
   */
  onWrite(listener: () => void): void {
    this.writeListeners.push(listener);
  }

  private written(): void {
    for (const listener of this.writeListeners) listener();
  }

  observe(listener: (sql: string, durationMs: number) => void): () => void {
    return this.log.observe(listener);
  }

  all<Row>(sql: string, params?: readonly unknown[]): Promise<Row[]> {
    return this.runner.all<Row>(sql, params);
  }

  one<Row>(sql: string, params?: readonly unknown[]): Promise<Row | undefined> {
    return this.runner.one<Row>(sql, params);
  }

  async run(sql: string, params?: readonly unknown[]): Promise<number> {
    try {
      return await this.runner.run(sql, params);
    } finally {
      // Also after a failure: a statement that timed out on the client may still have committed.
      this.written();
    }
  }

  async ping(): Promise<void> {
    await this.one('select 1');
  }

  async transaction<T>(work: (tx: SqlRunner) => Promise<T>): Promise<T> {
    const started = performance.now();
    if (this.log.active) this.log.emit('begin', started);
    try {
      const result = await this.knex.transaction((trx) => work(runnerOn(trx, this.log)));
      if (this.log.active) this.log.emit('commit', started);
      return result;
    } catch (error) {
      if (this.log.active) this.log.emit('rollback', started);
      throw mapPgError(error);
    } finally {
      this.written();
    }
  }
}
