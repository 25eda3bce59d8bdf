// The second factor under attack: the secret, the codes and the recovery codes never reach a log line or an
// error answer; a guessed code is answered like any wrong one; the audit log says who proved what, with
// what, and nothing more.
import {
  ConfirmTotpEnrollmentDocument,
  DisableTotpDocument,
  RegenerateRecoveryCodesDocument,
  StartTotpEnrollmentDocument,
  VerifyMfaDocument,
} from '../../src/client/graphql';
import { errorOf, LogCapture, logIn, signUp, TEST_PASSWORD, type TestServer } from '../helpers/server';
import { enrollTotp, STEP_MS, totpCode } from '../helpers/totp';
import { startAttackedServer } from './harness';

let server: TestServer;
const logs = new LogCapture();
beforeAll(async () => {
  server = await startAttackedServer({ LOG_LEVEL: 'info' }, logs);
});
afterAll(() => server.close());

it('never writes the secret, a code or a recovery code to the log, and logs each step as an auth event', async () => {
  const user = await signUp(server);
  const { secret, recoveryCodes } = await enrollTotp(server, user.token);
  server.clock.advance(STEP_MS / 1000);
  const code = totpCode(secret, server.clock.now());
  const first = await logIn(server, user.email);
  await server.execute(VerifyMfaDocument, { code: '000000' }, { token: first.accessToken });
  await server.execute(VerifyMfaDocument, { code }, { token: first.accessToken });
  const second = await logIn(server, user.email);
  await server.execute(VerifyMfaDocument, { code: recoveryCodes[1] }, { token: second.accessToken });
  const fresh = await server.execute(RegenerateRecoveryCodesDocument, { currentPassword: TEST_PASSWORD }, { token: user.token });
  await server.execute(DisableTotpDocument, { currentPassword: TEST_PASSWORD }, { token: user.token });

  const text = logs.lines.map((line) => JSON.stringify(line)).join('\n');
  for (const value of [secret, code, ...recoveryCodes, ...fresh.body.data!.regenerateRecoveryCodes]) expect(text).not.toContain(value);
  const events = logs.lines.filter((line) => line.userId === user.id && String(line.event).startsWith('mfa.')).map((line) => [line.event, line.method ?? line.operation]);
  expect(events).toEqual([
    ['mfa.enrollment_started', undefined],
    ['mfa.enabled', undefined],
    ['mfa.failure', 'verifyMfa'],
    ['mfa.verified', 'otp'],
    ['mfa.verified', 'recovery'],
    ['mfa.recovery_codes_regenerated', undefined],
    ['mfa.disabled', undefined],
  ]);
});

it('answers a wrong code without echoing it', async () => {
  const user = await signUp(server);
  await server.execute(StartTotpEnrollmentDocument, {}, { token: user.token });
  const res = await server.execute(ConfirmTotpEnrollmentDocument, { code: '918273' }, { token: user.token });
  expect(errorOf(res)).toEqual({ code: 'BAD_USER_INPUT', reason: 'MFA_CODE_INVALID' });
  expect(res.text).not.toContain('918273');
});

it('answers a recovery code of another user like any wrong code', async () => {
  const alice = await signUp(server);
  const { recoveryCodes } = await enrollTotp(server, alice.token);
  const bob = await signUp(server);
  await enrollTotp(server, bob.token);
  const { accessToken } = await logIn(server, bob.email);
  const res = await server.execute(VerifyMfaDocument, { code: recoveryCodes[0] }, { token: accessToken });
  expect(errorOf(res)).toEqual({ code: 'BAD_USER_INPUT', reason: 'MFA_CODE_INVALID' });
});
