// Boot the real app on port 0 with a fresh in-memory database, and talk to it over real HTTP.
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { print, type DocumentNode } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { createApp, type App } from '../../src/app';
import { LoginDocument, SignupDocument } from '../../src/client/graphql';
import { loadConfig, type Config } from '../../src/config';
import { createLogger } from '../../src/shared/logger';
import { Role } from '../../src/shared/role';
import { TestClock } from './clock';
import { assertTestDatabase, createPostgresDatabase, onPostgres } from './database';

export interface GraphQLResponse<TData = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: {
    data?: TData | null;
    errors?: Array<{ message: string; path?: string[]; extensions?: Record<string, unknown> }>;
  };
  text: string;
}

export interface RequestOptions {
  token?: string;
  headers?: Record<string, string>;
}

export interface TestServer {
  app: App;
  url: string;
  baseUrl: string;
  clock: TestClock;
  config: Config;
  graphql<TData = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    options?: RequestOptions,
  ): Promise<GraphQLResponse<TData>>;
  execute<TData, TVariables>(
    document: TypedDocumentNode<TData, TVariables>,
    variables: TVariables,
    options?: RequestOptions,
  ): Promise<GraphQLResponse<TData>>;
  close(): Promise<void>;
}

export const TEST_PASSWORD = 'correct horse battery';

/** The environment a test server runs with; override any variable. Its database: see startTestServer. */
export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    JWT_SECRET: randomBytes(48).toString('base64url'),
    BCRYPT_COST: '4',
    LOG_LEVEL: 'silent',
    // Most suites sign up and log in many times from 127.0.0.1; the limits have their own
    // suites (test/integration/limits.test.ts, test/security/), which set them explicitly.
    RATE_LIMIT_LOGIN_IP: '100000/1m',
    RATE_LIMIT_SIGNUP_IP: '100000/1m',
    RATE_LIMIT_REFRESH_IP: '100000/1m',
    RATE_LIMIT_CHANGE_PASSWORD_IP: '100000/1m',
    RATE_LIMIT_MFA_IP: '100000/1m',
    RATE_LIMIT_RECOVERY_IP: '100000/1m',
    LOGIN_MAX_FAILURES: '1000',
    // Every query the suites send that can run compiled does, from its first run (compiled-queries.ts): the
    // whole suite checks the compiled path; test/integration/compiled-queries.test.ts checks both against each other.
    GRAPHQL_COMPILE_AFTER: '0',
    MFA_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    // Without SMTP_URL, mail is written as .eml files under DATA_DIR/outbox: the run's own directory (global-setup.js).
    DATA_DIR: process.env.TEST_DATA_DIR ?? join(tmpdir(), 'auth-test-data'),
    ...overrides,
  };
}

type LogLine = Record<string, unknown>;

/** Log lines the server wrote, parsed; pass one to startTestServer with LOG_LEVEL set. */
export class LogCapture {
  readonly lines: LogLine[] = [];
  private readonly waiting = new Set<(line: LogLine) => void>();

  write(line: string): void {
    const parsed = JSON.parse(line) as LogLine;
    this.lines.push(parsed);
    for (const notify of this.waiting) notify(parsed);
  }

  /** Resolves with the first line that matches, written already or from now on; rejects after `timeoutMs`. */
  waitForLine(matches: (line: LogLine) => boolean, timeoutMs = 10_000): Promise<LogLine> {
    const found = this.lines.find(matches);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const notify = (line: LogLine) => {
        if (!matches(line)) return;
        clearTimeout(timer);
        this.waiting.delete(notify);
        resolve(line);
      };
      const timer = setTimeout(() => {
        this.waiting.delete(notify);
        reject(new Error(`no such log line in ${timeoutMs} ms; the lines so far:\n${this.lines.map((each) => JSON.stringify(each)).join('\n')}`));
      }, timeoutMs);
      this.waiting.add(notify);
    });
  }
}

/**
 * Boot the app on port 0 (or on env.PORT). Unless `env` names a database (DB_PATH or DATABASE_URL, from createTestDatabase),
 * it gets a new one of its own: SQLite in memory, or on PostgreSQL a new database dropped by close().
 */
export async function startTestServer(
  env: Record<string, string> = {},
  clock = new TestClock(),
  logs?: LogCapture,
): Promise<TestServer> {
  const own = env.DB_PATH === undefined && env.DATABASE_URL === undefined;
  const database = own && onPostgres ? await createPostgresDatabase() : undefined;
  const merged = testEnv({ ...(own ? (database?.env ?? { DB_PATH: ':memory:' }) : {}), ...env });
  assertTestDatabase(merged);
  const config = loadConfig(merged);
  let app: App;
  try {
    app = await createApp(config, { clock, logger: createLogger(config.logLevel, logs) });
  } catch (error) {
    await database?.drop();
    throw error;
  }
  // On the PORT given (freePort), for a server whose own links must name it (APP_URL); else any free port.
  const url = await app.listen(env.PORT === undefined ? 0 : config.port, '127.0.0.1');
  const baseUrl = url.replace(/\/graphql$/, '');

  async function graphql<TData>(query: string, variables?: Record<string, unknown>, options: RequestOptions = {}) {
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...options.headers,
      },
      body: JSON.stringify({ query, variables }),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: JSON.parse(text), text } as GraphQLResponse<TData>;
  }

  return {
    app,
    url,
    baseUrl,
    clock,
    config,
    graphql,
    execute: (document, variables, options) =>
      graphql(print(document as DocumentNode), variables as Record<string, unknown>, options),
    close: async () => {
      await app.close();
      await database?.drop();
    },
  };
}

let counter = 0;

export interface SignedUp {
  token: string;
  /** null in cookie mode. */
  refreshToken: string | null;
  id: string;
  email: string;
  name: string;
}

/** Sign a user up over HTTP; with role ADMIN, promote them in the database (there is no public way to become one). */
export async function signUp(
  server: TestServer,
  options: { name?: string; email?: string; password?: string; role?: Role } = {},
): Promise<SignedUp> {
  counter += 1;
  const name = options.name ?? `User ${counter}`;
  const email = options.email ?? `user${counter}-${randomBytes(3).toString('hex')}@example.com`;
  const res = await server.execute(SignupDocument, { input: { name, email, password: options.password ?? TEST_PASSWORD } });
  if (!res.body.data) throw new Error(`signup failed: ${res.text}`);
  const { accessToken, refreshToken, user } = res.body.data.signup;
  if (options.role === Role.ADMIN) {
    // Through the service, as the API itself would.
    await server.app.users.setRole(user.id, Role.ADMIN);
  }
  return { token: accessToken, refreshToken, id: user.id, email: user.email!, name };
}

export interface LoggedIn {
  accessToken: string;
  refreshToken: string | null;
  refreshExpiresIn: number;
}

/** Log in over HTTP (opens a new session); throws unless it succeeds. */
export async function logIn(server: TestServer, email: string, password = TEST_PASSWORD, options: RequestOptions = {}): Promise<LoggedIn> {
  const res = await server.execute(LoginDocument, { input: { email, password } }, options);
  if (!res.body.data) throw new Error(`login failed: ${res.text}`);
  const { accessToken, refreshToken, refreshExpiresIn } = res.body.data.login;
  return { accessToken, refreshToken, refreshExpiresIn };
}

/** The first error's code and reason, for compact assertions. */
export function errorOf(res: GraphQLResponse<unknown>): { code: unknown; reason: unknown } {
  const error = res.body.errors?.[0];
  return { code: error?.extensions?.code, reason: error?.extensions?.reason };
}

/**
 * Asserts that the answer refuses the caller as unauthenticated for `reason`: exactly one error, with code
 * UNAUTHENTICATED and that reason, HTTP 401, and no data. Resolves with the answer, for further checks.
 */
export async function expectUnauthenticated<TData>(
  answer: GraphQLResponse<TData> | Promise<GraphQLResponse<TData>>,
  reason: string,
): Promise<GraphQLResponse<TData>> {
  const res = await answer;
  expect(res.body.errors?.map((error) => [error.extensions?.code, error.extensions?.reason])).toEqual([['UNAUTHENTICATED', reason]]);
  expect(res.status).toBe(401);
  expect(res.body.data).toBeNull();
  return res;
}
