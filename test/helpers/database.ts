// The database a test server runs on. `npm test` runs the suite on SQLite (in memory, or a file under the
// temporary directory); `DATABASE_URL=postgres://… npm test` runs the same suite on PostgreSQL, each
// test database copied from a migrated template (global-setup.js) and dropped when done.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { readDatabase } from '../../src/config';
import { openDatabase, type Database } from '../../src/db/database';
import { SENDER_STATEMENTS } from '../../src/db/outbox.store';
import type { SqlDatabase } from '../../src/db/sql';
import { createLogger } from '../../src/shared/logger';

/** Set when the suite runs on PostgreSQL: the server to make test databases on. */
export const POSTGRES_URL = process.env.DATABASE_URL || undefined;
export const onPostgres = POSTGRES_URL !== undefined;
export const DIALECT = onPostgres ? 'postgresql' : 'sqlite';

export interface TestDatabase {
  /** The settings that point a server at it: DB_PATH or DATABASE_URL. */
  env: Record<string, string>;
  drop(): Promise<void>;
}

async function admin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A new, empty-of-rows, migrated PostgreSQL database. */
export async function createPostgresDatabase(): Promise<TestDatabase> {
  const run = process.env.TEST_DATABASE_RUN;
  if (!POSTGRES_URL || !run) throw new Error('The suite is not running on PostgreSQL (DATABASE_URL, and test/helpers/global-setup.js)');
  const name = `${run}_${randomBytes(5).toString('hex')}`;
  await admin((client) => client.query(`create database "${name}" template "${run}_template"`));
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    env: { DATABASE_URL: url.href },
    drop: () => admin((client) => client.query(`drop database if exists "${name}" with (force)`)).then(() => undefined),
  };
}

/**
 * A database that outlives one server: for tests that restart a server, or run two on one database.
 * SQLite: a file in a new temporary directory; PostgreSQL: a new database.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  if (onPostgres) return createPostgresDatabase();
  const path = join(mkdtempSync(join(tmpdir(), 'auth-db-')), 'app.db');
  return { env: { DB_PATH: path }, drop: async () => undefined };
}

/** Tests never touch a database that is not a test database. */
export function assertTestDatabase(env: Record<string, string>): void {
  const path = env.DB_PATH;
  if (env.DATABASE_URL) {
    const name = new URL(env.DATABASE_URL).pathname.slice(1);
    if (!process.env.TEST_DATABASE_RUN || !name.startsWith(process.env.TEST_DATABASE_RUN)) {
      throw new Error(`Refusing to run tests against the database ${name}: use createTestDatabase()`);
    }
    return;
  }
  if (path === undefined || path === ':memory:') return;
  if (!resolve(path).startsWith(resolve(tmpdir()))) {
    throw new Error(`Refusing to run tests against ${path}: use :memory: or a file under ${tmpdir()}`);
  }
}

/** What a test may read straight from a server's database: its SQL seam (src/db/sql.ts). */
interface WithDatabase {
  app: { db: { sql: SqlDatabase } };
}

export async function passwordHashOf(server: WithDatabase, email: string): Promise<string> {
  const row = await server.app.db.sql.one<{ password_hash: string }>('select password_hash from users where email = ?', [email]);
  if (!row) throw new Error('No such user');
  return row.password_hash;
}

export async function setPasswordHash(server: WithDatabase, email: string, hash: string): Promise<void> {
  await server.app.db.sql.run('update users set password_hash = ? where email = ?', [hash, email]);
}

/** Users in the database, or those with one email. */
export async function countUsers(server: WithDatabase, email?: string): Promise<number> {
  const row = email
    ? await server.app.db.sql.one<{ count: unknown }>('select count(*) as count from users where email = ?', [email])
    : await server.app.db.sql.one<{ count: unknown }>('select count(*) as count from users');
  return Number(row?.count ?? 0);
}

/** The SQL statements the server ran while `action` ran, in order; not the mail sender's, which runs on its own time. */
export async function queriesDuring(server: WithDatabase, action: () => Promise<unknown>): Promise<string[]> {
  const queries: string[] = [];
  const stop = server.app.db.sql.observe((sql) => {
    if (!SENDER_STATEMENTS.includes(sql)) queries.push(sql);
  });
  try {
    await action();
  } finally {
    stop();
  }
  return queries;
}

/** The database's plan for a statement, one line per step: EXPLAIN QUERY PLAN on SQLite, EXPLAIN on PostgreSQL. */
export async function planOf(server: WithDatabase, sql: string, params: readonly unknown[]): Promise<string[]> {
  const db = server.app.db.sql;
  if (db.dialect === 'sqlite') return (await db.all<{ detail: string }>(`explain query plan ${sql}`, params)).map((row) => row.detail);
  return (await db.all<{ 'QUERY PLAN': string }>(`explain ${sql}`, params)).map((row) => row['QUERY PLAN'].trim());
}

/** A migrated database opened through the storage layer, for tests that wire services by hand. */
export async function openTestDatabase(): Promise<{ db: Database; close(): Promise<void> }> {
  const own = onPostgres ? await createPostgresDatabase() : { env: { DB_PATH: ':memory:' }, drop: async () => undefined };
  const db = await openDatabase(readDatabase(own.env), createLogger('silent'), { migrate: true, lock: false, cacheSessions: true });
  return {
    db,
    close: async () => {
      await db.close();
      await own.drop();
    },
  };
}

/** A PostgreSQL database with nothing in it, not even the schema: for the tests of migrating. */
export async function createEmptyPostgresDatabase(): Promise<TestDatabase> {
  const run = process.env.TEST_DATABASE_RUN;
  if (!POSTGRES_URL || !run) throw new Error('The suite is not running on PostgreSQL (DATABASE_URL, and test/helpers/global-setup.js)');
  const name = `${run}_empty_${randomBytes(5).toString('hex')}`;
  await admin((client) => client.query(`create database "${name}"`));
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    env: { DATABASE_URL: url.href },
    drop: () => admin((client) => client.query(`drop database if exists "${name}" with (force)`)).then(() => undefined),
  };
}

/** A connection of the test's own to a test database: another writer, as an operator in psql would be. */
export async function connectTo(database: TestDatabase): Promise<Client> {
  const client = new Client({ connectionString: database.env.DATABASE_URL });
  await client.connect();
  return client;
}
