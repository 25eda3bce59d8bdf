// The ORM: one place that knows which database, which driver and which migrations. MikroORM owns the
// connection (one better-sqlite3 connection, or a pool of PostgreSQL connections), the schema's entities
// and the migrations; the stores run their SQL on that same connection through sqlite.ts / postgresql.ts.
import { dirname } from 'node:path';
import { MikroORM } from '@mikro-orm/core';
import { BetterSqliteDriver } from '@mikro-orm/better-sqlite';
import type { Knex } from '@mikro-orm/knex';
import { Migrator } from '@mikro-orm/migrations';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import type { DatabaseSettings } from '../config';
import { ensurePrivateDir, makePrivateFile, restrictIfExists } from '../shared/private-files';
import { RefreshToken, Session } from './entities/session.entity';
import { User } from './entities/user.entity';
import { RecoveryCode, TotpFactor } from './entities/mfa.entity';
import { RecoveryToken } from './entities/recovery.entity';
import { postgresqlMigrations } from './migrations/postgresql';
import { sqliteMigrations } from './migrations/sqlite';
import { PostgresDatabase } from './postgresql';
import type { SqlDatabase } from './sql';
import { SqliteDatabase, type SqliteConnection } from './sqlite';

// WAL lets readers proceed while one writer writes (and other processes read); busy_timeout waits for a
// lock instead of failing at once.
const SQLITE_PRAGMAS = ['journal_mode = WAL', 'busy_timeout = 5000', 'foreign_keys = ON'];

export interface OpenedOrm {
  orm: MikroORM;
  sql: SqlDatabase;
}

function common(log: (message: string) => void) {
  return {
    entities: [User, Session, RefreshToken, TotpFactor, RecoveryCode, RecoveryToken] as Array<
      typeof User | typeof Session | typeof RefreshToken | typeof TotpFactor | typeof RecoveryCode | typeof RecoveryToken
    >,
    extensions: [Migrator],
    // Nothing may use the global EntityManager: the stores run SQL, and migrations run on their own.
    allowGlobalContext: false,
    discovery: { disableDynamicFileAccess: true } as const,
    debug: false,
    colors: false,
    logger: log,
  };
}

/** Open the database (migrations are db/migrate.ts's job). */
export async function initORM(settings: DatabaseSettings, log: (message: string) => void): Promise<OpenedOrm> {
  return settings.dialect === 'postgresql' ? initPostgres(settings, log) : initSqlite(settings.path, log);
}

async function initSqlite(path: string, log: (message: string) => void): Promise<OpenedOrm> {
  if (path !== ':memory:') {
    ensurePrivateDir(dirname(path));
    // SQLite gives a new -wal or -shm file the database file's mode: make that 0600 before it opens.
    makePrivateFile(path);
    for (const suffix of ['-wal', '-shm']) restrictIfExists(path + suffix);
  }
  const holder: { current?: SqliteConnection } = {};
  const orm = await MikroORM.init<BetterSqliteDriver>({
    ...common(log),
    driver: BetterSqliteDriver,
    dbName: path,
    migrations: { migrationsList: sqliteMigrations, transactional: true, snapshot: false },
    // One connection, always: every write of this process goes through it, which the kept session answers
    // rely on (session-cache.ts); SQLite allows one writer at a time anyway.
    pool: {
      min: 1,
      max: 1,
      afterCreate: (connection: SqliteConnection, done: (error: Error | null, connection: SqliteConnection) => void) => {
        try {
          for (const pragma of SQLITE_PRAGMAS) connection.pragma(pragma);
          holder.current = connection;
          done(null, connection);
        } catch (error) {
          done(error as Error, connection);
        }
      },
    },
  });
  const connection = () => {
    if (!holder.current) throw new Error('The SQLite connection is not open');
    return holder.current;
  };
  // The pool opens its connection lazily: open it now, so that the stores can use it synchronously.
  await orm.em.getConnection().execute('select 1');
  return { orm, sql: new SqliteDatabase(connection) };
}

async function initPostgres(settings: Extract<DatabaseSettings, { dialect: 'postgresql' }>, log: (message: string) => void): Promise<OpenedOrm> {
  const timeoutMs = settings.timeoutSeconds * 1000;
  const orm = await MikroORM.init<PostgreSqlDriver>({
    ...common(log),
    driver: PostgreSqlDriver,
    host: settings.host,
    port: settings.port,
    user: settings.user,
    password: settings.password,
    dbName: settings.database,
    migrations: { migrationsList: postgresqlMigrations, transactional: true, snapshot: false },
    pool: { min: 0, max: settings.poolMax, acquireTimeoutMillis: timeoutMs, createTimeoutMillis: timeoutMs, idleTimeoutMillis: 30_000 },
    driverOptions: {
      connection: {
        // Bound every wait: a statement that cannot finish, a server that does not answer.
        statement_timeout: timeoutMs,
        lock_timeout: timeoutMs,
        connectionTimeoutMillis: timeoutMs,
        keepAlive: true,
        application_name: settings.applicationName,
        ssl: settings.ssl,
      },
    },
  });
  const knex = (orm.em.getConnection() as unknown as { getKnex(): Knex }).getKnex();
  return { orm, sql: new PostgresDatabase(knex) };
}
