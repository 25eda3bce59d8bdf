// The ORM: one place that knows which database and which migrations.
import { MikroORM } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import { SqliteDriver } from '@mikro-orm/sqlite';
import { RefreshToken, Session } from '../sessions/session.entity';
import { User } from '../users/user.entity';
import { migrationsList } from './migrations';

interface SqliteConnection {
  exec(sql: string, callback: (error: Error | null) => void): void;
}

/**
 * Open the database and bring its schema up to date with the committed migrations
 * (unless `migrate` is false: cluster workers, whose primary has migrated before forking them).
 */
export async function initORM(dbPath: string, log: (message: string) => void, migrate = true): Promise<MikroORM<SqliteDriver>> {
  const orm = await MikroORM.init<SqliteDriver>({
    driver: SqliteDriver,
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
    pool: {
      // WAL lets readers proceed while one writer writes; busy_timeout waits for a lock instead of failing at once.
      afterCreate: (connection: SqliteConnection, done: (error: Error | null, connection: SqliteConnection) => void) => {
        connection.exec('PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;', (error) =>
          done(error, connection),
        );
      },
    },
  });
  if (migrate) await orm.getMigrator().up();
  return orm;
}
