// The compiled server and the user:create command, run as real processes the way the README says.
import { spawnSync } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { print } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { LoginDocument, MeDocument, SetUserRoleDocument, SignupDocument, type SignupMutation } from '../../src/client/graphql';
import { createPostgresDatabase, onPostgres, type TestDatabase } from '../helpers/database';
import { holdPost } from '../helpers/held-request';
import { forgeToken } from '../helpers/jwt';
import { childEnv, MAIN, startServerProcess, stop, type RunningServer } from '../helpers/process';
import { errorOf, startTestServer, TEST_PASSWORD } from '../helpers/server';

const root = resolve(__dirname, '../..');
const CREATE_USER = resolve(root, 'dist/cli/create-user.js');

let scratch: string;
/** Each test's own database: SQLite at the default ./data/app.db under its scratch directory, or a new PostgreSQL one. */
let database: TestDatabase;
beforeEach(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'auth-process-'));
  database = onPostgres ? await createPostgresDatabase() : { env: {}, drop: async () => undefined };
});
afterEach(async () => {
  rmSync(scratch, { recursive: true, force: true });
  await database.drop();
});

function startServer(env: Record<string, string>): Promise<RunningServer> {
  return startServerProcess(scratch, database, env);
}

/** A signup's body, as a held request sends it. */
function signupPayload(email: string) {
  return { query: print(SignupDocument), variables: { input: { name: 'Late', email, password: TEST_PASSWORD } } };
}

describe('npm start (dist/main.js)', () => {
  it('with no secret in development, generates one under ./data with mode 0600, says so, and never logs it', async () => {
    const server = await startServer({});
    try {
      const secretFile = join(scratch, 'data/dev-jwt-secret');
      expect(statSync(secretFile).mode & 0o777).toBe(0o600);
      const secret = readFileSync(secretFile, 'utf8').trim();
      expect(Buffer.byteLength(secret)).toBeGreaterThanOrEqual(32);
      expect(server.ready).toMatchObject({
        url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/graphql$/),
        db: database.env.DATABASE_URL ?? './data/app.db',
        algorithm: 'HS256',
        devSecret: 'generated at ./data/dev-jwt-secret',
      });
      expect(server.output()).not.toContain(secret);
      const url = server.ready.url as string;
      expect(await (await fetch(url.replace('/graphql', '/health'))).json()).toMatchObject({ status: 'ok', database: { status: 'up' } });
      const landing = await fetch(url, { headers: { accept: 'text/html' } });
      expect(landing.status).toBe(200);
      expect(await landing.text()).toContain('<html');
    } finally {
      expect(await stop(server.child)).toBe(0);
    }
    if (!onPostgres) statSync(join(scratch, 'data/app.db'));
  });

  it('reuses the development secret on the next start', async () => {
    const first = await startServer({});
    await stop(first.child);
    const second = await startServer({});
    try {
      expect(second.ready.devSecret).toBe('reused at ./data/dev-jwt-secret');
    } finally {
      await stop(second.child);
    }
  });

  it.each([
    ['no secret', {}],
    ['a 31-byte secret', { JWT_SECRET: 'x'.repeat(31) }],
  ])('refuses to start in production with %s, naming JWT_SECRET', (_name, env) => {
    const result = spawnSync(process.execPath, [MAIN], { cwd: scratch, env: childEnv(database, { NODE_ENV: 'production', MAIL_DISABLED: 'true', ...env }), encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('JWT_SECRET');
    expect(result.stderr).not.toContain('x'.repeat(31));
  });

  it('stops with a message naming the variable on a bad setting', () => {
    const result = spawnSync(process.execPath, [MAIN], { cwd: scratch, env: childEnv(database, { JWT_ACCESS_TTL: 'forever' }), encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('JWT_ACCESS_TTL');
  });

  it('shows no landing page in production', async () => {
    const server = await startServer({ NODE_ENV: 'production', MAIL_DISABLED: 'true', JWT_SECRET: 'p'.repeat(40) });
    try {
      const res = await fetch(server.ready.url as string, { headers: { accept: 'text/html' } });
      expect(await res.text()).not.toContain('<html');
    } finally {
      await stop(server.child);
    }
  });

  it('finishes an in-flight request on SIGTERM before exiting', async () => {
    const server = await startServer({});
    const signup = holdPost<{ data?: SignupMutation; errors?: unknown }>(server.ready.url as string, signupPayload('late@example.com'));
    await signup.received;
    const exit = stop(server.child);
    // The server has the request and has begun to shut down: only then does the body go.
    await server.waitForOutput(/"msg":"shutting down"/, 1);
    const res = await signup.finish();
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data?.signup.tokenType).toBe('Bearer');
    expect(await exit).toBe(0);
  });
});

describe('npm run user:create', () => {
  function createUser(args: string[], password: string) {
    return spawnSync(process.execPath, [CREATE_USER, ...args], {
      cwd: scratch,
      env: childEnv(database, {}),
      input: password,
      encoding: 'utf8',
    });
  }

  it('creates an ADMIN from a piped password, who can then log in and act as admin', async () => {
    const result = createUser(['--email', 'Root@Example.com', '--name', 'Root', '--admin'], `${TEST_PASSWORD}\n`);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Created ADMIN root@example\.com \(id [0-9a-f-]{36}\)/);

    const server = await startTestServer(onPostgres ? database.env : { DB_PATH: join(scratch, 'data/app.db') });
    try {
      const login = await server.execute(LoginDocument, { input: { email: 'root@example.com', password: TEST_PASSWORD } });
      expect(login.body.data?.login.user.role).toBe('ADMIN');
    } finally {
      await server.close();
    }
  });

  it('creates a USER without --admin', () => {
    const result = createUser(['--email', 'plain@example.com', '--name', 'Plain'], TEST_PASSWORD);
    expect(result.stdout).toMatch(/^Created USER plain@example\.com/);
  });

  it.each([
    ['a bad email', ['--email', 'nope', '--name', 'X'], TEST_PASSWORD, /email: Email is not a valid address/],
    ['a short password', ['--email', 'a@example.com', '--name', 'X'], 'short', /password: Password must be at least 8/],
    ['a missing name', ['--email', 'a@example.com'], TEST_PASSWORD, /Usage: npm run user:create/],
    ['an unknown flag', ['--email', 'a@example.com', '--name', 'X', '--root'], TEST_PASSWORD, /Unknown option '--root'/],
  ])('exits non-zero with a clear message on %s', (_name, args, password, message) => {
    const result = createUser(args, password);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(message);
  });

  it('exits non-zero on an email that exists', () => {
    expect(createUser(['--email', 'dupe@example.com', '--name', 'One'], TEST_PASSWORD).status).toBe(0);
    const again = createUser(['--email', 'DUPE@example.com', '--name', 'Two'], TEST_PASSWORD);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/already registered/);
  });
});

it('a token from one server is refused by a server with another secret', async () => {
  const a = await startTestServer();
  const b = await startTestServer();
  try {
    const token = forgeToken({ alg: 'HS256', typ: 'JWT' }, { sub: 'x' }, a.config.jwt.secret!);
    expect(errorOf(await b.execute(MeDocument, {}, { token })).reason).toBe('TOKEN_INVALID');
  } finally {
    await a.close();
    await b.close();
  }
});

interface Reply<TData> {
  data: TData;
  errors?: Array<{ extensions?: { code?: string; reason?: string } }>;
}

describe('WEB_CONCURRENCY=2 (node:cluster)', () => {
  /** A POST on a fresh connection, so the cluster's round-robin hands successive requests to different workers. */
  function post<TData, TVariables>(
    url: string,
    document: TypedDocumentNode<TData, TVariables>,
    variables: TVariables,
    token?: string,
  ): Promise<{ status: number; body: Reply<TData> }> {
    const body = JSON.stringify({ query: print(document), variables });
    return new Promise((resolvePromise, reject) => {
      const req = httpRequest(
        url,
        {
          method: 'POST',
          agent: false,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
        },
        (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, body: JSON.parse(text) as Reply<TData> }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  it('migrates once, serves from every worker, and a demotion takes effect at once on all of them', async () => {
    const created = spawnSync(process.execPath, [CREATE_USER, '--email', 'root@example.com', '--name', 'Root', '--admin'], {
      cwd: scratch,
      env: childEnv(database, {}),
      input: TEST_PASSWORD,
      encoding: 'utf8',
    });
    expect(created.status).toBe(0);
    const server = await startServer({ WEB_CONCURRENCY: '2', JWT_SECRET: 's'.repeat(40), LOG_LEVEL: 'debug' });
    try {
      expect(server.ready.workers).toBe(2);
      await server.waitForOutput(/"msg":"worker ready"/, 2);
      expect(server.output().match(/"msg":"worker ready"/g)).toHaveLength(2);
      const url = server.ready.url as string;
      const root = (await post(url, LoginDocument, { input: { email: 'root@example.com', password: TEST_PASSWORD } })).body.data.login;
      await post(url, SignupDocument, { input: { name: 'Deputy', email: 'deputy@example.com', password: TEST_PASSWORD } });
      const bystander = (await post(url, SignupDocument, { input: { name: 'By', email: 'by@example.com', password: TEST_PASSWORD } })).body.data.signup;
      const deputyId = (await post(url, LoginDocument, { input: { email: 'deputy@example.com', password: TEST_PASSWORD } })).body.data.login.user.id;
      expect((await post(url, SetUserRoleDocument, { id: deputyId, role: 'ADMIN' }, root.accessToken)).body.data).toMatchObject({ setUserRole: { role: 'ADMIN' } });
      // A role change ends the target's sessions: the deputy logs in again, as an ADMIN.
      const deputy = (await post(url, LoginDocument, { input: { email: 'deputy@example.com', password: TEST_PASSWORD } })).body.data.login;

      // Every worker serves the deputy as an ADMIN.
      for (let i = 0; i < 4; i += 1) {
        expect((await post(url, SetUserRoleDocument, { id: bystander.user.id, role: 'USER' }, deputy.accessToken)).body.data).toMatchObject({ setUserRole: { role: 'USER' } });
      }
      expect((await post(url, SetUserRoleDocument, { id: deputyId, role: 'USER' }, root.accessToken)).body.data).toMatchObject({ setUserRole: { role: 'USER' } });
      const after = await Promise.all(
        Array.from({ length: 6 }, () => post(url, SetUserRoleDocument, { id: bystander.user.id, role: 'USER' }, deputy.accessToken)),
      );
      expect(after.map((res) => [res.status, res.body.errors?.[0]?.extensions?.reason])).toEqual(Array(6).fill([401, 'TOKEN_REVOKED']));
      // Logged in again, the deputy is a USER on every worker.
      const demoted = (await post(url, LoginDocument, { input: { email: 'deputy@example.com', password: TEST_PASSWORD } })).body.data.login;
      const again = await Promise.all(
        Array.from({ length: 6 }, () => post(url, SetUserRoleDocument, { id: bystander.user.id, role: 'USER' }, demoted.accessToken)),
      );
      expect(again.map((res) => [res.status, res.body.errors?.[0]?.extensions?.code])).toEqual(Array(6).fill([403, 'FORBIDDEN']));
    } finally {
      expect(await stop(server.child)).toBe(0);
    }
  });

  it('on SIGTERM to the primary, workers finish in-flight requests, then everything exits 0', async () => {
    const server = await startServer({ WEB_CONCURRENCY: '2' });
    const url = server.ready.url as string;
    const signups = Array.from({ length: 2 }, (_, i) => holdPost<Reply<SignupMutation>>(url, signupPayload(`late${i}@example.com`)));
    await Promise.all(signups.map((signup) => signup.received));
    const exit = stop(server.child);
    // The primary and both workers have begun to shut down, with the requests in hand: only then do the bodies go.
    await server.waitForOutput(/"msg":"shutting down"/, 3);
    for (const res of await Promise.all(signups.map((signup) => signup.finish()))) expect(res.body.data.signup.user.id).toEqual(expect.any(String));
    expect(await exit).toBe(0);
    // The exit can be reported before the last of the output is read.
    await server.waitForOutput(/"msg":"stopped"/, 1);
  });
});
