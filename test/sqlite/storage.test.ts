// SQLite's own storage behaviour: query plans, the one connection, the transaction that holds it, and the
// kept session answers' change counters. These pin SQLite's SQL and internals; whatever the database of
// the run (DATABASE_URL), they run on SQLite.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { MikroORM } from '@mikro-orm/core';
import { readDatabase } from '../../src/config';
import { openDatabase, type Database as AppDatabase } from '../../src/db/database';
import { DatabaseInUseError } from '../../src/db/instance-lock';
import { OTHER_WRITERS_BOUND_MS, SQLITE_DATA_VERSION_SQL, sqliteSessionCache } from '../../src/db/session-cache';
import { SESSION_WITH_USER_SQL } from '../../src/db/sessions.store';
import type { SqliteDatabase } from '../../src/db/sqlite';
import { CREDENTIALS_BY_EMAIL_SQL, FIRST_PAGE_SQL, NEXT_PAGE_SQL } from '../../src/db/users.store';
import { createLogger } from '../../src/shared/logger';
import { TestClock } from '../helpers/clock';
import { planOf, queriesDuring } from '../helpers/database';
import { signUp, startTestServer, type TestServer } from '../helpers/server';

const open = (path: string, lock = false) =>
  openDatabase(readDatabase({ DB_PATH: path }), createLogger('silent'), { migrate: true, lock, cacheSessions: true });

let db: AppDatabase;
let sql: SqliteDatabase;
beforeAll(async () => {
  db = await open(':memory:');
  sql = db.sql as SqliteDatabase;
});
afterAll(() => db.close());

let serial = 0;
function newUser(email: string) {
  serial += 1;
  return { publicId: `00000000-0000-4000-8000-${String(serial).padStart(12, '0')}`, name: 'Raw', email, passwordHash: 'x', role: 'USER' as const, createdAt: new Date(0) };
}
const emails = async () => (await sql.all<{ email: string }>('select email from users order by id')).map((row) => row.email);

describe('query plans', () => {
  const inServer = { app: { db: { get sql() { return sql; } } } };

  it('login finds the user by the unique index on email', async () => {
    expect(await planOf(inServer, CREDENTIALS_BY_EMAIL_SQL, ['x'])).toEqual(['SEARCH u USING INDEX users_email_unique (email=?)']);
  });

  it('the per-request read finds the session by its unique index and the user by primary key', async () => {
    expect(await planOf(inServer, SESSION_WITH_USER_SQL, ['x'])).toEqual([
      'SEARCH s USING INDEX sessions_public_id_unique (public_id=?)',
      'SEARCH u USING INTEGER PRIMARY KEY (rowid=?)',
    ]);
  });

  it('a users page after a cursor is an index seek on (created_at, public_id), with no sort', async () => {
    expect(await planOf(inServer, NEXT_PAGE_SQL, [0, 'x', 21])).toEqual([
      'SEARCH u USING INDEX users_created_at_public_id_index ((created_at,public_id)<(?,?))',
    ]);
  });

  it('the first users page walks the same index backwards, with no sort', async () => {
    expect(await planOf(inServer, FIRST_PAGE_SQL, [21])).toEqual(['SCAN u USING INDEX users_created_at_public_id_index']);
  });
});

describe('the one connection', () => {
  it('is the ORM pool of exactly one connection, so every write in the process goes through it', () => {
    const pool = ((db.orm as MikroORM).em.getConnection() as unknown as { getKnex(): { client: { pool: { min: number; max: number } } } }).getKnex().client.pool;
    expect([pool.min, pool.max]).toEqual([1, 1]);
  });

  it('runs a statement at once, before returning, while no transaction holds it', () => {
    let ran = false;
    const done = sql.exclusive(() => (ran = true));
    expect(ran).toBe(true);
    return done;
  });

  it('makes every other caller wait while a transaction is open, and what they write is not rolled back with it', async () => {
    let written: Promise<unknown> | undefined;
    let settled = false;
    let release!: () => void;
    const holding = new Promise<void>((resolve) => (release = resolve));
    const transaction = sql.transaction(async (tx) => {
      await tx.run('insert into users (public_id, name, email, password_hash, role, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?)', [
        newUser('').publicId, 'Tx', 'tx@example.com', 'x', 'USER', 0, 0,
      ]);
      written = db.users.insert(newUser('outside@example.com'));
      void written.then(() => (settled = true));
      await holding;
      throw new Error('roll back');
    });
    // The transaction holds the connection until it is released: the insert outside it has not run.
    await Promise.resolve();
    expect(settled).toBe(false);
    release();
    await expect(transaction).rejects.toThrow('roll back');
    await written;
    expect(await emails()).toContain('outside@example.com');
    expect(await emails()).not.toContain('tx@example.com');
  });

  it('rolls a transaction back as a whole when its work throws, and is usable afterwards', async () => {
    await expect(
      sql.transaction(async (tx) => {
        await tx.run('insert into users (public_id, name, email, password_hash, role, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?)', [
          newUser('').publicId, 'Half', 'half@example.com', 'x', 'USER', 0, 0,
        ]);
        throw new Error('second statement failed');
      }),
    ).rejects.toThrow('second statement failed');
    expect(await emails()).not.toContain('half@example.com');
    await db.users.insert(newUser('after@example.com'));
    expect(await emails()).toContain('after@example.com');
  });

  it('refuses a statement on a transaction that has ended', async () => {
    let leaked: Parameters<Parameters<SqliteDatabase['transaction']>[0]>[0] | undefined;
    await sql.transaction(async (tx) => void (leaked = tx));
    await expect(leaked!.one('select 1')).rejects.toThrow('has ended');
  });
});

describe('the kept session answers', () => {
  async function seedSessions(ids: string[]): Promise<void> {
    const user = await db.users.insert(newUser(`kept-${serial}@example.com`));
    for (const id of ids) {
      await sql.run(
        `insert into sessions (public_id, user_id, created_at, last_used_at, expires_at, absolute_expires_at, ip) values (?, ?, 0, 0, 1, 1, '::1')`,
        [id, user.id],
      );
    }
  }

  it('keep at most maxKept, dropping the oldest first', async () => {
    const ids = ['00000000-0000-4000-8000-a00000000001', '00000000-0000-4000-8000-a00000000002', '00000000-0000-4000-8000-a00000000003'];
    await seedSessions(ids);
    const clock = new TestClock();
    const lookup = sqliteSessionCache(sql, clock, 2);
    const inServer = { app: { db: { sql } } };
    for (const id of ids) expect((await lookup(id))?.session.publicId).toBe(id);
    expect(await queriesDuring(inServer, async () => {
      await lookup(ids[2]);
      await lookup(ids[1]);
    })).toEqual([]);
    // The first was dropped when the third came in.
    expect(await queriesDuring(inServer, () => lookup(ids[0]))).toEqual([SESSION_WITH_USER_SQL]);
  });

  describe('one data_version reading stands for OTHER_WRITERS_BOUND_MS', () => {
    const id = '00000000-0000-4000-8000-b00000000001';
    const inServer = { app: { db: { get sql() { return sql; } } } };
    const advanceMs = (clock: TestClock, ms: number) => clock.advance(ms / 1000);
    beforeAll(() => seedSessions([id]));

    it('is 1 ms', () => {
      expect(OTHER_WRITERS_BOUND_MS).toBe(1);
    });

    it('is reused within the bound: the kept answer costs no statement at all', async () => {
      const clock = new TestClock();
      const find = sqliteSessionCache(sql, clock);
      await find(id);
      advanceMs(clock, OTHER_WRITERS_BOUND_MS / 2);
      expect(await queriesDuring(inServer, () => find(id))).toEqual([]);
    });

    it('is taken again once the bound has passed', async () => {
      const clock = new TestClock();
      const find = sqliteSessionCache(sql, clock);
      await find(id);
      advanceMs(clock, OTHER_WRITERS_BOUND_MS);
      expect(await queriesDuring(inServer, () => find(id))).toEqual([SQLITE_DATA_VERSION_SQL]);
    });

    it('is taken again when the clock is set back, which proves nothing', async () => {
      const clock = new TestClock();
      const find = sqliteSessionCache(sql, clock);
      await find(id);
      clock.advance(-3600);
      expect(await queriesDuring(inServer, () => find(id))).toEqual([SQLITE_DATA_VERSION_SQL]);
    });

    it('does not hide this process\'s own writes, which count at once', async () => {
      const clock = new TestClock();
      const find = sqliteSessionCache(sql, clock);
      expect((await find(id))?.session.revokedAt).toBeNull();
      await sql.run('update sessions set revoked_at = 5 where public_id = ?', [id]);
      expect((await find(id))?.session.revokedAt).toEqual(new Date(5));
    });

    it('counts a write at once whichever way the seam runs it: one (returning), all, or inside a transaction', async () => {
      const clock = new TestClock();
      const find = sqliteSessionCache(sql, clock);
      await find(id);
      await sql.one('update sessions set revoked_at = 6 where public_id = ? returning id', [id]);
      expect((await find(id))?.session.revokedAt).toEqual(new Date(6));
      await sql.all('update sessions set revoked_at = 7 where public_id = ? returning id', [id]);
      expect((await find(id))?.session.revokedAt).toEqual(new Date(7));
      await sql.transaction((tx) => tx.run('update sessions set revoked_at = 8 where public_id = ?', [id]));
      expect((await find(id))?.session.revokedAt).toEqual(new Date(8));
    });

    it('counts a write that bypassed the seam on the same connection within the bound (total_changes in the reading)', async () => {
      const clock = new TestClock();
      const find = sqliteSessionCache(sql, clock);
      await find(id);
      await sql.exclusive((s) => s.connection.prepare('update sessions set revoked_at = 9 where public_id = ?').run(id));
      advanceMs(clock, OTHER_WRITERS_BOUND_MS);
      expect((await find(id))?.session.revokedAt).toEqual(new Date(9));
    });
  });

  it('the seam counts every statement that may write, and no read', async () => {
    const writes = () => sql.exclusive((s) => s.writes);
    const before = await writes();
    await sql.one('select count(*) from sessions');
    await sql.all('select id from users');
    expect(await writes()).toBe(before);
    await sql.run("update users set name = name where email = 'nobody'");
    await sql.one("update users set name = name where email = 'nobody' returning id");
    await sql.all("delete from sessions where public_id = 'nobody' returning id");
    expect(await writes()).toBe(before + 3);
  });

  it('are read again after a commit by another connection to the file (data_version)', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'auth-sqlite-')), 'app.db');
    const server = await startTestServer({ DB_PATH: path });
    const other = new Database(path);
    try {
      const user = await signUp(server);
      const me = () => server.graphql('{ me { name } }', {}, { token: user.token });
      await me();
      expect(await queriesDuring(server, me)).toEqual([]);
      other.prepare('update users set name = ? where public_id = ?').run('Renamed elsewhere', user.id);
      // Within the bound the kept answer may still stand; once it has passed, the change is seen.
      server.clock.advance(OTHER_WRITERS_BOUND_MS / 1000);
      const res = await me();
      expect(res.body.data).toEqual({ me: { name: 'Renamed elsewhere' } });
    } finally {
      other.close();
      await server.close();
    }
  });
});

describe('one server group per file', () => {
  let server: TestServer;
  let path: string;
  beforeAll(async () => {
    path = join(mkdtempSync(join(tmpdir(), 'auth-sqlite-')), 'app.db');
    server = await startTestServer({ DB_PATH: path });
  });
  afterAll(() => server.close());

  it('a second server on a file another server is using refuses to start, saying why', async () => {
    await expect(startTestServer({ DB_PATH: path })).rejects.toThrow(DatabaseInUseError);
    await expect(startTestServer({ DB_PATH: path })).rejects.toThrow(/Another server is already using the database .*WEB_CONCURRENCY.*DATABASE_URL/s);
  });

  it('the lock goes with the server: once it has stopped, another one starts', async () => {
    await server.close();
    server = await startTestServer({ DB_PATH: path });
    expect((await server.graphql('{ __typename }')).body.data).toEqual({ __typename: 'Query' });
  });
});
