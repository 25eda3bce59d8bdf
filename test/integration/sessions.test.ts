// Sessions over real HTTP and a real database (SQLite in memory, or PostgreSQL): rotation, reuse detection, logout,
// password change, expiry, and the per-request session check. Time moves only with the test clock.
import { createHash } from 'node:crypto';
import {
  ChangePasswordDocument,
  LogoutDocument,
  MeDocument,
  RefreshTokenDocument,
  SessionsDocument,
  SetUserRoleDocument,
  type RefreshTokenMutation,
} from '../../src/client/graphql';
import { SQLITE_DATA_VERSION_SQL } from '../../src/db/session-cache';
import { SESSION_WITH_USER_SQL } from '../../src/db/sessions.store';
import { Role } from '../../src/shared/role';
import { queriesDuring } from '../helpers/database';
import { decodePayload } from '../helpers/jwt';
import { errorOf, expectUnauthenticated, LogCapture, logIn, signUp, startTestServer, TEST_PASSWORD, type GraphQLResponse, type TestServer } from '../helpers/server';

const GRACE = 10;

let server: TestServer;
beforeAll(async () => {
  // Mail off: the outbox sender's writes (signup's verification email) would move the kept answers' counters.
  server = await startTestServer({ REFRESH_REUSE_GRACE: String(GRACE), MAIL_DISABLED: 'true' });
});
afterAll(() => server.close());

type Pair = RefreshTokenMutation['refreshToken'];

async function refresh(token: string | null, target = server): Promise<GraphQLResponse<RefreshTokenMutation>> {
  return target.execute(RefreshTokenDocument, { token });
}

async function refreshed(token: string, target = server): Promise<Pair> {
  const res = await refresh(token, target);
  if (!res.body.data) throw new Error(`refresh failed: ${res.text}`);
  return res.body.data.refreshToken;
}

async function me(token: string, target = server) {
  return target.execute(MeDocument, {}, { token });
}

async function expectWorks(token: string, target = server): Promise<void> {
  const res = await me(token, target);
  expect(res.body.errors).toBeUndefined();
  expect(res.body.data?.me.id).toEqual(expect.any(String));
}

async function liveTokensOf(sessionId: string, target = server): Promise<number> {
  const rows = await target.app.db.sql.all(
    'select t.id from refresh_tokens t join sessions s on s.id = t.session_id where s.public_id = ? and t.rotated_at is null',
    [sessionId],
  );
  return rows.length;
}

/** What a request served from a kept answer runs: nothing, on either database (SQLite counts this process's writes in memory). */
const KEPT: string[] = [];
/** The statements a request ran, without SQLite's data_version readings, taken once per millisecond of the server's clock. */
const runBy = async (target: TestServer, action: () => Promise<unknown>) =>
  (await queriesDuring(target, action)).filter((query) => query !== SQLITE_DATA_VERSION_SQL);

/** `me` twice, the second time from the kept answer: the cache is warm for this token. */
/**
 * `me` until an answer comes from the kept answer: the cache is warm for this token. On PostgreSQL the
 * announcements of this test's own earlier writes (a signup's role change) may still be arriving, each
 * dropping the answer again, so a few tries are allowed; a cache that never keeps fails all of them.
 */
async function warm(token: string, target = server): Promise<void> {
  const tries: string[][] = [];
  for (let attempt = 0; attempt < 5; attempt += 1) {
    await expectWorks(token, target);
    tries.push(await runBy(target, () => expectWorks(token, target)));
    if (JSON.stringify(tries.at(-1)) === JSON.stringify(KEPT)) return;
  }
  expect(tries.at(-1)).toEqual(KEPT);
}

describe('the kept session answer', () => {
  it('is used while nothing has been written: the next request reads no table', async () => {
    const user = await signUp(server);
    expect(await runBy(server, () => expectWorks(user.token))).toEqual([...KEPT, SESSION_WITH_USER_SQL]);
    expect(await runBy(server, () => expectWorks(user.token))).toEqual(KEPT);
  });

  it('is not used after any write of this process, even one about someone else', async () => {
    const alice = await signUp(server);
    const bob = await signUp(server);
    await warm(alice.token);
    expect((await server.execute(LogoutDocument, {}, { token: bob.token })).body.data).toEqual({ logout: true });
    expect(await runBy(server, () => expectWorks(alice.token))).toEqual([...KEPT, SESSION_WITH_USER_SQL]);
  });

  it('logout: the warm token is refused on the next request', async () => {
    const user = await signUp(server);
    await warm(user.token);
    await server.execute(LogoutDocument, {}, { token: user.token });
    await expectUnauthenticated(me(user.token), 'TOKEN_REVOKED');
  });

  it('demotion (setUserRole): the warm token is refused on the next request', async () => {
    const admin = await signUp(server, { role: Role.ADMIN });
    const target = await signUp(server, { role: Role.ADMIN });
    await warm(target.token);
    await server.execute(SetUserRoleDocument, { id: target.id, role: 'USER' }, { token: admin.token });
    await expectUnauthenticated(me(target.token), 'TOKEN_REVOKED');
  });

  it('deletion: the warm token says USER_NOT_FOUND on the next request', async () => {
    const admin = await signUp(server, { role: Role.ADMIN });
    const target = await signUp(server);
    await warm(target.token);
    await server.graphql('mutation($id: ID!) { deleteUser(id: $id) }', { id: target.id }, { token: admin.token });
    await expectUnauthenticated(me(target.token), 'USER_NOT_FOUND');
  });

  it('password change: the warm token from before it is refused on the next request', async () => {
    const user = await signUp(server);
    const other = await logIn(server, user.email);
    await warm(other.accessToken);
    const res = await server.execute(ChangePasswordDocument, { currentPassword: TEST_PASSWORD, newPassword: 'a brand new passphrase' }, { token: user.token });
    expect(res.body.errors).toBeUndefined();
    await expectUnauthenticated(me(other.accessToken), 'TOKEN_REVOKED');
  });

});

describe('the token pair', () => {
  it('signup and login return an opaque 256-bit refresh token with its lifetime, and an access token naming the session', async () => {
    const user = await signUp(server);
    expect(user.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const login = await logIn(server, user.email);
    expect(login.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(login.refreshToken).not.toBe(user.refreshToken);
    expect(login.refreshExpiresIn).toBe(30 * 24 * 3600);
    const sid = decodePayload(login.accessToken).sid;
    expect(sid).toMatch(/^[0-9a-f-]{36}$/);
    expect(sid).not.toBe(decodePayload(user.token).sid);
  });

  it('stores only the SHA-256 hash of a refresh token', async () => {
    const user = await signUp(server);
    const sql = server.app.db.sql;
    const sha = createHash('sha256').update(user.refreshToken!).digest('base64url');
    expect(await sql.all('select id from refresh_tokens where token_hash = ?', [sha])).toHaveLength(1);
    const rows = await sql.all('select * from refresh_tokens');
    expect(JSON.stringify(rows)).not.toContain(user.refreshToken);
  });
});

describe('rotation', () => {
  it('returns a new pair each time, and both new tokens work', async () => {
    const user = await signUp(server);
    const first = await refreshed(user.refreshToken!);
    expect(first.refreshToken).not.toBe(user.refreshToken);
    expect(first.accessToken).not.toBe(user.token);
    expect(first.user.id).toBe(user.id);
    await expectWorks(first.accessToken);
    server.clock.advance(GRACE);
    const second = await refreshed(first.refreshToken!);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    await expectWorks(second.accessToken);
    expect(decodePayload(second.accessToken).sid).toBe(decodePayload(user.token).sid);
  });

  it('spends the old refresh token: after the grace interval it is a reuse', async () => {
    const user = await signUp(server);
    await refreshed(user.refreshToken!);
    server.clock.advance(GRACE);
    await expectUnauthenticated(refresh(user.refreshToken), 'REFRESH_TOKEN_REUSED');
  });

  it('keeps exactly one live refresh token per session', async () => {
    const user = await signUp(server);
    let token = user.refreshToken!;
    for (let i = 0; i < 3; i++) {
      token = (await refreshed(token)).refreshToken!;
      server.clock.advance(GRACE);
    }
    expect(await liveTokensOf(decodePayload(user.token).sid as string)).toBe(1);
  });
});

describe('reuse detection', () => {
  it("a thief replaying the victim's spent token ends the session: the victim's tokens stop working too", async () => {
    const victim = await signUp(server);
    const stolen = victim.refreshToken!;
    const current = await refreshed(stolen);
    server.clock.advance(GRACE + 1);

    await expectUnauthenticated(refresh(stolen), 'REFRESH_TOKEN_REUSED');
    await expectUnauthenticated(me(current.accessToken), 'TOKEN_REVOKED');
    await expectUnauthenticated(refresh(current.refreshToken), 'TOKEN_REVOKED');
    await expectUnauthenticated(me(victim.token), 'TOKEN_REVOKED');
  });

  it("a thief who refreshed first loses everything when the victim's token comes back", async () => {
    const victim = await signUp(server);
    const thief = await refreshed(victim.refreshToken!);
    server.clock.advance(GRACE + 1);

    await expectUnauthenticated(refresh(victim.refreshToken), 'REFRESH_TOKEN_REUSED');
    await expectUnauthenticated(me(thief.accessToken), 'TOKEN_REVOKED');
    await expectUnauthenticated(refresh(thief.refreshToken), 'TOKEN_REVOKED');
    await expectUnauthenticated(me(victim.token), 'TOKEN_REVOKED');
  });

  it('ends only that session: the same user logged in elsewhere is untouched', async () => {
    const user = await signUp(server);
    const elsewhere = await logIn(server, user.email);
    await refreshed(user.refreshToken!);
    server.clock.advance(GRACE + 1);
    await expectUnauthenticated(refresh(user.refreshToken), 'REFRESH_TOKEN_REUSED');
    await expectWorks(elsewhere.accessToken);
    await refreshed(elsewhere.refreshToken!);
  });

  it('two refreshes with one token inside the grace interval both succeed, with the very same pair', async () => {
    const user = await signUp(server);
    const first = await refreshed(user.refreshToken!);
    server.clock.advance(GRACE - 1);
    const second = await refreshed(user.refreshToken!);
    expect(second.refreshToken).toBe(first.refreshToken);
    expect(second.accessToken).toBe(first.accessToken);
    // Lifetimes are relative: 9 s later, 9 s less.
    expect(second.refreshExpiresIn).toBe(first.refreshExpiresIn - (GRACE - 1));
    await expectWorks(second.accessToken);
    // The pair goes on rotating normally from there.
    const third = await refreshed(second.refreshToken!);
    await expectWorks(third.accessToken);
  });

  it('20 parallel refreshes with one token all get the same pair, and one live token remains', async () => {
    const user = await signUp(server);
    const results = await Promise.all(Array.from({ length: 20 }, () => refresh(user.refreshToken)));
    const pairs = results.map((res) => res.body.data?.refreshToken);
    expect(results.map((res) => res.body.errors)).toEqual(Array(20).fill(undefined));
    expect(new Set(pairs.map((pair) => pair?.refreshToken)).size).toBe(1);
    expect(new Set(pairs.map((pair) => pair?.accessToken)).size).toBe(1);
    expect(await liveTokensOf(decodePayload(user.token).sid as string)).toBe(1);
    await expectWorks(pairs[0]!.accessToken);
  });

  it('without a grace interval, 20 parallel refreshes leave no two diverging live tokens', async () => {
    const strict = await startTestServer({ REFRESH_REUSE_GRACE: '0' });
    try {
      const user = await signUp(strict);
      const results = await Promise.all(Array.from({ length: 20 }, () => refresh(user.refreshToken, strict)));
      const winners = results.filter((res) => res.body.data);
      expect(winners).toHaveLength(1);
      // The first loser is a reuse and ends the session; later ones find it ended.
      const reasons = results.filter((each) => !each.body.data).map((each) => errorOf(each).reason);
      expect(reasons).toContain('REFRESH_TOKEN_REUSED');
      for (const reason of reasons) expect(['REFRESH_TOKEN_REUSED', 'TOKEN_REVOKED']).toContain(reason);
      // The concurrent reuse ended the family, the winner's pair included: nothing diverges.
      await expectUnauthenticated(refresh(winners[0].body.data!.refreshToken.refreshToken, strict), 'TOKEN_REVOKED');
    } finally {
      await strict.close();
    }
  });
});

describe('bad refresh tokens', () => {
  it.each([
    ['an unknown token', 'REFRESH_TOKEN_INVALID', 'A'.repeat(43)],
    ['a malformed token', 'REFRESH_TOKEN_INVALID', "'; drop table sessions; --"],
    ['a 100 kB token', 'REFRESH_TOKEN_INVALID', 'x'.repeat(100_000)],
    ['an access token', 'REFRESH_TOKEN_INVALID', 'eyJhbGciOiJIUzI1NiJ9.e30.x'],
  ])('%s: UNAUTHENTICATED / %s', async (_name, reason, token) => {
    await expectUnauthenticated(refresh(token), reason);
  });

  it('no token outside cookie mode: REFRESH_TOKEN_MISSING', async () => {
    await expectUnauthenticated(refresh(null), 'REFRESH_TOKEN_MISSING');
  });
});

describe('logout', () => {
  async function threeSessions() {
    const user = await signUp(server);
    const second = await logIn(server, user.email);
    const third = await logIn(server, user.email);
    return { user, here: { accessToken: user.token, refreshToken: user.refreshToken! }, second, third };
  }

  it('LOCAL (the default) ends this session only', async () => {
    const { here, second } = await threeSessions();
    const res = await server.execute(LogoutDocument, {}, { token: here.accessToken });
    expect(res.body.data).toEqual({ logout: true });
    await expectUnauthenticated(me(here.accessToken), 'TOKEN_REVOKED');
    await expectUnauthenticated(refresh(here.refreshToken), 'TOKEN_REVOKED');
    await expectWorks(second.accessToken);
    await refreshed(second.refreshToken!);
  });

  it('OTHERS ends every other session and keeps this one', async () => {
    const { here, second, third } = await threeSessions();
    const res = await server.execute(LogoutDocument, { scope: 'OTHERS' }, { token: here.accessToken });
    expect(res.body.data).toEqual({ logout: true });
    await expectWorks(here.accessToken);
    for (const other of [second, third]) {
      await expectUnauthenticated(me(other.accessToken), 'TOKEN_REVOKED');
      await expectUnauthenticated(refresh(other.refreshToken), 'TOKEN_REVOKED');
    }
    await refreshed(here.refreshToken);
  });

  it('GLOBAL ends every session of the user, and no one else’s', async () => {
    const { here, second, third } = await threeSessions();
    const bystander = await signUp(server);
    const res = await server.execute(LogoutDocument, { scope: 'GLOBAL' }, { token: here.accessToken });
    expect(res.body.data).toEqual({ logout: true });
    for (const session of [here, second, third]) {
      await expectUnauthenticated(me(session.accessToken), 'TOKEN_REVOKED');
      await expectUnauthenticated(refresh(session.refreshToken), 'TOKEN_REVOKED');
    }
    await expectWorks(bystander.token);
  });

  it('needs an access token', async () => {
    expect(errorOf(await server.execute(LogoutDocument, {}))).toEqual({ code: 'UNAUTHENTICATED', reason: 'TOKEN_MISSING' });
  });
});

describe('changePassword', () => {
  const NEW_PASSWORD = 'a brand new passphrase';

  it('rejects a wrong current password with INVALID_CREDENTIALS and changes nothing', async () => {
    const user = await signUp(server);
    const other = await logIn(server, user.email);
    const res = await server.execute(ChangePasswordDocument, { currentPassword: 'not my password', newPassword: NEW_PASSWORD }, { token: user.token });
    expect(errorOf(res)).toEqual({ code: 'UNAUTHENTICATED', reason: 'INVALID_CREDENTIALS' });
    await expectWorks(user.token);
    await expectWorks(other.accessToken);
    await logIn(server, user.email, TEST_PASSWORD);
  });

  it('applies the password rules to the new password', async () => {
    const user = await signUp(server);
    const res = await server.execute(ChangePasswordDocument, { currentPassword: TEST_PASSWORD, newPassword: 'short' }, { token: user.token });
    expect(errorOf(res)).toEqual({ code: 'BAD_USER_INPUT', reason: 'INVALID_INPUT' });
    expect(res.body.errors?.[0].extensions?.fields).toEqual({ newPassword: expect.stringContaining('at least 8') });
    await expectWorks(user.token);
  });

  it('ends every other session, rejects every token issued before, and returns a working pair', async () => {
    const user = await signUp(server);
    const other = await logIn(server, user.email);
    const res = await server.execute(ChangePasswordDocument, { currentPassword: TEST_PASSWORD, newPassword: NEW_PASSWORD }, { token: user.token });
    expect(res.body.errors).toBeUndefined();
    const fresh = res.body.data!.changePassword;
    expect(fresh.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);

    await expectUnauthenticated(me(other.accessToken), 'TOKEN_REVOKED');
    await expectUnauthenticated(refresh(other.refreshToken), 'TOKEN_REVOKED');
    await expectUnauthenticated(me(user.token), 'TOKEN_REVOKED');
    await expectUnauthenticated(refresh(user.refreshToken), 'TOKEN_REVOKED');

    await expectWorks(fresh.accessToken);
    await expectWorks((await refreshed(fresh.refreshToken!)).accessToken);
    await expect(logIn(server, user.email, TEST_PASSWORD)).rejects.toThrow('INVALID_CREDENTIALS');
    await logIn(server, user.email, NEW_PASSWORD);
  });
});

describe('sessions and revokeSession', () => {
  it('lists the active sessions, marking the current one and the user agent', async () => {
    const user = await signUp(server);
    await logIn(server, user.email, TEST_PASSWORD, { headers: { 'user-agent': 'TestBrowser/1.0' } });
    const ended = await logIn(server, user.email);
    await server.execute(LogoutDocument, {}, { token: ended.accessToken });

    const res = await server.execute(SessionsDocument, {}, { token: user.token });
    const sessions = res.body.data!.sessions;
    expect(sessions).toHaveLength(2);
    expect(sessions.filter((session) => session.current).map((session) => session.id)).toEqual([decodePayload(user.token).sid]);
    expect(sessions.map((session) => session.userAgent)).toContain('TestBrowser/1.0');
    expect(sessions[0]).toMatchObject({ createdAt: expect.any(String), lastUsedAt: expect.any(String), expiresAt: expect.any(String) });
  });

  it('ends one of your own sessions: true, then false once it has ended', async () => {
    const user = await signUp(server);
    const other = await logIn(server, user.email);
    const id = decodePayload(other.accessToken).sid;
    const revoke = 'mutation($id: ID!) { revokeSession(id: $id) }';
    expect((await server.graphql(revoke, { id }, { token: user.token })).body.data).toEqual({ revokeSession: true });
    await expectUnauthenticated(me(other.accessToken), 'TOKEN_REVOKED');
    expect((await server.graphql(revoke, { id }, { token: user.token })).body.data).toEqual({ revokeSession: false });
  });

  it("says NOT_FOUND for someone else's session, unless you are an ADMIN", async () => {
    const victim = await signUp(server);
    const mallory = await signUp(server);
    const admin = await signUp(server, { role: Role.ADMIN });
    const revoke = 'mutation($id: ID!) { revokeSession(id: $id) }';
    const id = decodePayload(victim.token).sid;
    expect(errorOf(await server.graphql(revoke, { id }, { token: mallory.token }))).toEqual({ code: 'BAD_USER_INPUT', reason: 'NOT_FOUND' });
    expect(errorOf(await server.graphql(revoke, { id: 'not-a-uuid' }, { token: mallory.token }))).toEqual({ code: 'BAD_USER_INPUT', reason: 'NOT_FOUND' });
    await expectWorks(victim.token);
    expect((await server.graphql(revoke, { id }, { token: admin.token })).body.data).toEqual({ revokeSession: true });
    await expectUnauthenticated(me(victim.token), 'TOKEN_REVOKED');
  });
});

describe('admin actions end sessions', () => {
  it("setUserRole ends the target's sessions", async () => {
    const admin = await signUp(server, { role: Role.ADMIN });
    const target = await signUp(server);
    await server.execute(SetUserRoleDocument, { id: target.id, role: 'ADMIN' }, { token: admin.token });
    await expectUnauthenticated(me(target.token), 'TOKEN_REVOKED');
    await expectUnauthenticated(refresh(target.refreshToken), 'TOKEN_REVOKED');
  });

  it('deleteUser deletes the user with their sessions: their access token says USER_NOT_FOUND, their refresh token is invalid', async () => {
    const admin = await signUp(server, { role: Role.ADMIN });
    const target = await signUp(server);
    const res = await server.graphql('mutation($id: ID!) { deleteUser(id: $id) }', { id: target.id }, { token: admin.token });
    expect(res.body.data).toEqual({ deleteUser: true });
    await expectUnauthenticated(me(target.token), 'USER_NOT_FOUND');
    await expectUnauthenticated(refresh(target.refreshToken), 'REFRESH_TOKEN_INVALID');
    expect(await server.app.db.sql.all('select s.id from sessions s join users u on u.id = s.user_id where u.public_id = ?', [target.id])).toHaveLength(0);
  });

  it('deleteUser refuses an unknown id with NOT_FOUND and the last ADMIN with LAST_ADMIN', async () => {
    const lone = await startTestServer();
    try {
      const admin = await signUp(lone, { role: Role.ADMIN });
      const del = 'mutation($id: ID!) { deleteUser(id: $id) }';
      expect(errorOf(await lone.graphql(del, { id: '00000000-0000-4000-8000-000000000000' }, { token: admin.token }))).toEqual({
        code: 'BAD_USER_INPUT',
        reason: 'NOT_FOUND',
      });
      expect(errorOf(await lone.graphql(del, { id: admin.id }, { token: admin.token }))).toEqual({ code: 'BAD_USER_INPUT', reason: 'LAST_ADMIN' });
    } finally {
      await lone.close();
    }
  });
});

describe('lifetimes', () => {
  let short: TestServer;
  beforeAll(async () => {
    short = await startTestServer({ REFRESH_TTL: '1h', SESSION_MAX_AGE: '3h' });
  });
  afterAll(() => short.close());

  it('a refresh token unused for REFRESH_TTL has expired', async () => {
    const user = await signUp(short);
    short.clock.advance(3600);
    await expectUnauthenticated(refresh(user.refreshToken, short), 'REFRESH_TOKEN_EXPIRED');
  });

  it('each refresh starts REFRESH_TTL again, up to the absolute SESSION_MAX_AGE', async () => {
    const user = await signUp(short);
    let pair: Pair = { ...(await refreshed(user.refreshToken!, short)) };
    // 50 minutes at a time: each refresh is inside the 1 h sliding window.
    for (let elapsed = 50; elapsed < 180; elapsed += 50) {
      short.clock.advance(50 * 60);
      pair = await refreshed(pair.refreshToken!, short);
    }
    // 150 min in: the next refresh token lives only until the 3 h mark, not a full hour.
    expect(pair.refreshExpiresIn).toBe(30 * 60);
    short.clock.advance(30 * 60);
    await expectUnauthenticated(refresh(pair.refreshToken, short), 'REFRESH_TOKEN_EXPIRED');
  });

  it('an access token stops working when its session reaches the absolute limit, with its answer kept or not', async () => {
    const limited = await startTestServer({ REFRESH_TTL: '1h', SESSION_MAX_AGE: '10m', JWT_ACCESS_TTL: '1h' });
    try {
      const user = await signUp(limited);
      await warm(user.token, limited);
      limited.clock.advance(10 * 60);
      await expectUnauthenticated(me(user.token, limited), 'TOKEN_REVOKED');
    } finally {
      await limited.close();
    }
  });
});

describe('audit log', () => {
  it('logs refresh, refresh.reused, logout and password.changed, and never a token or password', async () => {
    const logs = new LogCapture();
    const logged = await startTestServer({ LOG_LEVEL: 'info' }, undefined, logs);
    try {
      const user = await signUp(logged, { password: 'first secret pw' });
      const pair = await refreshed(user.refreshToken!, logged);
      logged.clock.advance(GRACE + 1);
      await refresh(user.refreshToken, logged);
      const other = await logIn(logged, user.email, 'first secret pw');
      const changed = await logged.execute(ChangePasswordDocument, { currentPassword: 'first secret pw', newPassword: 'second secret pw' }, { token: other.accessToken });
      const fresh = changed.body.data!.changePassword;
      await logged.execute(LogoutDocument, {}, { token: fresh.accessToken });

      const events = logs.lines.filter((line) => line.event).map((line) => line.event);
      expect(events).toEqual(['signup', 'email.verification_requested', 'refresh', 'refresh.reused', 'login.success', 'password.changed', 'logout']);
      expect(logs.lines.find((line) => line.event === 'refresh.reused')).toMatchObject({ level: 40, userId: user.id, sessionId: decodePayload(user.token).sid });
      const all = JSON.stringify(logs.lines);
      for (const secret of [
        'first secret pw',
        'second secret pw',
        user.token,
        user.refreshToken!,
        pair.accessToken,
        pair.refreshToken!,
        other.accessToken,
        other.refreshToken!,
        fresh.accessToken,
        fresh.refreshToken!,
        createHash('sha256').update(user.refreshToken!).digest('base64url'),
        '$2',
      ]) {
        expect(all).not.toContain(secret);
      }
    } finally {
      await logged.close();
    }
  });
});
