// REQUIRE_EMAIL_VERIFICATION: until the address is verified, a session may call only the fields that allow
// EMAIL_NOT_VERIFIED; the check is per request, so verifying frees the same session at once. A session that
// also owes the second factor is never stuck.
import {
  ChangeEmailDocument,
  LogoutDocument,
  MeDocument,
  RequestEmailVerificationDocument,
  SessionsDocument,
  StartTotpEnrollmentDocument,
  UsersDocument,
  VerifyEmailDocument,
  VerifyMfaDocument,
} from '../../src/client/graphql';
import { nextMail, nextToken, SUBJECTS, tokenIn } from '../helpers/recovery';
import { errorOf, logIn, signUp, startTestServer, TEST_PASSWORD, type GraphQLResponse, type TestServer } from '../helpers/server';
import { startSmtpServer, type TestSmtp } from '../helpers/smtp';
import { enrollTotp, STEP_MS, totpCode } from '../helpers/totp';

let smtp: TestSmtp;
let server: TestServer;

beforeAll(async () => {
  smtp = await startSmtpServer();
  server = await startTestServer({ SMTP_URL: smtp.url, REQUIRE_EMAIL_VERIFICATION: 'true' });
});
afterAll(async () => {
  await server?.close();
  await smtp?.stop();
});

function expectNotVerified(res: GraphQLResponse<unknown>): void {
  expect(res.status).toBe(403);
  expect(res.body.errors?.map((error) => [error.extensions?.code, error.extensions?.reason])).toEqual([['FORBIDDEN', 'EMAIL_NOT_VERIFIED']]);
}

it('signup still returns a pair, but until verification only the allowed fields answer', async () => {
  const user = await signUp(server);
  expectNotVerified(await server.execute(UsersDocument, {}, { token: user.token }));
  expectNotVerified(await server.execute(SessionsDocument, {}, { token: user.token }));
  expectNotVerified(await server.execute(StartTotpEnrollmentDocument, {}, { token: user.token }));
  expect((await server.execute(MeDocument, {}, { token: user.token })).body.data?.me).toMatchObject({ id: user.id, emailVerified: false });
  expect((await server.execute(RequestEmailVerificationDocument, {}, { token: user.token })).body.data?.requestEmailVerification).toBe(true);
  const newEmail = `fixed-${user.email}`;
  expect((await server.execute(ChangeEmailDocument, { newEmail, currentPassword: TEST_PASSWORD }, { token: user.token })).body.data?.changeEmail).toBe(true);
  expect((await server.execute(LogoutDocument, {}, { token: user.token })).body.data?.logout).toBe(true);
});

it('the same session gets full access on its next request after verifying', async () => {
  const user = await signUp(server);
  const session = await logIn(server, user.email);
  expectNotVerified(await server.execute(UsersDocument, {}, { token: session.accessToken }));
  const token = tokenIn(smtp, await nextMail(smtp, user.email, SUBJECTS.emailVerification));
  expect((await server.execute(VerifyEmailDocument, { token })).body.data?.verifyEmail.emailVerified).toBe(true);
  expect((await server.execute(UsersDocument, {}, { token: session.accessToken })).body.data?.users.totalCount).toBeGreaterThan(0);
  expect((await server.execute(UsersDocument, {}, { token: user.token })).body.data?.users.totalCount).toBeGreaterThan(0);
});

it('a mistyped signup address is fixed from the unverified session: changeEmail, confirm, full access', async () => {
  const user = await signUp(server);
  const newEmail = `typo-fixed-${user.email}`;
  await server.execute(ChangeEmailDocument, { newEmail, currentPassword: TEST_PASSWORD }, { token: user.token });
  const token = await nextToken(smtp, newEmail, SUBJECTS.emailChange);
  expect((await server.execute(VerifyEmailDocument, { token }, { token: user.token })).body.data?.verifyEmail).toMatchObject({ email: newEmail, emailVerified: true });
  expect((await server.execute(SessionsDocument, {}, { token: user.token })).body.data?.sessions).toHaveLength(1);
});

it('a session owing both the second factor and the verification is not stuck: verifyMfa first, then verify the email', async () => {
  // TOTP needs a verified address to be turned on; the address is then made unverified again, as an operator could.
  const user = await signUp(server);
  await server.execute(VerifyEmailDocument, { token: await nextToken(smtp, user.email, SUBJECTS.emailVerification) });
  const { secret } = await enrollTotp(server, user.token);
  await server.app.db.sql.run('update users set email_verified = ? where email = ?', [false, user.email]);

  const session = await logIn(server, user.email);
  const restricted = await server.execute(UsersDocument, {}, { token: session.accessToken });
  expect(restricted.status).toBe(403);
  expect(errorOf(restricted).code).toBe('FORBIDDEN');
  // requestEmailVerification allows EMAIL_NOT_VERIFIED only: the second factor comes first.
  expect(errorOf(await server.execute(RequestEmailVerificationDocument, {}, { token: session.accessToken }))).toEqual({ code: 'FORBIDDEN', reason: 'MFA_REQUIRED' });

  server.clock.advance(STEP_MS / 1000);
  const raised = await server.execute(VerifyMfaDocument, { code: totpCode(secret, server.clock.now()) }, { token: session.accessToken });
  const accessToken = raised.body.data!.verifyMfa.accessToken;
  expectNotVerified(await server.execute(UsersDocument, {}, { token: accessToken }));
  expect((await server.execute(RequestEmailVerificationDocument, {}, { token: accessToken })).body.data?.requestEmailVerification).toBe(true);
  await server.execute(VerifyEmailDocument, { token: await nextToken(smtp, user.email, SUBJECTS.emailVerification) });
  expect((await server.execute(UsersDocument, {}, { token: accessToken })).body.data?.users.totalCount).toBeGreaterThan(0);
});
