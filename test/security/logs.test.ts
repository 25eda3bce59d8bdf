// What the logs give away when the database fails: a signup that meets a locked database is answered 503
// and logged with the driver's code, never the email or the password hash it carried (the store layer's
// errors carry no statement at all; the logger's err serializer is the second line, test/unit/logger.test.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SignupDocument } from '../../src/client/graphql';
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
  // Fail fast instead of after the default 5 s (the server's one connection).
  await server.app.db.sql.run('pragma busy_timeout = 50');
});
afterAll(async () => {
  await server.close();
  rmSync(scratch, { recursive: true, force: true });
});

it('a signup that meets a locked database is a 503, logged with the driver code and no email or password hash', async () => {
  // A second connection (an operator's shell, another process) holds the write lock.
  const other = new Database(join(scratch, 'app.db'));
  other.prepare('begin exclusive').run();
  let res;
  try {
    res = await server.execute(SignupDocument, { input: { name: 'Locked', email: EMAIL, password: PASSWORD } });
  } finally {
    other.prepare('rollback').run();
    other.close();
  }
  expect(res.status).toBe(503);
  expect(res.body.errors?.[0].extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryAfter: expect.any(Number) });

  const logged = logs.lines.find((line) => line.msg === 'database unavailable: answered 503');
  expect(logged).toMatchObject({ dbCode: 'SQLITE_BUSY' });
  const text = JSON.stringify(logs.lines);
  expect(text).not.toContain(EMAIL);
  expect(text).not.toMatch(/\$2[aby]\$/);
  expect(text).not.toContain(PASSWORD);
});
