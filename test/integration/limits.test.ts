// Brute-force limits over real HTTP: per account with exponential backoff, per client IP,
// counted per executed operation (aliases included), in memory and in the real Redis.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { ChangePasswordDocument, LoginDocument, RefreshTokenDocument, SignupDocument, UsersDocument } from '../../src/client/graphql';
import { loadConfig } from '../../src/config';
import { MfaService } from '../../src/mfa/mfa.service';
import { AuthService } from '../../src/auth/auth.service';
import { createDeviceTokens } from '../../src/auth/device-tokens';
import { createPasswordHasher, type PasswordHasher } from '../../src/passwords/passwords';
import { createTokenService } from '../../src/tokens/access-tokens';
import { createLogger } from '../../src/shared/logger';
import { createAuthLimits } from '../../src/limits/limits';
import { UserService } from '../../src/users/user.service';
import { createRotationKey } from '../../src/sessions/refresh-tokens';
import { SessionService } from '../../src/sessions/session.service';
import { TestClock } from '../helpers/clock';
import { openTestDatabase } from '../helpers/database';
import { describeWithService, freePort, REDIS } from '../helpers/services';
import { errorOf, LogCapture, signUp, startTestServer, testEnv, TEST_PASSWORD, type TestServer, type GraphQLResponse } from '../helpers/server';

const DEFAULT_LIMITS = { RATE_LIMIT_LOGIN_IP: '30/1m', RATE_LIMIT_SIGNUP_IP: '10/1m', LOGIN_MAX_FAILURES: '5' };

function login(server: TestServer, email: string, password: string, headers: Record<string, string> = {}) {
  return server.execute(LoginDocument, { input: { email, password } }, { headers });
}

function expectRateLimited(res: GraphQLResponse<unknown>, retryAfter?: number) {
  expect(res.status).toBe(429);
  const error = res.body.errors?.[0];
  expect(error?.extensions?.code).toBe('RATE_LIMITED');
  expect(error?.extensions?.retryAfter).toEqual(retryAfter ?? expect.any(Number));
  expect(res.headers.get('retry-after')).toBe(String(error?.extensions?.retryAfter));
}

describe('per account (in memory)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(DEFAULT_LIMITS);
  });
  afterAll(() => server.close());

  it('backs off after 5 consecutive failures, 1 s then 2 s, refuses even the right password meanwhile, and resets on success', async () => {
    const { email } = await signUp(server);
    for (let i = 0; i < 5; i++) expect(errorOf(await login(server, email, 'wrong password'))).toEqual({ code: 'UNAUTHENTICATED', reason: 'INVALID_CREDENTIALS' });

    expectRateLimited(await login(server, email, TEST_PASSWORD), 1);
    server.clock.advance(1);
    expect(errorOf(await login(server, email, 'wrong password')).reason).toBe('INVALID_CREDENTIALS');
    expectRateLimited(await login(server, email, TEST_PASSWORD), 2);
    server.clock.advance(2);

    const ok = await login(server, email, TEST_PASSWORD);
    expect(ok.body.errors).toBeUndefined();
    // The success forgot the failures: one more wrong password is just wrong again.
    expect(errorOf(await login(server, email, 'wrong password')).reason).toBe('INVALID_CREDENTIALS');
    expect((await login(server, email, TEST_PASSWORD)).body.errors).toBeUndefined();
  });

  it('counts an aliased document attempt by attempt: wrong passwords stop at the first failure', async () => {
    // login returns AuthPayload!, and mutation fields run one after another: the first failure
    // nulls the whole result and the remaining aliases never execute (so never reach bcrypt).
    // Ten aliased logins in one document: inline, as no typed operation has aliases.
    const { email } = await signUp(server);
    const fields = Array.from({ length: 10 }, (_, i) => `a${i}: login(input: {email: "${email}", password: "wrong password"}) { accessToken }`);
    const res = await server.graphql(`mutation { ${fields.join(' ')} }`);
    expect((res.body.errors ?? []).map((error) => [error.path?.[0], error.extensions?.reason])).toEqual([['a0', 'INVALID_CREDENTIALS']]);
    // One failure was counted, not ten: four more are allowed before the backoff.
    for (let i = 0; i < 4; i++) expect(errorOf(await login(server, email, 'wrong password')).reason).toBe('INVALID_CREDENTIALS');
    expectRateLimited(await login(server, email, 'wrong password'));
  });

  it('shares one counter between case and whitespace variants of an email', async () => {
    const { email } = await signUp(server);
    const variants = [email, email.toUpperCase(), ` ${email} `, email.replace(/^./, (c) => c.toUpperCase()), `${email.toUpperCase()} `];
    for (const variant of variants) expect(errorOf(await login(server, variant, 'wrong password')).reason).toBe('INVALID_CREDENTIALS');
    expectRateLimited(await login(server, email, TEST_PASSWORD));
  });

  it('limits an unknown email like a known one, so the answer does not reveal which exists', async () => {
    const email = `nobody-${randomBytes(4).toString('hex')}@example.com`;
    for (let i = 0; i < 5; i++) expect(errorOf(await login(server, email, 'wrong password')).reason).toBe('INVALID_CREDENTIALS');
    expectRateLimited(await login(server, email, 'wrong password'), 1);
  });
});

describe('per client IP (in memory)', () => {
  it('limits logins per IP across accounts, and ignores X-Forwarded-For from an untrusted peer', async () => {
    const server = await startTestServer({ ...DEFAULT_LIMITS, RATE_LIMIT_LOGIN_IP: '3/1m' });
    try {
      for (let i = 0; i < 3; i++) {
        const res = await login(server, `someone${i}@example.com`, 'wrong password', { 'x-forwarded-for': `203.0.113.${i}` });
        expect(errorOf(res).reason).toBe('INVALID_CREDENTIALS');
      }
      expectRateLimited(await login(server, 'someone9@example.com', 'wrong password', { 'x-forwarded-for': '203.0.113.99' }));
    } finally {
      await server.close();
    }
  });

  it('counts each aliased login in one document as one attempt', async () => {
    const server = await startTestServer({ ...DEFAULT_LIMITS, RATE_LIMIT_LOGIN_IP: '3/1m' });
    try {
      const users = [await signUp(server), await signUp(server), await signUp(server), await signUp(server)];
      // Four aliased logins in one document: inline, as no typed operation has aliases.
      const fields = users.map((user, i) => `a${i}: login(input: {email: "${user.email}", password: "${TEST_PASSWORD}"}) { accessToken }`);
      const res = await server.graphql(`mutation { ${fields.join(' ')} }`);
      expect((res.body.errors ?? []).map((error) => [error.path?.[0], error.extensions?.code])).toEqual([['a3', 'RATE_LIMITED']]);
    } finally {
      await server.close();
    }
  });

  it('reads the client from X-Forwarded-For when the peer is a trusted proxy', async () => {
    const server = await startTestServer({ ...DEFAULT_LIMITS, RATE_LIMIT_LOGIN_IP: '2/1m', TRUSTED_PROXIES: '127.0.0.1' });
    try {
      const from = (ip: string) => ({ 'x-forwarded-for': `${ip}, 127.0.0.1` });
      expect(errorOf(await login(server, 'a@example.com', 'wrong password', from('198.51.100.1'))).reason).toBe('INVALID_CREDENTIALS');
      expect(errorOf(await login(server, 'b@example.com', 'wrong password', from('198.51.100.1'))).reason).toBe('INVALID_CREDENTIALS');
      expectRateLimited(await login(server, 'c@example.com', 'wrong password', from('198.51.100.1')));
      // Another client behind the same proxy has its own allowance.
      expect(errorOf(await login(server, 'd@example.com', 'wrong password', from('198.51.100.2'))).reason).toBe('INVALID_CREDENTIALS');
    } finally {
      await server.close();
    }
  });

  it('limits signups per IP', async () => {
    const server = await startTestServer({ ...DEFAULT_LIMITS, RATE_LIMIT_SIGNUP_IP: '2/1m' });
    try {
      const { token } = await signUp(server);
      await signUp(server);
      const res = await server.execute(SignupDocument, { input: { name: 'X', email: 'x@example.com', password: 'long enough' } });
      expectRateLimited(res);
      // Nothing was created for the limited call.
      const count = await server.execute(UsersDocument, {}, { token });
      expect(count.body.data?.users.totalCount).toBe(2);
    } finally {
      await server.close();
    }
  });

  it('limits refreshes per IP, before the token is looked at', async () => {
    const server = await startTestServer({ ...DEFAULT_LIMITS, RATE_LIMIT_REFRESH_IP: '2/1m' });
    try {
      const { refreshToken } = await signUp(server);
      const refresh = (token: string) => server.execute(RefreshTokenDocument, { token });
      expect(errorOf(await refresh('A'.repeat(43))).reason).toBe('REFRESH_TOKEN_INVALID');
      expect(errorOf(await refresh('B'.repeat(43))).reason).toBe('REFRESH_TOKEN_INVALID');
      expectRateLimited(await refresh(refreshToken!));
    } finally {
      await server.close();
    }
  });

  it('limits password changes per IP', async () => {
    const server = await startTestServer({ ...DEFAULT_LIMITS, RATE_LIMIT_CHANGE_PASSWORD_IP: '1/1m' });
    try {
      const { token } = await signUp(server);
      const change = (currentPassword: string) => server.execute(ChangePasswordDocument, { currentPassword, newPassword: 'new long passphrase' }, { token });
      expect(errorOf(await change('wrong password')).reason).toBe('INVALID_CREDENTIALS');
      expectRateLimited(await change(TEST_PASSWORD));
    } finally {
      await server.close();
    }
  });
});

describe('a limited call does no password work', () => {
  it('calls bcrypt for the counted attempts only', async () => {
    const config = loadConfig(testEnv(DEFAULT_LIMITS));
    const { db, close } = await openTestDatabase();
    const real = await createPasswordHasher({ cost: 4, workers: 1, queueMax: 10 });
    let compares = 0;
    const counting: PasswordHasher = {
      ...real,
      verify: (password, hash) => ((compares += 1), real.verify(password, hash)),
      verifyDummy: (password) => ((compares += 1), real.verifyDummy(password)),
    };
    const clock = new TestClock();
    const limits = await createAuthLimits(config.limits, createLogger('silent'), clock);
    const users = new UserService(counting, clock, db.users);
    const rotation = createRotationKey(config.jwt.secret!);
    const sessions = new SessionService(config.sessions, rotation, clock, db.sessions, users);
    const devices = createDeviceTokens(config.jwt.secret!, clock);
    const mfa = new MfaService(config.mfa, clock, db.mfa);
    const auth = new AuthService(users, counting, createTokenService(config.jwt, clock), limits, sessions, rotation, devices, mfa, createLogger('silent'));
    const meta = { requestId: 'r', clientIp: '192.0.2.1' };
    try {
      await auth.signup({ name: 'Ann', email: 'ann@example.com', password: TEST_PASSWORD }, meta);
      for (let i = 0; i < 5; i++) await expect(auth.login({ email: 'ann@example.com', password: 'wrong password' }, meta)).rejects.toThrow('Invalid combination');
      expect(compares).toBe(5);
      for (let i = 0; i < 10; i++) await expect(auth.login({ email: 'ann@example.com', password: TEST_PASSWORD }, meta)).rejects.toThrow('Too many attempts');
      expect(compares).toBe(5);
    } finally {
      await limits.close();
      await real.close();
      await close();
    }
  });
});

describe('audit log', () => {
  it('writes one line per auth event with the request id, and never a password or token', async () => {
    const logs = new LogCapture();
    const server = await startTestServer({ ...DEFAULT_LIMITS, LOG_LEVEL: 'info', LOGIN_MAX_FAILURES: '1' }, undefined, logs);
    try {
      const { email, token } = await signUp(server, { password: 'signup secret pw' });
      const ok = await login(server, email, 'signup secret pw', { 'x-request-id': 'req-ok' });
      await login(server, email, 'a wrong secret pw');
      await login(server, email, 'a wrong secret pw');
      const events = logs.lines.filter((line) => line.event).map((line) => line.event);
      expect(events).toEqual(['signup', 'email.verification_requested', 'login.success', 'login.failure', 'rate_limited']);
      expect(logs.lines.find((line) => line.event === 'login.success')).toMatchObject({ requestId: 'req-ok', ip: '127.0.0.1' });
      const all = JSON.stringify(logs.lines);
      for (const secret of ['signup secret pw', 'a wrong secret pw', token, ok.body.data!.login.accessToken, '$2']) {
        expect(all).not.toContain(secret);
      }
    } finally {
      await server.close();
    }
  });
});

describeWithService(REDIS, 'with Redis (REDIS_URL)', () => {
  it('shares the per-account and per-IP counters between two instances', async () => {
    const env = { ...DEFAULT_LIMITS, REDIS_URL: REDIS.url, TRUSTED_PROXIES: '127.0.0.1', RATE_LIMIT_LOGIN_IP: '8/1m' };
    const a = await startTestServer(env);
    const b = await startTestServer(env);
    try {
      const email = `shared-${randomBytes(4).toString('hex')}@example.com`;
      const client = { 'x-forwarded-for': `198.18.${randomInt(256)}.${randomInt(256)}` };
      for (let i = 0; i < 5; i++) {
        const server = i % 2 === 0 ? a : b;
        expect(errorOf(await login(server, email, 'wrong password', client)).reason).toBe('INVALID_CREDENTIALS');
      }
      // The account is backed off on both instances.
      expectRateLimited(await login(a, email, 'wrong password', client));
      expectRateLimited(await login(b, email, 'wrong password', client));
      // 7 of the client's 8 attempts are spent (5 failures + 2 limited); one more, then the IP is limited everywhere.
      expect(errorOf(await login(b, `other-${email}`, 'wrong password', client)).reason).toBe('INVALID_CREDENTIALS');
      expectRateLimited(await login(a, `third-${email}`, 'wrong password', client));
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('keeps answering, and limiting per instance, when Redis cannot be reached; and says so in the log', async () => {
    const logs = new LogCapture();
    const server = await startTestServer({ ...DEFAULT_LIMITS, REDIS_URL: 'redis://127.0.0.1:1', LOG_LEVEL: 'warn' }, undefined, logs);
    try {
      const { email } = await signUp(server);
      for (let i = 0; i < 5; i++) expect(errorOf(await login(server, email, 'wrong password')).reason).toBe('INVALID_CREDENTIALS');
      expectRateLimited(await login(server, email, TEST_PASSWORD));
      expect(logs.lines.some((line) => String(line.msg).includes('redis unavailable'))).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('keeps answering when Redis goes away mid-run, and shares again when it is back', async () => {
    const binary = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout.trim();
    if (!binary) throw new Error('redis-server is not installed: this test starts and kills its own Redis');
    const port = await freePort();
    let redis = await startRedis(binary, port);
    const logs = new LogCapture();
    const server = await startTestServer({ ...DEFAULT_LIMITS, REDIS_URL: `redis://127.0.0.1:${port}`, LOG_LEVEL: 'info' }, undefined, logs);
    try {
      const { email } = await signUp(server);
      for (let i = 0; i < 2; i++) expect(errorOf(await login(server, email, 'wrong password')).reason).toBe('INVALID_CREDENTIALS');

      await stopRedis(redis);
      const during = await login(server, email, TEST_PASSWORD);
      expect(during.status).toBe(200);
      expect(during.body.errors).toBeUndefined();
      await logs.waitForLine((line) => String(line.msg).includes('redis unavailable'));

      redis = await startRedis(binary, port);
      await logs.waitForLine((line) => String(line.msg).includes('redis available again'));
      for (let i = 0; i < 5; i++) expect(errorOf(await login(server, email, 'wrong password')).reason).toBe('INVALID_CREDENTIALS');
      expectRateLimited(await login(server, email, TEST_PASSWORD));
      // Those failures are in Redis again: a second instance sees the backoff.
      const other = await startTestServer({ ...DEFAULT_LIMITS, REDIS_URL: `redis://127.0.0.1:${port}` });
      try {
        expectRateLimited(await login(other, email, TEST_PASSWORD));
      } finally {
        await other.close();
      }
    } finally {
      await server.close();
      await stopRedis(redis);
    }
  });
});

/** A redis-server of the test's own on `port`; resolves once it says it accepts connections. */
function startRedis(binary: string, port: number): Promise<ChildProcess> {
  const child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${output}`)), 10_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (!output.includes('Ready to accept connections')) return;
      clearTimeout(timer);
      resolve(child);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}:\n${output}`));
    });
  });
}

function stopRedis(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}
