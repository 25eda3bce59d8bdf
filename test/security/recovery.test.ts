// Attacks on account recovery: telling known addresses from unknown ones (by answer and by time), flooding an
// address with email, guessing links from one network, racing one link twice, and links or addresses in logs.
import {
  ChangeEmailDocument,
  RequestEmailVerificationDocument,
  RequestPasswordResetDocument,
  ResetPasswordDocument,
  SignupDocument,
  VerifyEmailDocument,
} from '../../src/client/graphql';
import Database from 'better-sqlite3';
import { connectTo, createTestDatabase, onPostgres, type TestDatabase } from '../helpers/database';
import { nextMail, nextToken, SUBJECTS, tokenIn } from '../helpers/recovery';
import { errorOf, LogCapture, signUp, TEST_PASSWORD, type TestServer } from '../helpers/server';
import { startSmtpServer, type TestSmtp } from '../helpers/smtp';
import { startAttackedServer } from './harness';

const NEW_PASSWORD = 'a brand new passphrase';

let smtp: TestSmtp;
let server: TestServer;
const logs = new LogCapture();

beforeAll(async () => {
  smtp = await startSmtpServer();
  // The deployed per-address default (3/1h); the per-network limit is opened wide here, and tested on its own server below.
  server = await startAttackedServer({ SMTP_URL: smtp.url, LOG_LEVEL: 'debug', RATE_LIMIT_EMAIL_PER_ADDRESS: '3/1h' }, logs);
});
afterAll(async () => {
  await server?.close();
  await smtp?.stop();
});

const requestReset = (target: TestServer, email: string, headers: Record<string, string> = {}) =>
  target.execute(RequestPasswordResetDocument, { email }, { headers });

/** The messages the outbox holds for `address`, sent or not: what the server decided to send. */
async function queuedFor(address: string, kind: string): Promise<number> {
  const row = await server.app.db.sql.one<{ count: unknown }>('select count(*) as count from mail_outbox where recipient = ? and kind = ?', [address, kind]);
  return Number(row?.count ?? 0);
}

/** The log line of the work requestPasswordReset does after answering, for the request that got `requestId`. */
const resetOutcome = (requestId: string | null) =>
  logs.waitForLine((line) => line.event === 'password_reset.requested' && line.requestId === requestId);

describe('enumeration', () => {
  it('a known and an unknown address get identical answers, and the work happens after answering', async () => {
    const user = await signUp(server);
    const known = await requestReset(server, user.email);
    const unknown = await requestReset(server, 'nobody-here@example.com');
    expect(known.status).toBe(unknown.status);
    expect(known.text).toBe(unknown.text);
    expect(await resetOutcome(known.headers.get('x-request-id'))).toMatchObject({ outcome: 'sent' });
    expect(await resetOutcome(unknown.headers.get('x-request-id'))).toMatchObject({ outcome: 'unknown' });
  });

  it('a known and an unknown address are answered in times within noise of each other', async () => {
    const timedLogs = new LogCapture();
    const timed = await startAttackedServer({ SMTP_URL: smtp.url, RATE_LIMIT_EMAIL_PER_ADDRESS: '1000/1h', LOG_LEVEL: 'info' }, timedLogs);
    try {
      const user = await signUp(timed);
      const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
      const times: Record<'known' | 'unknown', number[]> = { known: [], unknown: [] };
      for (let i = 0; i < 40; i++) {
        const pair = [['known', user.email], ['unknown', `nobody-${i}@example.com`]] as const;
        for (const [name, email] of i % 2 === 0 ? pair : [...pair].reverse()) {
          const started = performance.now();
          const res = await requestReset(timed, email);
          times[name].push(performance.now() - started);
          // Each timed request meets an idle server: the work this one left for after its answer (the look-up;
          // for a known address the link and its email) ends before the next starts. Left to overlap, it fell
          // on whichever request came next, and on a busy machine it moved the ratio past the bound (2.44 once in CI).
          const requestId = res.headers.get('x-request-id');
          await timedLogs.waitForLine((line) => line.event === 'password_reset.requested' && line.requestId === requestId);
          if (name === 'known') await nextMail(smtp, user.email, SUBJECTS.passwordReset);
        }
      }
      const [k, u] = [median(times.known), median(times.unknown)];
      // A generous bound: with the look-up, the token and the outbox on the request path, the known address answers
      // measurably slower on PostgreSQL (1.65-1.74 measured, against 0.96-1.0). On SQLite those statements cost too
      // little to tell apart from noise; the test below, with the database's writes held, catches it there.
      expect(Math.max(k, u) / Math.min(k, u)).toBeLessThan(1.5);
    } finally {
      await timed.close();
    }
  });
});

/** Another writer holds recovery_tokens (PostgreSQL) or the whole database (SQLite) until `release`. */
async function holdWrites(database: TestDatabase): Promise<() => Promise<void>> {
  if (onPostgres) {
    const client = await connectTo(database);
    await client.query('begin');
    await client.query('lock table recovery_tokens in access exclusive mode');
    return async () => {
      await client.query('rollback');
      await client.end();
    };
  }
  const other = new Database(database.env.DB_PATH);
  other.prepare('begin exclusive').run();
  return async () => {
    other.prepare('rollback').run();
    other.close();
  };
}

it('requestPasswordReset answers while the database cannot take the link: the work happens after the answer', async () => {
  const database = await createTestDatabase();
  const lockedLogs = new LogCapture();
  const target = await startAttackedServer({ ...database.env, SMTP_URL: smtp.url, LOG_LEVEL: 'info' }, lockedLogs);
  try {
    // SQLite waits for a lock on the event loop itself: not for long here.
    if (!onPostgres) await target.app.db.sql.run('pragma busy_timeout = 50');
    const user = await signUp(target);
    const release = await holdWrites(database);
    let res;
    try {
      res = await requestReset(target, user.email);
    } finally {
      await release();
    }
    // Done on the request path, the insert would have waited for the lock and answered 503.
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: { requestPasswordReset: true } });
    const requestId = res.headers.get('x-request-id');
    const outcome = await lockedLogs.waitForLine((line) => String(line.event).startsWith('password_reset.requested') && line.requestId === requestId);
    // PostgreSQL waits for the lock and sends once it is released; SQLite's short busy timeout gives up, logged.
    expect(outcome.event).toBe(onPostgres ? 'password_reset.requested' : 'password_reset.requested.failed');
  } finally {
    await target.close();
    await database.drop();
  }
});

describe('email flooding', () => {
  it('past RATE_LIMIT_EMAIL_PER_ADDRESS, requestPasswordReset still answers true and sends nothing', async () => {
    const user = await signUp(server);
    for (let i = 1; i <= 4; i++) {
      const res = await requestReset(server, user.email);
      expect(res.body).toEqual({ data: { requestPasswordReset: true } });
      expect(await resetOutcome(res.headers.get('x-request-id'))).toMatchObject({ outcome: i <= 3 ? 'sent' : 'limited' });
    }
    expect(await queuedFor(user.email, 'password_reset')).toBe(3);
  });

  it("signup's verification email counts against the address's limit", async () => {
    const user = await signUp(server);
    for (let i = 0; i < 3; i++) {
      expect((await server.execute(RequestEmailVerificationDocument, {}, { token: user.token })).body.data?.requestEmailVerification).toBe(true);
    }
    expect(await queuedFor(user.email, 'email_verification')).toBe(3);
  });

  it('changeEmail to one address is limited the same way', async () => {
    const target = `flooded-${Date.now()}@example.com`;
    const user = await signUp(server);
    for (let i = 0; i < 4; i++) {
      expect((await server.execute(ChangeEmailDocument, { newEmail: target, currentPassword: TEST_PASSWORD }, { token: user.token })).body.data?.changeEmail).toBe(true);
    }
    expect(await queuedFor(target, 'email_change')).toBe(3);
  });
});

describe('per client network', () => {
  it('past RATE_LIMIT_RECOVERY_IP the recovery operations answer RATE_LIMITED (429), and X-Forwarded-For from an untrusted peer changes nothing', async () => {
    const limited = await startAttackedServer({ SMTP_URL: smtp.url, RATE_LIMIT_RECOVERY_IP: '3/1m' });
    try {
      const tries = [
        await requestReset(limited, 'a@example.com'),
        await limited.execute(ResetPasswordDocument, { token: 'A'.repeat(43), newPassword: NEW_PASSWORD }, { headers: { 'x-forwarded-for': '203.0.113.7' } }),
        await limited.execute(VerifyEmailDocument, { token: 'A'.repeat(43) }, { headers: { 'x-forwarded-for': '203.0.113.8' } }),
      ];
      expect(tries.map((res) => res.status)).toEqual([200, 200, 200]);
      const refused = await requestReset(limited, 'b@example.com', { 'x-forwarded-for': '203.0.113.9' });
      expect(refused.status).toBe(429);
      expect(errorOf(refused).code).toBe('RATE_LIMITED');
      expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(refused.body.errors?.[0].extensions?.retryAfter).toEqual(expect.any(Number));
    } finally {
      await limited.close();
    }
  });
});

describe('links', () => {
  it('of two concurrent uses of one reset link, exactly one succeeds', async () => {
    const user = await signUp(server);
    await requestReset(server, user.email);
    const token = await nextToken(smtp, user.email, SUBJECTS.passwordReset);
    const answers = await Promise.all(
      Array.from({ length: 4 }, (_, i) => server.execute(ResetPasswordDocument, { token, newPassword: `${NEW_PASSWORD} ${i}` })),
    );
    expect(answers.filter((res) => res.body.data?.resetPassword).length).toBe(1);
    expect(answers.filter((res) => errorOf(res).reason === 'LINK_INVALID').length).toBe(3);
  });

  it('of two concurrent confirmations of one email change, exactly one switches the address', async () => {
    const user = await signUp(server);
    const newEmail = `twice-${user.email}`;
    await server.execute(ChangeEmailDocument, { newEmail, currentPassword: TEST_PASSWORD }, { token: user.token });
    const token = await nextToken(smtp, newEmail, SUBJECTS.emailChange);
    const answers = await Promise.all([0, 1, 2].map(() => server.execute(VerifyEmailDocument, { token })));
    expect(answers.filter((res) => res.body.data?.verifyEmail).length).toBe(1);
  });

  it('a verification link sent to an earlier address does not verify the current one', async () => {
    const user = await signUp(server);
    const oldLink = tokenIn(smtp, await nextMail(smtp, user.email, SUBJECTS.emailVerification));
    // An operator moves the address; the link was proof of the old one only.
    await server.app.db.sql.run('update users set email = ? where email = ?', [`moved-${user.email}`, user.email]);
    expect(errorOf(await server.execute(VerifyEmailDocument, { token: oldLink }))).toEqual({ code: 'BAD_USER_INPUT', reason: 'LINK_INVALID' });
  });
});

describe('logs', () => {
  it('never hold a link token or an email address, from any of the flows', async () => {
    const email = `logged-${Date.now()}@example.com`;
    const signup = await server.execute(SignupDocument, { input: { name: 'Logged', email, password: TEST_PASSWORD } });
    const accessToken = signup.body.data!.signup.accessToken;
    const tokens = [tokenIn(smtp, await nextMail(smtp, email, SUBJECTS.emailVerification))];
    await server.execute(VerifyEmailDocument, { token: tokens[0] });
    await requestReset(server, email);
    tokens.push(await nextToken(smtp, email, SUBJECTS.passwordReset));
    const reset = await server.execute(ResetPasswordDocument, { token: tokens[1], newPassword: NEW_PASSWORD });
    const newEmail = `logged-new-${Date.now()}@example.com`;
    await server.execute(ChangeEmailDocument, { newEmail, currentPassword: NEW_PASSWORD }, { token: reset.body.data!.resetPassword.accessToken });
    tokens.push(await nextToken(smtp, newEmail, SUBJECTS.emailChange));
    await server.execute(VerifyEmailDocument, { token: tokens[2] }, { token: accessToken });
    await requestReset(server, 'unknown-logged@example.com');
    await logs.waitForLine((line) => line.event === 'email.changed');

    const text = JSON.stringify(logs.lines);
    for (const token of tokens) expect(text).not.toContain(token);
    for (const address of [email, newEmail, 'unknown-logged@example.com']) expect(text).not.toContain(address);
  });
});
