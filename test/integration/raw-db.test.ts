// Raw SQL on the ORM's connection (db/raw.ts), on a real SQLite database: it runs at once when the
// connection is idle, waits for an open ORM transaction instead of reading or writing inside it, and
// its own transactions commit or roll back as a whole. And the session lookup's kept answers are bounded.
import type { MikroORM } from '@mikro-orm/core';
import { initORM } from '../../src/db/orm';
import { createRawDb, type RawDb } from '../../src/db/raw';
import { CHANGES_SQL, createSessionLookup, SESSION_LOOKUP_SQL } from '../../src/sessions/session-lookup';
import { Role } from '../../src/users/role';
import { User } from '../../src/users/user.entity';

let orm: MikroORM;
let db: RawDb;
beforeAll(async () => {
  orm = await initORM(':memory:', () => undefined);
  db = createRawDb(orm);
});
afterAll(() => orm.close());

const INSERT_USER = `insert into users (public_id, name, email, password_hash, role, created_at, updated_at)
  values (?, 'Raw', ?, 'x', 'USER', 0, 0)`;
let serial = 0;
const insertUser = (sql: Parameters<Parameters<RawDb>[0]>[0], email: string) => sql.run(INSERT_USER, `00000000-0000-4000-8000-${String(++serial).padStart(12, '0')}`, email);
const emails = async () => (await orm.em.fork().find(User, {}, { orderBy: { id: 'asc' } })).map((user) => user.email);

it('shares the ORM pool of exactly one connection, so every write in the process goes through it', () => {
  const pool = (orm.em.getConnection() as unknown as { getKnex(): { client: { pool: { min: number; max: number } } } }).getKnex().client.pool;
  expect([pool.min, pool.max]).toEqual([1, 1]);
});

it('runs at once, before returning, while the connection is outside a transaction', () => {
  let ran = false;
  const done = db(() => (ran = true));
  expect(ran).toBe(true);
  return done;
});

it('waits for an open ORM transaction, and writes outside it: a rollback there does not take its write along', async () => {
  let written: Promise<unknown> | undefined;
  let settled = false;
  await expect(
    orm.em.fork().transactional(async (tx) => {
      await tx.insert(User, { publicId: '00000000-0000-4000-8000-100000000000', name: 'Tx', email: 'tx@example.com', passwordHash: 'x', role: Role.USER, createdAt: new Date(0), updatedAt: new Date(0) });
      written = db((sql) => sql.transaction(() => insertUser(sql, 'raw@example.com')));
      void written.then(() => (settled = true));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(settled).toBe(false);
      throw new Error('roll back');
    }),
  ).rejects.toThrow('roll back');
  await written;
  expect(await emails()).toContain('raw@example.com');
  expect(await emails()).not.toContain('tx@example.com');
});

it('rolls its own transaction back as a whole when the work throws', async () => {
  await expect(
    db((sql) =>
      sql.transaction(() => {
        insertUser(sql, 'half@example.com');
        throw new Error('second statement failed');
      }),
    ),
  ).rejects.toThrow('second statement failed');
  expect(await emails()).not.toContain('half@example.com');
  // The connection is usable again, outside any transaction.
  await db((sql) => insertUser(sql, 'after@example.com'));
  expect(await emails()).toContain('after@example.com');
});

it('refuses to nest transactions', async () => {
  await expect(db((sql) => sql.transaction(() => sql.transaction(() => 1)))).rejects.toThrow('do not nest');
});

describe('the kept session answers', () => {
  it('keep at most maxKept, dropping the oldest first', async () => {
    const ids = ['00000000-0000-4000-8000-a00000000001', '00000000-0000-4000-8000-a00000000002', '00000000-0000-4000-8000-a00000000003'];
    await db((sql) => {
      const user = insertUser(sql, 'kept@example.com').lastInsertRowid;
      for (const id of ids) {
        sql.run(`insert into sessions (public_id, user_id, created_at, last_used_at, expires_at, absolute_expires_at, ip) values (?, ?, 0, 0, 1, 1, '::1')`, id, user);
      }
    });
    const lookup = createSessionLookup(db, { cache: true, maxKept: 2 });
    const queries: string[] = [];
    const logger = orm.config.getLogger();
    const spy = jest.spyOn(logger, 'log').mockImplementation((namespace, message) => void (namespace === 'query' && queries.push(message.replace(/ \[took .*$/, ''))));
    logger.setDebugMode(['query']);
    try {
      for (const id of ids) expect((await lookup(id))?.session.publicId).toBe(id);
      queries.length = 0;
      await lookup(ids[2]);
      await lookup(ids[1]);
      expect(queries).toEqual([CHANGES_SQL, CHANGES_SQL]);
      queries.length = 0;
      // The first was dropped when the third came in.
      await lookup(ids[0]);
      expect(queries).toEqual([SESSION_LOOKUP_SQL]);
    } finally {
      logger.setDebugMode(false);
      spy.mockRestore();
    }
  });
});
