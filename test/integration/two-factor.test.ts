// Two-factor authentication end to end over HTTP: enrollment, login → mfaRequired → a restricted session →
// verifyMfa → full access, replay, the drift window, recovery codes, the lockout, disabling, regenerating,
// REQUIRE_MFA_FOR_ADMIN and a server without MFA_ENCRYPTION_KEY, on the run's database.
import {
  ChangePasswordDocument,
  ConfirmTotpEnrollmentDocument,
  DisableTotpDocument,
  LoginDocument,
  MeDocument,
  RefreshTokenDocument,
  RegenerateRecoveryCodesDocument,
  SetUserRoleDocument,
  StartTotpEnrollmentDocument,
  UsersDocument,
  VerifyMfaDocument,
} from '../../src/client/graphql';
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../../src/config';
import { createAuthLimits } from '../../src/limits/limits';
import { createLogger } from '../../src/shared/logger';
import { Role } from '../../src/shared/role';
import { describeWithService, REDIS } from '../helpers/services';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { decodePayload } from '../helpers/jwt';
import { privatePem } from '../helpers/keys';
import { itWithPyJWT, pyjwtVerify } from '../helpers/pyjwt';
import { TestClock } from '../helpers/clock';
import { errorOf, expectUnauthenticated, logIn, signUp, startTestServer, TEST_PASSWORD, testEnv, type GraphQLResponse, type TestServer } from '../helpers/server';
import { enrollTotp, STEP_MS, totpCode, type Enrolled } from '../helpers/totp';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

/** The next step's code: the step of the last accepted code is spent. */
function nextCode(secret: string): string {
  server.clock.advance(STEP_MS / 1000);
  return totpCode(secret, server.clock.now());
}

/** A user with TOTP on, enrolled from their signup session. */
async function enrolledUser(): Promise<{ email: string; id: string; token: string } & Enrolled> {
  const user = await signUp(server);
  return { ...user, ...(await enrollTotp(server, user.token)) };
}

function expectForbidden(res: GraphQLResponse<unknown>, reason?: string): void {
  expect(res.body.errors?.map((error) => [error.extensions?.code, error.extensions?.reason])).toEqual([['FORBIDDEN', reason]]);
  expect(res.status).toBe(403);
}

const users = (token: string) => server.execute(UsersDocument, { first: 1 }, { token });

describe('enrollment', () => {
  it('starts with a base32 secret, its otpauth URL (issuer, email, every parameter) and an SVG QR code', async () => {
    const user = await signUp(server);
    const res = await server.execute(StartTotpEnrollmentDocument, {}, { token: user.token });
    const { secret, otpauthUrl, qrCodeSvg } = res.body.data!.startTotpEnrollment;
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(otpauthUrl).toBe(
      `otpauth://totp/graphql-jwt-auth:${encodeURIComponent(user.email)}?secret=${secret}&issuer=graphql-jwt-auth&algorithm=SHA1&digits=6&period=30`,
    );
    expect(qrCodeSvg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  });

  it('names the account with TOTP_ISSUER', async () => {
    const named = await startTestServer({ TOTP_ISSUER: 'Acme Auth' });
    try {
      const user = await signUp(named);
      const res = await named.execute(StartTotpEnrollmentDocument, {}, { token: user.token });
      expect(res.body.data!.startTotpEnrollment.otpauthUrl).toMatch(/^otpauth:\/\/totp\/Acme%20Auth:[^?]+\?secret=[A-Z2-7]+&issuer=Acme%20Auth&/);
    } finally {
      await named.close();
    }
  });

  it('stores the pending secret encrypted, never in clear', async () => {
    const user = await signUp(server);
    const { secret } = (await server.execute(StartTotpEnrollmentDocument, {}, { token: user.token })).body.data!.startTotpEnrollment;
    const rows = await server.app.db.sql.all<Record<string, unknown>>('select * from totp_factors');
    const text = JSON.stringify(rows);
    expect(text).not.toContain(secret);
    expect(rows.some((row) => typeof row.pending_secret === 'string' && row.pending_secret.startsWith('v1.'))).toBe(true);
  });

  it('turns TOTP on with a current code, and returns ten different recovery codes, stored only as hashes', async () => {
    const user = await signUp(server);
    const { recoveryCodes } = await enrollTotp(server, user.token);
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    for (const code of recoveryCodes) expect(code).toMatch(/^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$/);
    const stored = JSON.stringify(await server.app.db.sql.all('select * from recovery_codes'));
    for (const code of recoveryCodes) expect(stored).not.toContain(code.replace(/-/g, '').toUpperCase());
    expect((await server.execute(MeDocument, {}, { token: user.token })).body.data?.me.mfaEnabled).toBe(true);
  });

  it('gives the confirming session full access at once, with the same access token', async () => {
    const user = await signUp(server);
    // Warm the kept answer of the session, so the next request proves it was dropped.
    expect((await users(user.token)).body.errors).toBeUndefined();
    await enrollTotp(server, user.token);
    const res = await users(user.token);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data?.users.totalCount).toBeGreaterThan(0);
  });

  it("ends the user's other sessions", async () => {
    const user = await signUp(server);
    const other = await logIn(server, user.email);
    await enrollTotp(server, user.token);
    await expectUnauthenticated(server.execute(MeDocument, {}, { token: other.accessToken }), 'TOKEN_REVOKED');
  });

  it('refuses a wrong code with MFA_CODE_INVALID, and leaves TOTP off', async () => {
    const user = await signUp(server);
    const { secret } = (await server.execute(StartTotpEnrollmentDocument, {}, { token: user.token })).body.data!.startTotpEnrollment;
    const wrong = String((Number(totpCode(secret, server.clock.now())) + 1) % 1_000_000).padStart(6, '0');
    const res = await server.execute(ConfirmTotpEnrollmentDocument, { code: wrong }, { token: user.token });
    expect(errorOf(res)).toEqual({ code: 'BAD_USER_INPUT', reason: 'MFA_CODE_INVALID' });
    expect(res.body.errors?.[0].extensions?.fields).toEqual({ code: expect.any(String) });
    expect((await server.execute(MeDocument, {}, { token: user.token })).body.data?.me.mfaEnabled).toBe(false);
  });

  it('refuses a confirmation without a started enrollment with MFA_ENROLLMENT_NOT_STARTED', async () => {
    const user = await signUp(server);
    const res = await server.execute(ConfirmTotpEnrollmentDocument, { code: '123456' }, { token: user.token });
    expect(errorOf(res)).toEqual({ code: 'BAD_USER_INPUT', reason: 'MFA_ENROLLMENT_NOT_STARTED' });
  });

  it('replaces an earlier pending secret when started again', async () => {
    const user = await signUp(server);
    const first = (await server.execute(StartTotpEnrollmentDocument, {}, { token: user.token })).body.data!.startTotpEnrollment.secret;
    await server.execute(StartTotpEnrollmentDocument, {}, { token: user.token });
    const res = await server.execute(ConfirmTotpEnrollmentDocument, { code: totpCode(first, server.clock.now()) }, { token: user.token });
    expect(errorOf(res)).toEqual({ code: 'BAD_USER_INPUT', reason: 'MFA_CODE_INVALID' });
  });

  it('with TOTP on, refuses to start again from a session that has not proven it', async () => {
    const user = await enrolledUser();
    const { accessToken } = await logIn(server, user.email);
    expectForbidden(await server.execute(StartTotpEnrollmentDocument, {}, { token: accessToken }), 'MFA_REQUIRED');
  });

  it('with TOTP on, lets a session that has proven it enroll a new secret', async () => {
    const user = await enrolledUser();
    const again = await enrollTotp(server, user.token);
    expect(again.secret).not.toBe(user.secret);
    const { accessToken } = await logIn(server, user.email);
    const res = await server.execute(VerifyMfaDocument, { code: nextCode(again.secret) }, { token: accessToken });
    expect(res.body.data?.verifyMfa.mfaRequired).toBe(false);
  });
});

describe('login with TOTP on', () => {
  it('returns a pair with mfaRequired: true', async () => {
    const user = await enrolledUser();
    const res = await server.execute(LoginDocument, { input: { email: user.email, password: TEST_PASSWORD } });
    expect(res.body.data?.login).toMatchObject({ mfaRequired: true, user: { mfaEnabled: true } });
  });

  it('gives a session that may call me and logout, and nothing else: FORBIDDEN with MFA_REQUIRED', async () => {
    const user = await enrolledUser();
    const { accessToken } = await logIn(server, user.email);
    expect((await server.execute(MeDocument, {}, { token: accessToken })).body.data?.me).toMatchObject({ id: user.id, mfaEnabled: true });
    expectForbidden(await users(accessToken), 'MFA_REQUIRED');
  });

  it('verifyMfa raises the same session and returns a new pair with full access', async () => {
    const user = await enrolledUser();
    const { accessToken } = await logIn(server, user.email);
    const res = await server.execute(VerifyMfaDocument, { code: nextCode(user.secret) }, { token: accessToken });
    const pair = res.body.data!.verifyMfa;
    expect(pair.mfaRequired).toBe(false);
    expect(decodePayload(pair.accessToken).sid).toBe(decodePayload(accessToken).sid);
    expect((await users(pair.accessToken)).body.errors).toBeUndefined();
  });

  it('gives the restricted access token full access on its next request once verifyMfa has raised its session', async () => {
    const user = await enrolledUser();
    const { accessToken } = await logIn(server, user.email);
    expectForbidden(await users(accessToken), 'MFA_REQUIRED');
    await server.execute(VerifyMfaDocument, { code: nextCode(user.secret) }, { token: accessToken });
    expect((await users(accessToken)).body.errors).toBeUndefined();
  });

  it('retires the refresh token issued before verifyMfa: it cannot refresh into the raised session', async () => {
    const user = await enrolledUser();
    const { accessToken, refreshToken } = await logIn(server, user.email);
    await server.execute(VerifyMfaDocument, { code: nextCode(user.secret) }, { token: accessToken });
    await expectUnauthenticated(server.execute(RefreshTokenDocument, { token: refreshToken }), 'REFRESH_TOKEN_INVALID');
  });

  it('refreshToken keeps mfaRequired: true for a session that has not proven it, and false for one that has', async () => {
    const user = await enrolledUser();
    const { accessToken, refreshToken } = await logIn(server, user.email);
    const before = await server.execute(RefreshTokenDocument, { token: refreshToken });
    expect(before.body.data?.refreshToken.mfaRequired).toBe(true);
    expectForbidden(await users(before.body.data!.refreshToken.accessToken), 'MFA_REQUIRED');
    const raised = (await server.execute(VerifyMfaDocument, { code: nextCode(user.secret) }, { token: accessToken })).body.data!.verifyMfa;
    const after = await server.execute(RefreshTokenDocument, { token: raised.refreshToken });
    expect(after.body.data?.refreshToken.mfaRequired).toBe(false);
  });

  it('keeps the second factor across a password change: the new session is aal2 too', async () => {
    const user = await enrolledUser();
    const res = await server.execute(ChangePasswordDocument, { currentPassword: TEST_PASSWORD, newPassword: 'another horse battery' }, { token: user.token });
    const pair = res.body.data!.changePassword;
    expect(pair.mfaRequired).toBe(false);
    expect(decodePayload(pair.accessToken)).toMatchObject({ aal: 'aal2', amr: ['pwd', 'otp'] });
    expect((await users(pair.accessToken)).body.errors).toBeUndefined();
  });

  it('leaves a user without TOTP as before: mfaRequired false, and verifyMfa answers MFA_NOT_ENABLED', async () => {
    const user = await signUp(server);
    const res = await server.execute(LoginDocument, { input: { email: user.email, password: TEST_PASSWORD } });
    expect(res.body.data?.login).toMatchObject({ mfaRequired: false, user: { mfaEnabled: false } });
    const verify = await server.execute(VerifyMfaDocument, { code: '123456' }, { token: res.body.data!.login.accessToken });
    expect(errorOf(verify)).toEqual({ code: 'BAD_USER_INPUT', reason: 'MFA_NOT_ENABLED' });
  });

  it('shows mfaEnabled where the email is: to the user and to ADMINs, null to others', async () => {
    const enrolled = await enrolledUser();
    const admin = await signUp(server, { role: Role.ADMIN });
    const adminToken = (await logIn(server, admin.email)).accessToken;
    const other = await signUp(server);
    const seen = async (token: string) => {
      const page = await server.graphql<{ users: { nodes: Array<{ id: string; email: string | null; mfaEnabled: boolean | null }> } }>(
        // Inline: UsersDocument pages; this reads the whole (small) list to find one user.
        '{ users(first: 100) { nodes { id email mfaEnabled } } }',
        {},
        { token },
      );
      return page.body.data!.users.nodes.find((node) => node.id === enrolled.id);
    };
    expect(await seen(adminToken)).toMatchObject({ email: enrolled.email, mfaEnabled: true });
    expect(await seen(other.token)).toMatchObject({ email: null, mfaEnabled: null });
  });
});

describe('codes', () => {
  it('refuses a TOTP code accepted once, even on another session (replay)', async () => {
    const user = await enrolledUser();
    const code = nextCode(user.secret);
    const first = await logIn(server, user.email);
    const second = await logIn(server, user.email);
    expect((await server.execute(VerifyMfaDocument, { code }, { token: first.accessToken })).body.errors).toBeUndefined();
    const replay = await server.execute(VerifyMfaDocument, { code }, { token: second.accessToken });
    expect(errorOf(replay)).toEqual({ code: 'BAD_USER_INPUT', reason: 'MFA_CODE_INVALID' });
  });

  it('accepts one code sent twice at the same moment exactly once', async () => {
    const user = await enrolledUser();
    const code = nextCode(user.secret);
    const sessions = await Promise.all([logIn(server, user.email), logIn(server, user.email)]);
    const answers = await Promise.all(sessions.map((session) => server.execute(VerifyMfaDocument, { code }, { token: session.accessToken })));
    expect(answers.map((answer) => errorOf(answer).reason ?? 'accepted').sort()).toEqual(['MFA_CODE_INVALID', 'accepted']);
  });

  it('refuses the code that confirmed the enrollment, within its own step', async () => {
    const user = await signUp(server);
    const { secret } = await enrollTotp(server, user.token);
    const { accessToken } = await logIn(server, user.email);
    const res = await server.execute(VerifyMfaDocument, { code: totpCode(secret, server.clock.now()) }, { token: accessToken });
    expect(errorOf(res)).toEqual({ code: 'BAD_USER_INPUT', reason: 'MFA_CODE_INVALID' });
  });

  it("accepts the previous step's code and the next step's code (one step of drift)", async () => {
    const user = await enrolledUser();
    server.clock.advance(90);
    const late = await logIn(server, user.email);
    const previous = totpCode(user.secret, server.clock.now() - STEP_MS);
    expect((await server.execute(VerifyMfaDocument, { code: previous }, { token: late.accessToken })).body.errors).toBeUndefined();
    const early = await logIn(server, user.email);
    const next = totpCode(user.secret, server.clock.now() + STEP_MS);
    expect((await server.execute(VerifyMfaDocument, { code: next }, { token: early.accessToken })).body.errors).toBeUndefined();
  });

  it('refuses a code two steps old', async () => {
    const user = await enrolledUser();
    server.clock.advance(120);
    const { accessToken } = await logIn(server, user.email);
    const stale = totpCode(user.secret, server.clock.now() - 2 * STEP_MS);
    expect(errorOf(await server.execute(VerifyMfaDocument, { code: stale }, { token: accessToken }))).toEqual({
      code: 'BAD_USER_INPUT',
      reason: 'MFA_CODE_INVALID',
    });
  });

  it("refuses the current step's code once the next step's code has been used", async () => {
    const user = await enrolledUser();
    server.clock.advance(60);
    const first = await logIn(server, user.email);
    await server.execute(VerifyMfaDocument, { code: totpCode(user.secret, server.clock.now() + STEP_MS) }, { token: first.accessToken });
    const second = await logIn(server, user.email);
    const res = await server.execute(VerifyMfaDocument, { code: totpCode(user.secret, server.clock.now()) }, { token: second.accessToken });
    expect(errorOf(res)).toEqual({ code: 'BAD_USER_INPUT', reason: 'MFA_CODE_INVALID' });
  });

  it('accepts a recovery code once, written any way, and records it in amr', async () => {
    const user = await enrolledUser();
    const code = user.recoveryCodes[3];
    const first = await logIn(server, user.email);
    const res = await server.execute(VerifyMfaDocument, { code: ` ${code.replace(/-/g, '').toUpperCase()} ` }, { token: first.accessToken });
    expect(decodePayload(res.body.data!.verifyMfa.accessToken)).toMatchObject({ aal: 'aal2', amr: ['pwd', 'recovery'] });
    const second = await logIn(server, user.email);
    const again = await server.execute(VerifyMfaDocument, { code }, { token: second.accessToken });
    expect(errorOf(again)).toEqual({ code: 'BAD_USER_INPUT', reason: 'MFA_CODE_INVALID' });
  });
});

describe('disableTotp and regenerateRecoveryCodes', () => {
  it('disableTotp with the password turns TOTP off: the next login needs no second factor', async () => {
    const user = await enrolledUser();
    const res = await server.execute(DisableTotpDocument, { currentPassword: TEST_PASSWORD }, { token: user.token });
    expect(res.body.data).toEqual({ disableTotp: true });
    const login = await server.execute(LoginDocument, { input: { email: user.email, password: TEST_PASSWORD } });
    expect(login.body.data?.login).toMatchObject({ mfaRequired: false, user: { mfaEnabled: false } });
    expect(await server.app.db.sql.all('select user_id from totp_factors where user_id = (select id from users where public_id = ?)', [user.id])).toEqual([]);
  });

  it('disableTotp refuses a wrong password with INVALID_CREDENTIALS, and TOTP stays on', async () => {
    const user = await enrolledUser();
    await expectUnauthenticated(server.execute(DisableTotpDocument, { currentPassword: 'wrong password' }, { token: user.token }), 'INVALID_CREDENTIALS');
    expect((await server.execute(MeDocument, {}, { token: user.token })).body.data?.me.mfaEnabled).toBe(true);
  });

  it('disableTotp answers MFA_NOT_ENABLED when TOTP is off', async () => {
    const user = await signUp(server);
    const res = await server.execute(DisableTotpDocument, { currentPassword: TEST_PASSWORD }, { token: user.token });
    expect(errorOf(res)).toEqual({ code: 'BAD_USER_INPUT', reason: 'MFA_NOT_ENABLED' });
  });

  it('regenerateRecoveryCodes returns ten new codes: the old ones stop working, the new ones work', async () => {
    const user = await enrolledUser();
    const res = await server.execute(RegenerateRecoveryCodesDocument, { currentPassword: TEST_PASSWORD }, { token: user.token });
    const fresh = res.body.data!.regenerateRecoveryCodes;
    expect(fresh).toHaveLength(10);
    expect(fresh.filter((code) => user.recoveryCodes.includes(code))).toEqual([]);
    const old = await logIn(server, user.email);
    expect(errorOf(await server.execute(VerifyMfaDocument, { code: user.recoveryCodes[0] }, { token: old.accessToken }))).toEqual({
      code: 'BAD_USER_INPUT',
      reason: 'MFA_CODE_INVALID',
    });
    expect((await server.execute(VerifyMfaDocument, { code: fresh[0] }, { token: old.accessToken })).body.errors).toBeUndefined();
  });

  it('regenerateRecoveryCodes refuses a wrong password with INVALID_CREDENTIALS', async () => {
    const user = await enrolledUser();
    await expectUnauthenticated(
      server.execute(RegenerateRecoveryCodesDocument, { currentPassword: 'wrong password' }, { token: user.token }),
      'INVALID_CREDENTIALS',
    );
  });

  it('both refuse a session that has not proven the second factor: FORBIDDEN with MFA_REQUIRED', async () => {
    const user = await enrolledUser();
    const { accessToken } = await logIn(server, user.email);
    expectForbidden(await server.execute(DisableTotpDocument, { currentPassword: TEST_PASSWORD }, { token: accessToken }), 'MFA_REQUIRED');
    expectForbidden(await server.execute(RegenerateRecoveryCodesDocument, { currentPassword: TEST_PASSWORD }, { token: accessToken }), 'MFA_REQUIRED');
  });
});

describe('a wrong current password for disableTotp', () => {
  it('counts as a failed login of the account from this client', async () => {
    const strict = await startTestServer({ LOGIN_MAX_FAILURES: '1' });
    try {
      const user = await signUp(strict);
      await enrollTotp(strict, user.token);
      await expectUnauthenticated(strict.execute(DisableTotpDocument, { currentPassword: 'wrong password' }, { token: user.token }), 'INVALID_CREDENTIALS');
      const login = await strict.execute(LoginDocument, { input: { email: user.email, password: TEST_PASSWORD } });
      expect(errorOf(login)).toEqual({ code: 'RATE_LIMITED', reason: undefined });
    } finally {
      await strict.close();
    }
  });
});

describe('the lockout of the second factor', () => {
  let strict: TestServer;
  beforeAll(async () => {
    strict = await startTestServer({ MFA_MAX_FAILURES: '3' });
  });
  afterAll(() => strict.close());

  async function restrictedSession(): Promise<{ token: string; secret: string }> {
    const user = await signUp(strict);
    const { secret } = await enrollTotp(strict, user.token);
    strict.clock.advance(30);
    return { token: (await logIn(strict, user.email)).accessToken, secret };
  }
  const verify = (token: string, code: string) => strict.execute(VerifyMfaDocument, { code }, { token });

  it('after MFA_MAX_FAILURES wrong codes refuses even the right code with RATE_LIMITED and retryAfter (429)', async () => {
    const { token, secret } = await restrictedSession();
    for (let i = 0; i < 3; i++) expect(errorOf(await verify(token, '000000')).reason).toBe('MFA_CODE_INVALID');
    const limited = await verify(token, totpCode(secret, strict.clock.now()));
    expect(errorOf(limited)).toEqual({ code: 'RATE_LIMITED', reason: undefined });
    expect(limited.status).toBe(429);
    expect(limited.body.errors?.[0].extensions?.retryAfter).toBe(1);
    expect(limited.headers.get('retry-after')).toBe('1');
  });

  it('admits the right code once the backoff has passed', async () => {
    const { token, secret } = await restrictedSession();
    for (let i = 0; i < 3; i++) await verify(token, '000000');
    strict.clock.advance(1);
    expect((await verify(token, totpCode(secret, strict.clock.now()))).body.errors).toBeUndefined();
  });

  it('forgets the failures after a success', async () => {
    const { token, secret } = await restrictedSession();
    for (let i = 0; i < 2; i++) await verify(token, '000000');
    expect((await verify(token, totpCode(secret, strict.clock.now()))).body.errors).toBeUndefined();
    for (let i = 0; i < 3; i++) expect(errorOf(await verify(token, '000000')).reason).toBe('MFA_CODE_INVALID');
  });

  it('counts wrong codes of confirmTotpEnrollment too', async () => {
    const user = await signUp(strict);
    const { secret } = (await strict.execute(StartTotpEnrollmentDocument, {}, { token: user.token })).body.data!.startTotpEnrollment;
    for (let i = 0; i < 3; i++) await strict.execute(ConfirmTotpEnrollmentDocument, { code: '000000' }, { token: user.token });
    const limited = await strict.execute(ConfirmTotpEnrollmentDocument, { code: totpCode(secret, strict.clock.now()) }, { token: user.token });
    expect(errorOf(limited)).toEqual({ code: 'RATE_LIMITED', reason: undefined });
  });
});

describeWithService(REDIS, 'the lockout of the second factor with Redis (REDIS_URL)', () => {
  it('is shared by every instance: failures counted on one refuse the account on another', async () => {
    const { limits: settings } = loadConfig(testEnv({ REDIS_URL: REDIS.url, MFA_MAX_FAILURES: '2' }));
    const clock = new TestClock();
    const [a, b] = await Promise.all([1, 2].map(() => createAuthLimits(settings, createLogger('silent'), clock)));
    try {
      expect([a.redisStatus(), b.redisStatus()]).toEqual(['up', 'up']);
      const account = randomUUID();
      await (await a.beginSecondFactorAttempt(account)).failed();
      await (await b.beginSecondFactorAttempt(account)).failed();
      await expect(a.beginSecondFactorAttempt(account)).rejects.toMatchObject({ code: 'RATE_LIMITED', retryAfter: 1 });
      await expect(b.beginSecondFactorAttempt(account)).rejects.toMatchObject({ code: 'RATE_LIMITED', retryAfter: 1 });
      // Another account is not affected.
      await (await b.beginSecondFactorAttempt(randomUUID())).succeeded();
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

describe('RATE_LIMIT_MFA_IP', () => {
  it('counts verifyMfa and confirmTotpEnrollment together per client network', async () => {
    const limited = await startTestServer({ RATE_LIMIT_MFA_IP: '3/1m' });
    try {
      const user = await signUp(limited);
      await limited.execute(StartTotpEnrollmentDocument, {}, { token: user.token });
      await limited.execute(ConfirmTotpEnrollmentDocument, { code: '000000' }, { token: user.token });
      await limited.execute(ConfirmTotpEnrollmentDocument, { code: '000000' }, { token: user.token });
      await limited.execute(VerifyMfaDocument, { code: '000000' }, { token: user.token });
      const refused = await limited.execute(VerifyMfaDocument, { code: '000000' }, { token: user.token });
      expect(errorOf(refused)).toEqual({ code: 'RATE_LIMITED', reason: undefined });
      expect(refused.status).toBe(429);
    } finally {
      await limited.close();
    }
  });
});

describe('REQUIRE_MFA_FOR_ADMIN', () => {
  let strict: TestServer;
  beforeAll(async () => {
    strict = await startTestServer({ REQUIRE_MFA_FOR_ADMIN: 'true' });
  });
  afterAll(() => strict.close());

  const promote = (token: string, id: string) => strict.execute(SetUserRoleDocument, { id, role: Role.USER }, { token });

  it('answers MFA_REQUIRED on ADMIN-only fields to an ADMIN without TOTP, and lets them use the rest', async () => {
    const admin = await signUp(strict, { role: Role.ADMIN });
    const { accessToken } = await logIn(strict, admin.email);
    const target = await signUp(strict);
    expectForbidden(await promote(accessToken, target.id), 'MFA_REQUIRED');
    expect((await strict.execute(UsersDocument, { first: 1 }, { token: accessToken })).body.errors).toBeUndefined();
  });

  it('lets the ADMIN through once TOTP is on and the session has proven it', async () => {
    const admin = await signUp(strict, { role: Role.ADMIN });
    const { accessToken } = await logIn(strict, admin.email);
    await enrollTotp(strict, accessToken);
    const target = await signUp(strict);
    expect((await promote(accessToken, target.id)).body.errors).toBeUndefined();
  });

  it('still answers a USER on an ADMIN field with a plain FORBIDDEN', async () => {
    const user = await signUp(strict);
    expectForbidden(await promote(user.token, user.id), undefined);
  });

  it('is off by default: an ADMIN without TOTP may call ADMIN fields', async () => {
    const admin = await signUp(server, { role: Role.ADMIN });
    const { accessToken } = await logIn(server, admin.email);
    const target = await signUp(server);
    expect((await server.execute(SetUserRoleDocument, { id: target.id, role: Role.USER }, { token: accessToken })).body.errors).toBeUndefined();
  });
});

describe('without MFA_ENCRYPTION_KEY', () => {
  let database: TestDatabase;
  beforeEach(async () => {
    database = await createTestDatabase();
  });
  afterEach(() => database.drop());

  it('answers startTotpEnrollment with SERVICE_UNAVAILABLE and MFA_NOT_CONFIGURED (503)', async () => {
    const keyless = await startTestServer({ ...database.env, MFA_ENCRYPTION_KEY: '' });
    try {
      const user = await signUp(keyless);
      const res = await keyless.execute(StartTotpEnrollmentDocument, {}, { token: user.token });
      expect(errorOf(res)).toEqual({ code: 'SERVICE_UNAVAILABLE', reason: 'MFA_NOT_CONFIGURED' });
      expect(res.status).toBe(503);
    } finally {
      await keyless.close();
    }
  });

  it('refuses to start while a user has TOTP on, naming MFA_ENCRYPTION_KEY', async () => {
    const keyed = await startTestServer(database.env);
    try {
      await enrollTotp(keyed, (await signUp(keyed)).token);
    } finally {
      await keyed.close();
    }
    // A server that starts after all is closed again, so that the failure is the assertion, not a hang.
    const started = startTestServer({ ...database.env, MFA_ENCRYPTION_KEY: '' }).then((running) => running.close());
    await expect(started).rejects.toThrow(
      'MFA_ENCRYPTION_KEY: is required: 1 user(s) have TOTP on, and their secrets cannot be read without it',
    );
  });
});

describe('the aal and amr claims, as another service reading the JWKS sees them', () => {
  let signed: TestServer;
  beforeAll(async () => {
    // PyJWT checks iat and exp against the real time: this server runs on it, and its clock is never advanced.
    signed = await startTestServer({ JWT_ALGORITHM: 'ES256', JWT_PRIVATE_KEY: privatePem('ec'), JWT_SECRET: '' }, new TestClock(Date.now()));
  });
  afterAll(() => signed.close());

  async function claimsByPyJWT(token: string): Promise<Record<string, unknown>> {
    const { jwt } = signed.config;
    const result = await pyjwtVerify({ token, alg: 'ES256', iss: jwt.issuer, aud: jwt.audience, jwks: `${signed.baseUrl}/.well-known/jwks.json` });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    return (JSON.parse(result.stdout) as { claims: Record<string, unknown> }).claims;
  }

  itWithPyJWT('say aal1 and pwd after a password, aal2 with otp or recovery after verifyMfa', async () => {
    const user = await signUp(signed);
    const { secret, recoveryCodes } = await enrollTotp(signed, user.token);
    const login = await logIn(signed, user.email);
    expect(await claimsByPyJWT(login.accessToken)).toMatchObject({ sub: user.id, aal: 'aal1', amr: ['pwd'] });
    // The next step's code, within the drift window: the clock stays on the real time.
    const otp = await signed.execute(VerifyMfaDocument, { code: totpCode(secret, signed.clock.now() + STEP_MS) }, { token: login.accessToken });
    expect(await claimsByPyJWT(otp.body.data!.verifyMfa.accessToken)).toMatchObject({ aal: 'aal2', amr: ['pwd', 'otp'] });
    const other = await logIn(signed, user.email);
    const recovery = await signed.execute(VerifyMfaDocument, { code: recoveryCodes[0] }, { token: other.accessToken });
    expect(await claimsByPyJWT(recovery.body.data!.verifyMfa.accessToken)).toMatchObject({ aal: 'aal2', amr: ['pwd', 'recovery'] });
  });

  itWithPyJWT('say aal2 in the tokens a raised session refreshes to', async () => {
    const user = await signUp(signed);
    await enrollTotp(signed, user.token);
    const refreshed = await signed.execute(RefreshTokenDocument, { token: user.refreshToken });
    expect(await claimsByPyJWT(refreshed.body.data!.refreshToken.accessToken)).toMatchObject({ aal: 'aal2', amr: ['pwd', 'otp'] });
  });
});
