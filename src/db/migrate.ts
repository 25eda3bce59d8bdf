// Bringing the schema up to date. On PostgreSQL several instances may start at the same moment: each
// takes one session-level advisory lock around the whole run, so the first applies what is pending and
// the others, once they get the lock, find nothing left to do. On SQLite only one server group can have
// the file open for writing at all (instance-lock.ts).
import type { MikroORM } from '@mikro-orm/core';
import type { Knex } from '@mikro-orm/knex';

/** An arbitrary, fixed key: "auth-api migrations". */
const MIGRATION_LOCK_KEY = 720_431_559;

export class SchemaBehindError extends Error {
  override readonly name = 'SchemaBehindError';
  constructor(readonly pending: string[]) {
    super(
      `The database schema is behind this version: ${pending.length} migration(s) not applied (${pending.join(', ')}). ` +
        'Run `npm run migrate` first, or start with MIGRATE_ON_START=true.',
    );
  }
}

/** Apply every pending migration; resolves with the names applied (none when another instance got there first). */
export async function migrate(orm: MikroORM): Promise<string[]> {
  if (orm.config.getDriver().constructor.name !== 'PostgreSqlDriver') {
    return (await orm.getMigrator().up()).map((each) => each.name);
  }
  const knex = (orm.em.getConnection() as unknown as { getKnex(): Knex }).getKnex();
  // A connection of its own holds the lock: the migrator takes others from the pool.
  const client = knex.client as { acquireConnection(): Promise<unknown>; releaseConnection(connection: unknown): Promise<unknown> };
  const connection = (await client.acquireConnection()) as { query(sql: string, params?: unknown[]): Promise<unknown> };
  try {
    // Wait as long as the other instance's migrations take (the configured timeouts would cut that short);
    // should it die, its session ends and the lock is released.
    await connection.query('set statement_timeout = 0; set lock_timeout = 0');
    await connection.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      return (await orm.getMigrator().up()).map((each) => each.name);
    } finally {
      await connection.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
      await connection.query('reset statement_timeout; reset lock_timeout');
    }
  } finally {
    await client.releaseConnection(connection);
  }
}

/** Refuse to serve on a schema older than the code: with MIGRATE_ON_START=false, someone must run the migrations. */
export async function assertSchemaCurrent(orm: MikroORM): Promise<void> {
  const pending = await orm.getMigrator().getPendingMigrations();
  if (pending.length > 0) throw new SchemaBehindError(pending.map((each) => each.name));
}
