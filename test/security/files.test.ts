// Files at rest: another local user must not read the database (emails, password hashes, session rows)
// or the secrets that sign tokens.
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKey } from '../../src/tokens/key-dir';
import { privatePem } from '../helpers/keys';
import { MAIN } from '../helpers/process';
import { signUp } from '../helpers/server';
import { startAttackedServer } from './harness';

let scratch: string;
beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), 'files-at-rest-'));
});
afterEach(() => rmSync(scratch, { recursive: true, force: true }));

const modeOf = (path: string) => statSync(path).mode & 0o777;

it('the data directory is created 0700, and the database with its -wal and -shm files 0600', async () => {
  const db = join(scratch, 'data', 'app.db');
  const server = await startAttackedServer({ DB_PATH: db });
  try {
    await signUp(server);
    expect(modeOf(join(scratch, 'data'))).toBe(0o700);
    for (const file of [db, `${db}-wal`, `${db}-shm`]) expect([file, modeOf(file)]).toEqual([file, 0o600]);
  } finally {
    await server.close();
  }
});

it('a database left readable by others (0644) is made private at start', async () => {
  const db = join(scratch, 'app.db');
  const first = await startAttackedServer({ DB_PATH: db });
  await first.close();
  chmodSync(db, 0o644);
  const second = await startAttackedServer({ DB_PATH: db });
  try {
    expect(modeOf(db)).toBe(0o600);
  } finally {
    await second.close();
  }
});

/**
 * Start the compiled server in the scratch directory, as `npm start` does; it must refuse. One that starts
 * instead is killed once it says it is ready (a drained pipe: a server blocked writing its log would not exit).
 */
function refusedStart(env: Record<string, string>): Promise<{ status: number | null; stderr: string }> {
  const { JWT_SECRET: _secret, NODE_ENV: _env, DB_PATH: _db, ...rest } = process.env;
  const child = spawn(process.execPath, [MAIN], { cwd: scratch, env: { ...rest, PORT: '0', HOST: '127.0.0.1', ...env } });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.on('data', (chunk: Buffer) => {
    if (chunk.toString().includes('"msg":"ready"')) child.kill('SIGKILL');
  });
  return new Promise((resolve) => child.on('exit', (status) => resolve({ status, stderr })));
}

it('a development secret readable by others is refused, with the command that fixes it', async () => {
  mkdirSync(join(scratch, 'data'), { mode: 0o700 });
  writeFileSync(join(scratch, 'data/dev-jwt-secret'), `${'s'.repeat(64)}\n`, { mode: 0o644 });
  const { status, stderr } = await refusedStart({});
  expect(status).toBe(1);
  expect(stderr).toContain('JWT_SECRET: the development secret ./data/dev-jwt-secret can be read or changed by other users (mode 0644)');
  expect(stderr).toContain('chmod 600 ./data/dev-jwt-secret');
  expect(stderr).not.toContain('s'.repeat(64));
});

it('a development MFA key readable by others is refused, with the command that fixes it', async () => {
  mkdirSync(join(scratch, 'data'), { mode: 0o700 });
  writeFileSync(join(scratch, 'data/mfa-encryption-key'), `${'a'.repeat(64)}\n`, { mode: 0o644 });
  const { status, stderr } = await refusedStart({});
  expect(status).toBe(1);
  expect(stderr).toContain('MFA_ENCRYPTION_KEY: the development key ./data/mfa-encryption-key can be read or changed by other users (mode 0644)');
  expect(stderr).toContain('chmod 600 ./data/mfa-encryption-key');
  expect(stderr).not.toContain('a'.repeat(64));
});

it('a private key file readable by others is refused, with the command that fixes it', async () => {
  const file = join(scratch, 'signing.pem');
  writeFileSync(file, privatePem('ec'), { mode: 0o640 });
  const { status, stderr } = await refusedStart({ JWT_ALGORITHM: 'ES256', JWT_PRIVATE_KEY_FILE: file });
  expect(status).toBe(1);
  expect(stderr).toContain(`JWT_PRIVATE_KEY_FILE: ${file} can be read or changed by other users (mode 0640); make it private with: chmod 600 ${file}`);
  expect(stderr).not.toContain('PRIVATE KEY-----');
});

it('a key in JWT_KEYS_DIR readable by others is refused, with the command that fixes it', async () => {
  const dir = join(scratch, 'keys');
  const { key } = generateKey(dir, 'ES256');
  chmodSync(join(dir, key.file), 0o644);
  const { status, stderr } = await refusedStart({ JWT_ALGORITHM: 'ES256', JWT_KEYS_DIR: dir });
  expect(status).toBe(1);
  expect(stderr).toContain(`chmod 600 ${join(dir, key.file)}`);
});
