// Raw SQL on the ORM's own SQLite connection, for the paths every request or every login takes (the
// session read, the login read, opening a session): statements prepared once, no query builder, no
// entities, no unit of work.
//
// When it runs: at once, synchronously, while the connection is outside a transaction. Then everything
// written on it is committed, and the work here is atomic: no other JavaScript runs until it returns.
// While an ORM transaction is open, it takes the connection from the ORM's pool (of one) instead, which
// waits for the commit or rollback, so it never reads uncommitted writes or writes into someone else's
// transaction. (MikroORM's own `loadFile` takes the connection from the pool the same way.) So never call
// it from inside an ORM transaction: it would wait for that transaction to end.
//
// Each statement goes to the ORM's query log like the ORM's own (`debug: ['query']`), so tests and
// operators see one log of the SQL run.
import type { MikroORM } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/knex';
import { connectionOf, type SqliteConnection, type SqliteStatement } from './orm';

export interface Sql {
  get<Row>(sql: string, ...params: unknown[]): Row | undefined;
  run(sql: string, ...params: unknown[]): { changes: number; lastInsertRowid: number | bigint };
  /** BEGIN, `work`, COMMIT; ROLLBACK if it throws. */
  transaction<T>(work: () => T): T;
}

/** Run `work` on the connection: now if it is outside a transaction, else once the transaction has ended. */
export type RawDb = <T>(work: (sql: Sql) => T) => Promise<T>;

interface Pool {
  acquireConnection(): Promise<SqliteConnection>;
  releaseConnection(connection: SqliteConnection): Promise<unknown>;
}

export function createRawDb(orm: MikroORM): RawDb {
  const pool = (orm.em as SqlEntityManager).getConnection().getKnex().client as Pool;
  const logger = orm.config.getLogger();
  // One Sql (and its prepared statements) per connection: the pool may replace its connection after an error.
  const sqls = new WeakMap<SqliteConnection, Sql>();
  const sqlOf = (connection: SqliteConnection): Sql => {
    let sql = sqls.get(connection);
    if (!sql) {
      sql = new ConnectionSql(connection, (query, took) => {
        if (logger.isEnabled('query')) logger.logQuery({ query, took });
      });
      sqls.set(connection, sql);
    }
    return sql;
  };

  return async (work) => {
    const idle = connectionOf(orm);
    if (idle && !idle.inTransaction) return work(sqlOf(idle));
    const connection = await pool.acquireConnection();
    try {
      return work(sqlOf(connection));
    } finally {
      await pool.releaseConnection(connection);
    }
  };
}

class ConnectionSql implements Sql {
  private readonly statements = new Map<string, SqliteStatement>();

  constructor(
    private readonly connection: SqliteConnection,
    private readonly log: (query: string, took: number) => void,
  ) {}

  get<Row>(sql: string, ...params: unknown[]): Row | undefined {
    const started = performance.now();
    const row = this.statement(sql).get(...params) as Row | undefined;
    this.log(sql, round(performance.now() - started));
    return row;
  }

  run(sql: string, ...params: unknown[]): { changes: number; lastInsertRowid: number | bigint } {
    const started = performance.now();
    const result = this.statement(sql).run(...params);
    this.log(sql, round(performance.now() - started));
    return result;
  }

  transaction<T>(work: () => T): T {
    if (this.connection.inTransaction) throw new Error('Raw SQL transactions do not nest');
    this.run('begin');
    try {
      const result = work();
      this.run('commit');
      return result;
    } catch (error) {
      if (this.connection.inTransaction) this.run('rollback');
      throw error;
    }
  }

  private statement(sql: string): SqliteStatement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.connection.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}

const round = (ms: number) => Math.round(ms * 100) / 100;
