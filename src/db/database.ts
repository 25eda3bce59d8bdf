// The storage layer as the rest of the app sees it: open the database (lock, connect, migrate), and the
// stores on it. Nothing above src/db/ sees SQL, a driver, or which database it is, except to report it.
import type { MikroORM } from '@mikro-orm/core';
import type { DatabaseSettings } from '../config';
import { systemClock, type Clock } from '../shared/clock';
import type { Logger } from '../shared/logger';
import { listenForChanges, type ChangeFeed } from './change-feed';
import { lockDatabase, type InstanceLock } from './instance-lock';
import { assertSchemaCurrent, migrate } from './migrate';
import { initORM } from './orm';
import { notifiedSessionCache, sqliteSessionCache } from './session-cache';
import { createSessionStore, readSessionWithUser, type SessionStore } from './sessions.store';
import type { Dialect, SqlDatabase } from './sql';
import { PostgresDatabase } from './postgresql';
import { SqliteDatabase } from './sqlite';
import { createUserStore, type UserStore } from './users.store';
import { createMfaStore, type MfaStore } from './mfa.store';
import { createRecoveryStore, type RecoveryStore } from './recovery.store';
import { createOutboxStore, type OutboxStore } from './outbox.store';

export interface DatabaseHealth {
  ok: boolean;
  dialect: Dialect;
  /** PostgreSQL: whether changes made by other instances are being heard (kept session answers are on). */
  changeFeed?: 'live' | 'down';
}

export interface Database {
  readonly dialect: Dialect;
  readonly users: UserStore;
  readonly sessions: SessionStore;
  /** TOTP factors and recovery codes. */
  readonly mfa: MfaStore;
  /** The links sent by email (password reset, email verification, email change). */
  readonly recovery: RecoveryStore;
  /** The mail outbox: what the background sender (mail/) claims and marks. */
  readonly outbox: OutboxStore;
  /** The SQL seam itself: for the command-line tools and the tests, never for services. */
  readonly sql: SqlDatabase;
  readonly orm: MikroORM;
  health(): Promise<DatabaseHealth>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Apply pending migrations (true), or refuse to start while any is pending (false). */
  migrate: boolean;
  /** SQLite: take the one-server-group lock (a cluster worker does not: its primary holds it). */
  lock: boolean;
  /** Keep per-request session answers (session-cache.ts). */
  cacheSessions: boolean;
  /** What kept SQLite answers measure their bound on other writers with (default: the system clock). */
  clock?: Clock;
}

export async function openDatabase(settings: DatabaseSettings, logger: Logger, options: OpenOptions): Promise<Database> {
  const lock: InstanceLock | undefined = settings.dialect === 'sqlite' && options.lock ? lockDatabase(settings.path) : undefined;
  let opened;
  try {
    opened = await initORM(settings, (message) => logger.debug({ component: 'orm' }, message));
  } catch (error) {
    lock?.release();
    throw error;
  }
  const { orm, sql } = opened;
  let feed: ChangeFeed | undefined;
  try {
    if (options.migrate) {
      const applied = await migrate(orm);
      if (applied.length > 0) logger.info({ migrations: applied }, 'migrations applied');
    } else {
      await assertSchemaCurrent(orm);
    }

    let findWithUser = readSessionWithUser(sql);
    if (options.cacheSessions) {
      if (sql instanceof SqliteDatabase) {
        findWithUser = sqliteSessionCache(sql, options.clock ?? systemClock);
      } else if (sql instanceof PostgresDatabase && settings.dialect === 'postgresql') {
        const client = {
          host: settings.host,
          port: settings.port,
          user: settings.user,
          password: settings.password,
          database: settings.database,
          ssl: settings.ssl,
          connectionTimeoutMillis: settings.timeoutSeconds * 1000,
          keepAlive: true,
          application_name: `${settings.applicationName} change-feed`,
        };
        feed = listenForChanges(client, (level, message, fields) => logger[level]({ component: 'change-feed', ...fields }, message));
        findWithUser = notifiedSessionCache(findWithUser, feed, sql);
        // Serve with the feed already heard when it can be: a first attempt that fails is retried in the background.
        await feed.started;
      }
    }

    return {
      dialect: sql.dialect,
      users: createUserStore(sql),
      sessions: createSessionStore(sql, findWithUser),
      mfa: createMfaStore(sql),
      recovery: createRecoveryStore(sql),
      outbox: createOutboxStore(sql),
      sql,
      orm,
      async health() {
        try {
          await sql.ping();
        } catch {
          return { ok: false, dialect: sql.dialect, ...(feed ? { changeFeed: 'down' as const } : {}) };
        }
        return { ok: true, dialect: sql.dialect, ...(feed ? { changeFeed: feed.live() ? ('live' as const) : ('down' as const) } : {}) };
      },
      async close() {
        await feed?.close();
        await orm.close();
        lock?.release();
      },
    };
  } catch (error) {
    await feed?.close();
    await orm.close();
    lock?.release();
    throw error;
  }
}
