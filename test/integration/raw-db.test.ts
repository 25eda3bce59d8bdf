// Raw SQL on the ORM's connection (db/raw.ts), on a real SQLite database: it runs at once when the
// connection is idle, waits for an open ORM transaction instead of reading or writing inside it, and
// its own transactions commit or roll back as a whole.
import type { MikroORM } from '@mikro-orm/core';
import { initORM } from '../../src/db/orm';
import { createRawDb, type RawDb } from '../../src/db/raw';
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
      await tx.insert(User, { publicId: '00000000-0000-4000-8000-100000000000', name: 'Tx', email: 'tx@example.com', passwordHash: 'x', createdAt: new Date(0), updatedAt: new Date(0) });
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
