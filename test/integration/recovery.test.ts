// Account recovery by email, end to end over real HTTP and a real SMTP server: signup → email → verify;
// reset; change of address. Every error of the three flows, single use, expiry on the test clock, supersession.
import {
  ChangeEmailDocument,
  LoginDocument,
  MeDocument,
  RefreshTokenDocument,
  RequestEmailVerificationDocument,
  RequestPasswordResetDocument,
  ResetPasswordDocument,
  SessionsDocument,
  SignupDocument,
  VerifyEmailDocument,
  VerifyMfaDocument,
} from '../../src/client/graphql';
import { queriesDuring } from '../helpers/database';
import { nextMail, nextToken, SUBJECTS, tokenIn } from '../helpers/recovery';
import { errorOf, expectUnauthenticated, logIn, signUp, startTestServer, TEST_PASSWORD, type TestServer } from '../helpers/server';
import { startSmtpServer, type TestSmtp } from '../helpers/smtp';
import { enrollTotp, STEP_MS, totpCode } from '../helpers/totp';

const NEW_PASSWORD = 'a brand new passphrase';
const RESET_TTL = 60;
const VERIFY_TTL = 120;

let smtp: TestSmtp;
let server: TestServer;

beforeAll(async () => {
  smtp = await startSmtpServer();
  server = await startTestServer({
    SMTP_URL: smtp.url,
    MAIL_FROM: 'Auth <auth@example.com>',
    APP_URL: 'https://app.example.com',
    PASSWORD_RESET_TTL: String(RESET_TTL),
    EMAIL_VERIFY_TTL: String(VERIFY_TTL),
  });
});
afterAll(async () => {
  await server?.close();
  await smtp?.stop();
});

const requestReset = (email: string) => server.execute(RequestPasswordResetDocument, { email });
const reset = (token: string, newPassword = NEW_PASSWORD) => server.execute(ResetPasswordDocument, { token, newPassword });
const verify = (token: string, accessToken?: string) => server.execute(VerifyEmailDocument, { token }, { token: accessToken });
const me = (token: string) => server.execute(MeDocument, {}, { token });

function expectBadInput(res: { status: number; body: { errors?: Array<{ extensions?: Record<string, unknown> }> } }, reason: string): void {
  expect(res.body.errors?.map((error) => [error.extensions?.code, error.extensions?.reason])).toEqual([['BAD_USER_INPUT', reason]]);
}

/** A signed-up user whose verification email has been received (and so is out of the way). */
async function signUpAndReceive(options: { email?: string } = {}) {
  const user = await signUp(server, options);
  const verification = await nextMail(smtp, user.email, SUBJECTS.emailVerification);
  return { ...user, verification };
}

describe('signup → email → verify', () => {
  it('sends a verification email whose link verifies the address', async () => {
    const user = await signUp(server);
    expect((await me(user.token)).body.data?.me.emailVerified).toBe(false);

    const mail = await nextMail(smtp, user.email, SUBJECTS.emailVerification);
    expect(mail.from?.value[0].address).toBe('auth@example.com');
    const link = smtp.linkIn(mail);
    expect(link).toMatch(/^https:\/\/app\.example\.com\/verify-email\?token=[A-Za-z0-9_-]{43}$/);
    expect(mail.html).toContain(`href="${link}"`);

    const verified = await verify(tokenIn(smtp, mail));
    expect(verified.body.data?.verifyEmail).toMatchObject({ id: user.id, email: user.email, emailVerified: true });
    expect((await me(user.token)).body.data?.me.emailVerified).toBe(true);
  });

  it("signup's link and the message carrying it commit together, in a transaction after the signup's own", async () => {
    const queries = await queriesDuring(server, () => signUp(server));
    const signupCommit = queries.findIndex((query, i) => query === 'commit' && queries[i - 1].startsWith('insert into refresh_tokens'));
    const link = queries.findIndex((query) => query.startsWith('insert into recovery_tokens'));
    const message = queries.findIndex((query) => query.startsWith('insert into mail_outbox'));
    expect(signupCommit).toBeGreaterThan(0);
    expect(link).toBeGreaterThan(signupCommit);
    expect(message).toBeGreaterThan(link);
    expect(queries.slice(link, message)).not.toContain('commit');
    expect(queries.indexOf('commit', message)).toBeGreaterThan(message);
  });

  it('requestEmailVerification sends a fresh link, and the earlier one stops working', async () => {
    const user = await signUpAndReceive();
    expect((await server.execute(RequestEmailVerificationDocument, {}, { token: user.token })).body.data?.requestEmailVerification).toBe(true);
    const fresh = await nextToken(smtp, user.email, SUBJECTS.emailVerification);
    expectBadInput(await verify(tokenIn(smtp, user.verification)), 'LINK_INVALID');
    expect((await verify(fresh)).body.data?.verifyEmail.emailVerified).toBe(true);
  });

  it('a verification link works once', async () => {
    const user = await signUpAndReceive();
    const token = tokenIn(smtp, user.verification);
    expect((await verify(token)).body.data?.verifyEmail.emailVerified).toBe(true);
    expectBadInput(await verify(token), 'LINK_INVALID');
  });

  it('a verification link expires after EMAIL_VERIFY_TTL', async () => {
    const user = await signUpAndReceive();
    server.clock.advance(VERIFY_TTL);
    expectBadInput(await verify(tokenIn(smtp, user.verification)), 'LINK_EXPIRED');
    expect((await me(user.token)).body.data?.me.emailVerified).toBe(false);
  });

  it('an unknown or malformed token is LINK_INVALID', async () => {
    expectBadInput(await verify('A'.repeat(43)), 'LINK_INVALID');
    expectBadInput(await verify('not a token'), 'LINK_INVALID');
    expectBadInput(await reset('A'.repeat(43)), 'LINK_INVALID');
  });
});

describe('request reset → email → reset', () => {
  it('resets the password: old sessions refused, the new pair works, the old password refused, the new one accepted', async () => {
    const user = await signUpAndReceive();
    const other = await logIn(server, user.email);
    expect((await requestReset(user.email.toUpperCase())).body.data?.requestPasswordReset).toBe(true);

    const mail = await nextMail(smtp, user.email, SUBJECTS.passwordReset);
    expect(smtp.linkIn(mail)).toMatch(/^https:\/\/app\.example\.com\/reset-password\?token=[A-Za-z0-9_-]{43}$/);
    const res = await reset(tokenIn(smtp, mail));
    const payload = res.body.data?.resetPassword;
    expect(payload).toMatchObject({ tokenType: 'Bearer', mfaRequired: false, user: { id: user.id, emailVerified: true } });

    await expectUnauthenticated(me(user.token), 'TOKEN_REVOKED');
    await expectUnauthenticated(me(other.accessToken), 'TOKEN_REVOKED');
    await expectUnauthenticated(server.execute(RefreshTokenDocument, { token: other.refreshToken }), 'TOKEN_REVOKED');
    expect((await me(payload!.accessToken)).body.data?.me).toMatchObject({ id: user.id, emailVerified: true });
    expect((await server.execute(RefreshTokenDocument, { token: payload!.refreshToken })).body.data?.refreshToken.accessToken).toEqual(expect.any(String));

    await expectUnauthenticated(server.execute(LoginDocument, { input: { email: user.email, password: TEST_PASSWORD } }), 'INVALID_CREDENTIALS');
    expect((await server.execute(LoginDocument, { input: { email: user.email, password: NEW_PASSWORD } })).body.data?.login.user.id).toBe(user.id);
  });

  it('answers true for an unknown address and sends nothing to it', async () => {
    const res = await requestReset('nobody-at-all@example.com');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: { requestPasswordReset: true } });
  });

  it('a reset link works once', async () => {
    const user = await signUpAndReceive();
    await requestReset(user.email);
    const token = await nextToken(smtp, user.email, SUBJECTS.passwordReset);
    expect((await reset(token)).body.data?.resetPassword.user.id).toBe(user.id);
    expectBadInput(await reset(token, 'yet another passphrase'), 'LINK_INVALID');
  });

  it('a reset link expires after PASSWORD_RESET_TTL', async () => {
    const user = await signUpAndReceive();
    await requestReset(user.email);
    const token = await nextToken(smtp, user.email, SUBJECTS.passwordReset);
    server.clock.advance(RESET_TTL - 1);
    server.clock.advance(1);
    expectBadInput(await reset(token), 'LINK_EXPIRED');
    expect((await logIn(server, user.email)).accessToken).toEqual(expect.any(String));
  });

  it('a newer request supersedes the older link', async () => {
    const user = await signUpAndReceive();
    await requestReset(user.email);
    const older = await nextToken(smtp, user.email, SUBJECTS.passwordReset);
    await requestReset(user.email);
    const newer = await nextToken(smtp, user.email, SUBJECTS.passwordReset);
    expectBadInput(await reset(older), 'LINK_INVALID');
    expect((await reset(newer)).body.data?.resetPassword.user.id).toBe(user.id);
  });

  it('a weak new password is BAD_USER_INPUT on newPassword, and leaves the link usable', async () => {
    const user = await signUpAndReceive();
    await requestReset(user.email);
    const token = await nextToken(smtp, user.email, SUBJECTS.passwordReset);
    const weak = await reset(token, 'short');
    expect(weak.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_INPUT', fields: { newPassword: expect.any(String) } });
    expect((await reset(token)).body.data?.resetPassword.user.id).toBe(user.id);
  });

  it('a verification link is no reset link, and a reset link no verification link', async () => {
    const user = await signUpAndReceive();
    expectBadInput(await reset(tokenIn(smtp, user.verification)), 'LINK_INVALID');
    await requestReset(user.email);
    expectBadInput(await verify(await nextToken(smtp, user.email, SUBJECTS.passwordReset)), 'LINK_INVALID');
  });

  it('a user with TOTP gets a session that still owes the second factor', async () => {
    const user = await signUpAndReceive();
    const { secret } = await enrollTotp(server, user.token);
    await requestReset(user.email);
    const res = await reset(await nextToken(smtp, user.email, SUBJECTS.passwordReset));
    const payload = res.body.data!.resetPassword;
    expect(payload.mfaRequired).toBe(true);
    const sessions = await server.execute(SessionsDocument, {}, { token: payload.accessToken });
    expect(errorOf(sessions)).toEqual({ code: 'FORBIDDEN', reason: 'MFA_REQUIRED' });
    server.clock.advance(STEP_MS / 1000);
    const raised = await server.execute(VerifyMfaDocument, { code: totpCode(secret, server.clock.now()) }, { token: payload.accessToken });
    expect(raised.body.data?.verifyMfa.mfaRequired).toBe(false);
  });
});

describe('change email → both messages → confirm', () => {
  const changeEmail = (token: string, newEmail: string, currentPassword = TEST_PASSWORD) =>
    server.execute(ChangeEmailDocument, { newEmail, currentPassword }, { token });

  it('changes nothing until confirmed; then the new address logs in and the old one does not', async () => {
    const user = await signUpAndReceive();
    const other = await logIn(server, user.email);
    const newEmail = `moved-${user.email}`;
    expect((await changeEmail(user.token, newEmail.toUpperCase())).body.data?.changeEmail).toBe(true);

    const notice = await nextMail(smtp, user.email, SUBJECTS.emailChangeNotice);
    expect(() => smtp.linkIn(notice)).toThrow();
    expect(notice.text).not.toContain(newEmail);
    const confirmation = await nextMail(smtp, newEmail, SUBJECTS.emailChange);
    expect(smtp.linkIn(confirmation)).toMatch(/^https:\/\/app\.example\.com\/verify-email\?token=/);
    expect((await me(user.token)).body.data?.me.email).toBe(user.email);

    const confirmed = await verify(tokenIn(smtp, confirmation), user.token);
    expect(confirmed.body.data?.verifyEmail).toMatchObject({ id: user.id, email: newEmail, emailVerified: true });
    // The session that confirmed goes on; every other one has ended.
    expect((await me(user.token)).body.data?.me.email).toBe(newEmail);
    await expectUnauthenticated(me(other.accessToken), 'TOKEN_REVOKED');

    await expectUnauthenticated(server.execute(LoginDocument, { input: { email: user.email, password: TEST_PASSWORD } }), 'INVALID_CREDENTIALS');
    expect((await logIn(server, newEmail)).accessToken).toEqual(expect.any(String));
  });

  it('confirmed without an access token, it ends every session', async () => {
    const user = await signUpAndReceive();
    const newEmail = `solo-${user.email}`;
    await changeEmail(user.token, newEmail);
    await verify(await nextToken(smtp, newEmail, SUBJECTS.emailChange));
    await expectUnauthenticated(me(user.token), 'TOKEN_REVOKED');
  });

  it('refuses a wrong current password with INVALID_CREDENTIALS, and sends nothing', async () => {
    const user = await signUpAndReceive();
    await expectUnauthenticated(changeEmail(user.token, `wrong-${user.email}`, 'not my password'), 'INVALID_CREDENTIALS');
  });

  it('refuses a taken address with EMAIL_TAKEN on newEmail', async () => {
    const user = await signUpAndReceive();
    const taken = await signUpAndReceive();
    const res = await changeEmail(user.token, taken.email);
    expect(res.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'EMAIL_TAKEN', fields: { newEmail: expect.any(String) } });
  });

  it('refuses an invalid address, and the current one, as INVALID_INPUT on newEmail', async () => {
    const user = await signUpAndReceive();
    for (const newEmail of ['not-an-address', user.email]) {
      expect((await changeEmail(user.token, newEmail)).body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_INPUT', fields: { newEmail: expect.any(String) } });
    }
  });

  it('fails with EMAIL_TAKEN when the new address was taken in the meantime, and changes nothing', async () => {
    const user = await signUpAndReceive();
    const newEmail = `race-${user.email}`;
    await changeEmail(user.token, newEmail);
    const token = await nextToken(smtp, newEmail, SUBJECTS.emailChange);
    await server.execute(SignupDocument, { input: { name: 'Squatter', email: newEmail, password: TEST_PASSWORD } });
    expectBadInput(await verify(token, user.token), 'EMAIL_TAKEN');
    expect((await me(user.token)).body.data?.me.email).toBe(user.email);
  });

  // Either guard alone keeps this green: the check before the write, or the unique index's violation mapped
  // to EMAIL_TAKEN (removing both turns it red).
  it('two users confirming a change to the same address at once: one gets it, the other EMAIL_TAKEN, never a 500', async () => {
    const [first, second] = [await signUpAndReceive(), await signUpAndReceive()];
    const newEmail = `both-${first.email}`;
    await changeEmail(first.token, newEmail);
    const firstToken = await nextToken(smtp, newEmail, SUBJECTS.emailChange);
    await changeEmail(second.token, newEmail);
    const secondToken = await nextToken(smtp, newEmail, SUBJECTS.emailChange);
    const answers = await Promise.all([verify(firstToken, first.token), verify(secondToken, second.token)]);
    const refused = answers.filter((res) => res.body.errors);
    expect(refused).toHaveLength(1);
    expectBadInput(refused[0], 'EMAIL_TAKEN');
    const emails = [(await me(first.token)).body.data?.me.email, (await me(second.token)).body.data?.me.email];
    expect(emails.filter((email) => email === newEmail)).toHaveLength(1);
  });

  it('after the change, a reset link sent to the old address no longer works', async () => {
    const user = await signUpAndReceive();
    await requestReset(user.email);
    const resetToken = await nextToken(smtp, user.email, SUBJECTS.passwordReset);
    const newEmail = `after-${user.email}`;
    await changeEmail(user.token, newEmail);
    await verify(await nextToken(smtp, newEmail, SUBJECTS.emailChange), user.token);
    expectBadInput(await reset(resetToken), 'LINK_INVALID');
  });
});

describe('MAIL_DISABLED', () => {
  it('answers SERVICE_UNAVAILABLE (503) to the recovery operations, and signup still works', async () => {
    const disabled = await startTestServer({ MAIL_DISABLED: 'true' });
    try {
      const user = await signUp(disabled);
      const answers = [
        await disabled.execute(RequestPasswordResetDocument, { email: user.email }),
        await disabled.execute(ResetPasswordDocument, { token: 'A'.repeat(43), newPassword: NEW_PASSWORD }),
        await disabled.execute(RequestEmailVerificationDocument, {}, { token: user.token }),
        await disabled.execute(VerifyEmailDocument, { token: 'A'.repeat(43) }),
        await disabled.execute(ChangeEmailDocument, { newEmail: 'x@example.com', currentPassword: TEST_PASSWORD }, { token: user.token }),
      ];
      for (const res of answers) {
        expect(res.status).toBe(503);
        expect(errorOf(res)).toEqual({ code: 'SERVICE_UNAVAILABLE', reason: 'MAIL_DISABLED' });
      }
    } finally {
      await disabled.close();
    }
  });
});
