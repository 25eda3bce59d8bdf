// The ORM: one place that knows which database and which migrations.
import { dirname } from 'node:path';
import { MikroORM } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import { BetterSqliteDriver } from '@mikro-orm/better-sqlite';
import { RefreshToken, Session } from '../sessions/session.entity';
import { User } from '../users/user.entity';
import { ensurePrivateDir, makePrivateFile, restrictIfExists } from '../private-files';
import { migrationsList } from './migrations';

// WAL lets readers proceed while one writer writes (and other processes read); busy_timeout waits for a
// lock instead of failing at once.
const PRAGMAS = ['journal_mode = WAL', 'busy_timeout = 5000', 'foreign_keys = ON'];

export interface SqliteStatement {
  get(...params: unknown[]): unknown;
  run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint };
}

/** The part of a better-sqlite3 connection used here. */
export interface SqliteConnection {
  pragma(sql: string): unknown;
  prepare(sql: string): SqliteStatement;
  /** True between BEGIN and COMMIT/ROLLBACK. */
  readonly inTransaction: boolean;
}

// The pool holds one connection; this remembers it (and its replacement, should the pool ever make one).
const connections = new WeakMap<MikroORM, { current?: SqliteConnection }>();

/** The ORM's SQLite connection, for raw SQL that must not wait for the pool (see db/raw.ts). */
export function connectionOf(orm: MikroORM): SqliteConnection | undefined {
  return connections.get(orm)?.current;
}

/**
 * Open the database and bring its schema up to date with the committed migrations
 * (unless `migrate` is false: cluster workers, whose primary has migrated before forking them).
 */
export async function initORM(dbPath: string, log: (message: string) => void, migrate = true): Promise<MikroORM<BetterSqliteDriver>> {
  if (dbPath !== ':memory:') {
    ensurePrivateDir(dirname(dbPath));
    // SQLite gives a new -wal or -shm file the database file's mode: make that 0600 before it opens.
    makePrivateFile(dbPath);
    for (const suffix of ['-wal', '-shm']) restrictIfExists(dbPath + suffix);
  }
  const holder: { current?: SqliteConnection } = {};
  const orm = await MikroORM.init<BetterSqliteDriver>({
    driver: BetterSqliteDriver,
    dbName: dbPath,
    entities: [User, Session, RefreshToken],
    extensions: [Migrator],
    migrations: { migrationsList, transactional: true, snapshot: false },
    // Resolvers must use the per-request fork from the context, never the global EntityManager.
    allowGlobalContext: false,
    discovery: { disableDynamicFileAccess: true },
    debug: false,
    colors: false,
    logger: log,
    // One connection, always: every write in the process then goes through it, which the kept
    // session answers rely on (sessions/session-lookup.ts); SQLite allows one writer anyway.
    pool: {
      min: 1,
      max: 1,
      afterCreate: (connection: SqliteConnection, done: (error: Error | null, connection: SqliteConnection) => void) => {
        try {
          for (const pragma of PRAGMAS) connection.pragma(pragma);
          holder.current = connection;
          done(null, connection);
        } catch (error) {
          done(error as Error, connection);
        }
      },
    },
  });
  connections.set(orm, holder);
  if (migrate) await orm.getMigrator().up();
  return orm;
}
