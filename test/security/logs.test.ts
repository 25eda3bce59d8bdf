// What the logs give away when the database fails: a signup that meets a locked database is logged with
// the error's name, code and the statement's template, never the email or the password hash it carried.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectionOf, initORM } from '../../src/db/orm';
import { LogCapture, type TestServer } from '../helpers/server';
import { startAttackedServer } from './harness';

const EMAIL = 'locked-out@example.com';
const PASSWORD = 'a password for the log test';

let scratch: string;
let server: TestServer;
const logs = new LogCapture();
beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'db-errors-'));
  server = await startAttackedServer({ DB_PATH: join(scratch, 'app.db'), LOG_LEVEL: 'info' }, logs);
  // Fail fast instead of after the default 5 s (the pool holds one connection: this is it).
  await server.app.orm.em.getConnection().execute('pragma busy_timeout = 50');
});
afterAll(async () => {
  await server.close();
  rmSync(scratch, { recursive: true, force: true });
});

it('a signup that meets a locked database logs no email and no password hash, only the statement template', async () => {
  // A second connection (an operator's shell, another process) holds the write lock.
  const other = await initORM(join(scratch, 'app.db'), () => undefined, false);
  const lock = connectionOf(other)!;
  lock.prepare('begin exclusive').run();
  let res;
  try {
    res = await server.graphql('mutation($input: SignupInput!) { signup(input: $input) { accessToken } }', {
      input: { name: 'Locked', email: EMAIL, password: PASSWORD },
    });
  } finally {
    lock.prepare('rollback').run();
    await other.close();
  }
  expect(res.body.errors?.[0].extensions?.code).toBe('INTERNAL_SERVER_ERROR');

  const logged = logs.lines.find((line) => line.msg === 'internal error');
  expect(logged?.err).toMatchObject({ type: 'LockWaitTimeoutException', code: 'SQLITE_BUSY' });
  const text = JSON.stringify(logs.lines);
  expect(text).toContain('insert into `users`');
  expect(text).toMatch(/values \(\?, \?, \?, \?, \?, \?, \?\)/);
  expect(text).not.toContain(EMAIL);
  expect(text).not.toMatch(/\$2[aby]\$/);
  expect(text).not.toContain(PASSWORD);
});
