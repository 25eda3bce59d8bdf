// Backups of a live database, taken while signups keep writing, restored into a new server that then logs in a
// user made before the backup. SQLite: `npm run db:backup` (SQLite's online backup API, dist/cli/backup.js).
// PostgreSQL: pg_dump -Fc, and pg_restore into a new, empty database, as docs/operations.md says.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { print } from 'graphql';
import { Client } from 'pg';
import { LoginDocument, MeDocument, SignupDocument } from '../../src/client/graphql';
import { createEmptyPostgresDatabase, createTestDatabase, onPostgres, type TestDatabase } from '../helpers/database';
import { recordFigures } from '../helpers/fault-figures';
import { childEnv, startServerProcess, stop, type RunningServer } from '../helpers/process';
import { TEST_PASSWORD } from '../helpers/server';

const BACKUP_CLI = resolve(__dirname, '../../dist/cli/backup.js');
const SIGNUP_LOOPS = 3;
/** Signups answered before the backup starts, and after it ends, so that it runs in the middle of the writes. */
const SIGNUPS_AROUND = 30;

interface Answer {
  status: number;
  body: { data?: Record<string, { accessToken?: string; email?: string } | null>; errors?: Array<{ extensions?: { code?: string } }> };
}

async function post(url: string, query: string, variables: unknown, token?: string): Promise<Answer> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, body: (await res.json()) as Answer['body'] };
}

const signup = (url: string, email: string) => post(url, print(SignupDocument), { input: { name: 'Backed Up', email, password: TEST_PASSWORD } });
const login = (url: string, email: string) => post(url, print(LoginDocument), { input: { email, password: TEST_PASSWORD } });

/** Runs a command to its end; resolves with its exit code and output. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { env });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolvePromise({ code, output, ms: Math.round(performance.now() - started) }));
  });
}

/** Signups from several loops until stopped: the emails the server confirmed, in order, and every answer that was not a success. */
function signupLoad(url: string) {
  const confirmed: string[] = [];
  const failures: Answer[] = [];
  let stopped = false;
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const loop = async (n: number) => {
    for (let i = 0; !stopped; i += 1) {
      const email = `load-${n}-${i}-${randomBytes(3).toString('hex')}@example.com`;
      const answer = await signup(url, email);
      if (answer.status === 200 && answer.body.data?.signup?.accessToken) confirmed.push(email);
      else failures.push(answer);
      for (const waiter of waiters.filter((w) => confirmed.length >= w.count)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };
  const loops = Array.from({ length: SIGNUP_LOOPS }, (_, n) => loop(n));
  return {
    confirmed,
    failures,
    /** Resolves once `count` signups in all have been confirmed. */
    reached: (count: number) => new Promise<void>((resolvePromise) => (confirmed.length >= count ? resolvePromise() : waiters.push({ count, resolve: resolvePromise }))),
    stop: async () => {
      stopped = true;
      await Promise.all(loops);
    },
  };
}

/** What a restored database holds: its users' emails, and rows that would betray a copy taken half-way through a signup. */
interface Contents {
  emails: Set<string>;
  /** Users without a session, sessions without a refresh token: a signup writes all three in one transaction. */
  halfWritten: number;
  integrity: string;
}

const HALF_WRITTEN_SQL = `select
  (select count(*) from users u where not exists (select 1 from sessions s where s.user_id = u.id)) +
  (select count(*) from sessions s where not exists (select 1 from refresh_tokens r where r.session_id = s.id)) as n`;

function sqliteContents(path: string): Contents {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const emails = new Set((db.prepare('select email from users').all() as Array<{ email: string }>).map((row) => row.email));
    const { n } = db.prepare(HALF_WRITTEN_SQL).get() as { n: number };
    return { emails, halfWritten: n, integrity: String(db.pragma('integrity_check', { simple: true })) };
  } finally {
    db.close();
  }
}

async function postgresContents(url: string): Promise<Contents> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const emails = new Set((await client.query<{ email: string }>('select email from users')).rows.map((row) => row.email));
    const { n } = (await client.query<{ n: string }>(HALF_WRITTEN_SQL)).rows[0];
    // PostgreSQL has no integrity_check; amcheck needs an extension the test database does not have.
    return { emails, halfWritten: Number(n), integrity: 'not applicable (PostgreSQL)' };
  } finally {
    await client.end();
  }
}

let scratch: string;
const databases: TestDatabase[] = [];
const servers: RunningServer[] = [];
beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), 'auth-backup-'));
});
afterEach(async () => {
  for (const server of servers.splice(0)) if (server.child.exitCode === null) await stop(server.child);
  for (const database of databases.splice(0)) await database.drop();
  rmSync(scratch, { recursive: true, force: true });
});

async function startServer(database: TestDatabase): Promise<RunningServer> {
  const server = await startServerProcess(scratch, database, { NODE_ENV: 'test', JWT_SECRET: randomBytes(48).toString('base64url'), RATE_LIMIT_SIGNUP_IP: '1000000/1m' });
  servers.push(server);
  return server;
}

const how = onPostgres ? 'pg_dump -Fc, restored with pg_restore into a new database' : 'npm run db:backup, restored by pointing DB_PATH at the copy';

describe(`a backup taken under write load (${how})`, () => {
  it('is consistent, and a new server on the restored copy logs in a user made before the backup', async () => {
    const database = await createTestDatabase();
    databases.push(database);
    const server = await startServer(database);
    const url = server.ready.url as string;
    const before = `before-${randomBytes(3).toString('hex')}@example.com`;
    expect((await signup(url, before)).status).toBe(200);

    const load = signupLoad(url);
    await load.reached(SIGNUPS_AROUND);
    const confirmedBefore = [...load.confirmed];
    const out = join(scratch, onPostgres ? 'auth.dump' : 'backup.db');
    const backup = onPostgres
      ? // As docs/operations.md says: umask 077, because a dump holds what the database holds.
        await run('sh', ['-c', 'umask 077 && exec pg_dump -Fc --no-owner --dbname "$1" --file "$2"', 'sh', database.env.DATABASE_URL, out], process.env)
      : await run(process.execPath, [BACKUP_CLI, '--out', out], childEnv(database));
    const confirmedDuring = load.confirmed.length - confirmedBefore.length;
    await load.reached(load.confirmed.length + SIGNUPS_AROUND);
    await load.stop();
    expect(await stop(server.child)).toBe(0);
    expect(backup).toMatchObject({ code: 0 });
    // The writers never noticed: every signup succeeded, before, during and after the backup.
    expect(load.failures).toEqual([]);
    // The copy holds emails, password hashes and sessions: it is for the server's own user.
    expect(statSync(out).mode & 0o777).toBe(0o600);
    if (!onPostgres) {
      expect(backup.output).toMatch(/^Backed up .* integrity_check ok/);
      // Nothing half-written is left beside it.
      expect(readdirSync(scratch).filter((name) => name.includes('backup'))).toEqual(['backup.db']);
    }

    let restoredUrl: string;
    let restoreMs = 0;
    if (onPostgres) {
      const restored = await createEmptyPostgresDatabase();
      databases.push(restored);
      restoredUrl = restored.env.DATABASE_URL;
      const restore = await run('pg_restore', ['--no-owner', '--exit-on-error', '--dbname', restoredUrl, out], process.env);
      expect(restore).toMatchObject({ code: 0, output: '' });
      restoreMs = restore.ms;
    } else {
      restoredUrl = out;
    }
    const contents = onPostgres ? await postgresContents(restoredUrl) : sqliteContents(out);
    if (!onPostgres) expect(contents.integrity).toBe('ok');
    expect(contents.halfWritten).toBe(0);
    // A snapshot from between the first and the last signup: everything confirmed before it started, nothing never made.
    for (const email of [before, ...confirmedBefore]) expect(contents.emails.has(email)).toBe(true);
    for (const email of contents.emails) expect(email === before || load.confirmed.includes(email)).toBe(true);

    const restoredServer = await startServer(onPostgres ? { env: { DATABASE_URL: restoredUrl }, drop: async () => undefined } : { env: { DB_PATH: out }, drop: async () => undefined });
    const restoredGraphql = restoredServer.ready.url as string;
    const loggedIn = await login(restoredGraphql, before);
    expect(loggedIn.status).toBe(200);
    const token = loggedIn.body.data?.login?.accessToken;
    expect(token).toEqual(expect.any(String));
    const me = await post(restoredGraphql, print(MeDocument), {}, token);
    expect(me.body.data?.me).toMatchObject({ email: before });
    expect(await stop(restoredServer.child)).toBe(0);

    recordFigures('backup', {
      tool: onPostgres ? 'pg_dump -Fc / pg_restore' : 'npm run db:backup',
      usersInBackup: contents.emails.size,
      signupsConfirmedWhileBackupRan: confirmedDuring,
      signupErrors: load.failures.length,
      backupBytes: statSync(out).size,
      // The copy itself, as the command reported it; backupMs is the whole command, process start included.
      copyMs: onPostgres ? undefined : Number(/in (\d+) ms/.exec(backup.output)?.[1]),
      backupMs: backup.ms,
      restoreMs,
      integrityCheck: contents.integrity,
      halfWrittenRows: contents.halfWritten,
      loginAfterRestore: loggedIn.status,
    });
  });
});

describe('npm run db:backup refuses what it cannot do well', () => {
  function backupCli(env: Record<string, string>, out: string) {
    return spawnSync(process.execPath, [BACKUP_CLI, '--out', out], { env: childEnv({ env }), encoding: 'utf8' });
  }

  it('on PostgreSQL, exits non-zero and says how to use pg_dump and pg_restore, without the password', () => {
    const result = backupCli({ DATABASE_URL: 'postgres://auth:s3cret-pw@db.internal:5432/auth' }, join(scratch, 'x.db'));
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('pg_dump -Fc');
    expect(result.stderr).toContain('pg_restore');
    expect(result.stderr).not.toContain('s3cret-pw');
    expect(readdirSync(scratch)).toEqual([]);
  });

  it('never overwrites an existing file', () => {
    const dbPath = join(scratch, 'app.db');
    new Database(dbPath).close();
    const out = join(scratch, 'precious.db');
    writeFileSync(out, 'an older backup');
    const result = backupCli({ DB_PATH: dbPath }, out);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('already exists');
    expect(readFileSync(out, 'utf8')).toBe('an older backup');
  });
});
