// Attacks on sessions and refresh tokens, one per test: each is refused with the exact reason,
// and no response leaks anything (the harness checks every one).
import { randomUUID } from 'node:crypto';
import { MeDocument, RefreshTokenDocument, SessionsDocument, SignupDocument } from '../../src/client/graphql';
import { decodePayload, forgeToken } from '../helpers/jwt';
import { errorOf, signUp, TEST_PASSWORD, type TestServer } from '../helpers/server';
import { DEFAULT_LIMITS, startAttackedServer } from './harness';

let server: TestServer;
beforeAll(async () => {
  server = await startAttackedServer({ ...DEFAULT_LIMITS, RATE_LIMIT_SIGNUP_IP: '1000/1m', RATE_LIMIT_REFRESH_IP: '20/1m', TRUSTED_PROXIES: '127.0.0.1' });
});
afterAll(() => server.close());

let client = 0;
/** Each test its own client address (through the trusted proxy), so the per-IP limit is per test. */
function from(): Record<string, string> {
  client += 1;
  return { 'x-forwarded-for': `198.51.100.${client}` };
}

it('guessing refresh tokens is limited per client IP, and a guess never matches', async () => {
  const headers = from();
  for (let i = 0; i < 20; i++) {
    const guess = Buffer.from(randomUUID() + randomUUID()).toString('base64url').slice(0, 43);
    expect(errorOf(await server.execute(RefreshTokenDocument, { token: guess }, { headers })).reason).toBe('REFRESH_TOKEN_INVALID');
  }
  const limited = await server.execute(RefreshTokenDocument, { token: 'A'.repeat(43) }, { headers });
  expect(limited.status).toBe(429);
  expect(errorOf(limited).code).toBe('RATE_LIMITED');
});

it.each([
  ['SQL in the token', "' OR 1=1 --"],
  ['an empty string', ''],
  ['unicode', 'é'.repeat(43)],
  ['a token with a trailing newline', `${'A'.repeat(43)}\n`],
])('%s: REFRESH_TOKEN_INVALID', async (_name, token) => {
  expect(errorOf(await server.execute(RefreshTokenDocument, { token }, { headers: from() }))).toEqual({ code: 'UNAUTHENTICATED', reason: 'REFRESH_TOKEN_INVALID' });
});

it('a refresh token is not an access token, and an access token is not a refresh token', async () => {
  const user = await signUp(server);
  expect(errorOf(await server.execute(MeDocument, {}, { token: user.refreshToken! }))).toEqual({ code: 'UNAUTHENTICATED', reason: 'TOKEN_INVALID' });
  expect(errorOf(await server.execute(RefreshTokenDocument, { token: user.token }, { headers: from() }))).toEqual({
    code: 'UNAUTHENTICATED',
    reason: 'REFRESH_TOKEN_INVALID',
  });
});

it("an access token re-signed (with the leaked secret) to carry someone else's session is refused", async () => {
  const alice = await signUp(server);
  const bob = await signUp(server);
  const claims = { ...decodePayload(alice.token), sid: decodePayload(bob.token).sid };
  const forged = forgeToken({ alg: 'HS256', typ: 'JWT' }, claims, server.config.jwt.secret!);
  expect(errorOf(await server.execute(MeDocument, {}, { token: forged }))).toEqual({ code: 'UNAUTHENTICATED', reason: 'TOKEN_INVALID' });
});

it('an access token without a session, or with a made-up one, is refused', async () => {
  const alice = await signUp(server);
  const { sid: _sid, ...withoutSid } = decodePayload(alice.token);
  const secret = server.config.jwt.secret!;
  expect(errorOf(await server.execute(MeDocument, {}, { token: forgeToken({ alg: 'HS256', typ: 'JWT' }, withoutSid, secret) }))).toEqual({
    code: 'UNAUTHENTICATED',
    reason: 'TOKEN_INVALID',
  });
  const madeUp = forgeToken({ alg: 'HS256', typ: 'JWT' }, { ...decodePayload(alice.token), sid: randomUUID() }, secret);
  expect(errorOf(await server.execute(MeDocument, {}, { token: madeUp }))).toEqual({ code: 'UNAUTHENTICATED', reason: 'TOKEN_REVOKED' });
});

it("revokeSession does not tell someone else's session from one that does not exist", async () => {
  const victim = await signUp(server);
  const mallory = await signUp(server);
  // No typed operation for revokeSession (schema/operations/ has none): inline.
  const revoke = 'mutation($id: ID!) { revokeSession(id: $id) }';
  const theirs = await server.graphql(revoke, { id: decodePayload(victim.token).sid }, { token: mallory.token });
  const nobodys = await server.graphql(revoke, { id: randomUUID() }, { token: mallory.token });
  expect(theirs.body).toEqual(nobodys.body);
  expect(errorOf(theirs)).toEqual({ code: 'BAD_USER_INPUT', reason: 'NOT_FOUND' });
});

it("sessions lists only the caller's own sessions", async () => {
  const victim = await signUp(server);
  const mallory = await signUp(server);
  const res = await server.execute(SessionsDocument, {}, { token: mallory.token });
  expect(res.body.data?.sessions.map((session) => session.id)).toEqual([decodePayload(mallory.token).sid]);
  expect(res.text).not.toContain(decodePayload(victim.token).sid as string);
});

describe('in cookie mode', () => {
  const APP = 'https://app.example.test';
  let spa: TestServer;
  beforeAll(async () => {
    spa = await startAttackedServer({
      ...DEFAULT_LIMITS,
      AUTH_COOKIE_MODE: 'true',
      CORS_ORIGINS: APP,
      RATE_LIMIT_SIGNUP_IP: '1000/1m',
      RATE_LIMIT_REFRESH_IP: '1/1m',
      TRUSTED_PROXIES: '127.0.0.1',
    });
  });
  afterAll(() => spa.close());

  const refreshCookies = (headers: Headers) => headers.getSetCookie().filter((cookie) => cookie.startsWith('refresh_token='));
  const browser = (cookie: string, address: string) => ({ cookie: `refresh_token=${cookie}`, origin: APP, 'x-forwarded-for': address });

  it('a rate-limited refresh keeps the refresh cookie: a busy neighbour behind the same NAT does not log the user out', async () => {
    const signup = await spa.execute(SignupDocument, { input: { name: 'N', email: 'nat-user@example.com', password: TEST_PASSWORD } });
    const cookie = /^refresh_token=([A-Za-z0-9_-]{43});/.exec(refreshCookies(signup.headers)[0])![1];
    const nat = '203.0.113.50';
    // The neighbour spends the NAT's refresh allowance.
    expect(errorOf(await spa.execute(RefreshTokenDocument, { token: 'A'.repeat(43) }, { headers: { 'x-forwarded-for': nat } })).reason).toBe('REFRESH_TOKEN_INVALID');

    const limited = await spa.execute(RefreshTokenDocument, {}, { headers: browser(cookie, nat) });
    expect(limited.status).toBe(429);
    expect(errorOf(limited).code).toBe('RATE_LIMITED');
    expect(refreshCookies(limited.headers)).toEqual([]);
    // The cookie the browser kept still works.
    const later = await spa.execute(RefreshTokenDocument, {}, { headers: browser(cookie, '203.0.113.51') });
    expect(later.body.errors).toBeUndefined();
  });

  it('control: a dead refresh cookie is cleared', async () => {
    const res = await spa.execute(RefreshTokenDocument, {}, { headers: browser('B'.repeat(43), '203.0.113.52') });
    expect(errorOf(res)).toEqual({ code: 'UNAUTHENTICATED', reason: 'REFRESH_TOKEN_INVALID' });
    expect(refreshCookies(res.headers)).toEqual(['refresh_token=; Max-Age=0; Path=/graphql; HttpOnly; Secure; SameSite=Strict']);
  });
});
