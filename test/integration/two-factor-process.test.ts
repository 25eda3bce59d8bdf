// The compiled server and MFA_ENCRYPTION_KEY, as `npm start` runs it: the development key made once and
// reused, and a production server without the key refusing to start while a user has TOTP on.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { print } from 'graphql';
import { ConfirmTotpEnrollmentDocument, SignupDocument, StartTotpEnrollmentDocument } from '../../src/client/graphql';
import { createPostgresDatabase, onPostgres, type TestDatabase } from '../helpers/database';
import { childEnv, MAIN, startServerProcess, stop } from '../helpers/process';
import { TEST_PASSWORD } from '../helpers/server';
import { totpCode } from '../helpers/totp';

let scratch: string;
let database: TestDatabase;
beforeEach(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'auth-mfa-process-'));
  database = onPostgres ? await createPostgresDatabase() : { env: {}, drop: async () => undefined };
});
afterEach(async () => {
  rmSync(scratch, { recursive: true, force: true });
  await database.drop();
});

async function call<T>(url: string, document: Parameters<typeof print>[0], variables: Record<string, unknown>, token?: string): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query: print(document), variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: unknown };
  if (!body.data) throw new Error(`call failed: ${JSON.stringify(body.errors)}`);
  return body.data;
}

it('in development without MFA_ENCRYPTION_KEY, makes one under ./data with mode 0600, says so, never logs it, and reuses it', async () => {
  const first = await startServerProcess(scratch, database);
  const keyFile = join(scratch, 'data/mfa-encryption-key');
  let key: string;
  try {
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    key = readFileSync(keyFile, 'utf8').trim();
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(first.ready.devMfaKey).toBe('generated at ./data/mfa-encryption-key');
    expect(first.output()).not.toContain(key);
  } finally {
    await stop(first.child);
  }
  const second = await startServerProcess(scratch, database);
  try {
    expect(second.ready.devMfaKey).toBe('reused at ./data/mfa-encryption-key');
    expect(readFileSync(keyFile, 'utf8').trim()).toBe(key);
  } finally {
    await stop(second.child);
  }
});

it('in production without MFA_ENCRYPTION_KEY, refuses to start while a user has TOTP on, naming the setting', async () => {
  const dev = await startServerProcess(scratch, database);
  try {
    const url = dev.ready.url as string;
    const { signup } = await call<{ signup: { accessToken: string } }>(url, SignupDocument, {
      input: { name: 'Ada', email: 'ada@example.com', password: TEST_PASSWORD },
    });
    const { startTotpEnrollment } = await call<{ startTotpEnrollment: { secret: string } }>(url, StartTotpEnrollmentDocument, {}, signup.accessToken);
    await call(url, ConfirmTotpEnrollmentDocument, { code: totpCode(startTotpEnrollment.secret, Date.now()) }, signup.accessToken);
  } finally {
    await stop(dev.child);
  }
  const env = childEnv(database, { NODE_ENV: 'production', MAIL_DISABLED: 'true', JWT_SECRET: 'p'.repeat(40) });
  const result = spawnSync(process.execPath, [MAIN], { cwd: scratch, env, encoding: 'utf8', timeout: 30_000 });
  expect(result.status).toBe(1);
  expect(result.stderr).toContain('MFA_ENCRYPTION_KEY: is required: 1 user(s) have TOTP on');
});

it('in production without MFA_ENCRYPTION_KEY and no user with TOTP, starts and says two-factor is unavailable', async () => {
  const server = await startServerProcess(scratch, database, { NODE_ENV: 'production', MAIL_DISABLED: 'true', JWT_SECRET: 'p'.repeat(40) });
  try {
    expect(server.ready.mfa).toBe('unavailable: set MFA_ENCRYPTION_KEY');
    expect(server.ready.devMfaKey).toBeUndefined();
  } finally {
    await stop(server.child);
  }
});
