// Soak: the compiled server (dist/main.js, as `npm start` runs it) under a steady, realistic mix at about
// 80% of the `me` throughput it measured a moment before on this machine, for SOAK_SECONDS (30 by default,
// the CI run; 600 is the full run of docs/reliability.md). Nothing may fail, the tail latency may not
// creep up, the process may not keep growing, and the database must hold exactly what the clients made.
//
// Every client comes from 127.0.0.1, so the per-address limits of login, signup and refresh are raised for
// this server: with their defaults (30, 10 and 60 a minute) the mix would be RATE_LIMITED within seconds.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LoginDocument, LogoutDocument, MeDocument, RefreshTokenDocument, SignupDocument } from '../../src/client/graphql';
import { createTestDatabase, openUsedTestDatabase, type TestDatabase } from '../helpers/database';
import { startServerProcess, stop, type RunningServer } from '../helpers/process';
import { TEST_PASSWORD } from '../helpers/server';
import { LoadClient, percentile, rssOf, runLoad, type Answer, type Outcome } from './load';
import { recordFigures } from '../helpers/fault-figures';
import { startSmtpServer, type TestSmtp } from '../helpers/smtp';
import { waitFor } from '../helpers/wait';

const SOAK_SECONDS = Number(process.env.SOAK_SECONDS ?? 30);
/**
 * Warm-up at the soak's rate before anything is measured: JIT, caches, the heap reaching its working size.
 * Measured on SQLite at ~1,100 requests/s: RSS rose from 155 to 190 MiB between 35 s and 60 s of load (the
 * bounded caches and SQLite's 16 MB page cache filling as the database grows), then stayed flat to 110 s.
 * With 20 s, the 30 s run compared that filling, not a leak.
 */
const WARMUP_SECONDS = 60;
/**
 * Latency and memory are compared between the first and the last window: a third of the run, at most a minute
 * (the 600 s run compares its first and last minute; the 30 s run its first and last 10 s, since in windows of
 * 6 s, a benchmark running beside one CI run moved the typical p99 by 1.58x on an unchanged server).
 * The p99 compared is that of a typical second of the window (the median of its per-second p99s): other
 * processes on a shared machine can stall this one for a second, which would decide the p99 of the whole
 * window; a server that slows down over time raises every second's. The whole window's p99 is printed beside it.
 */
const WINDOW_SECONDS = Math.min(60, SOAK_SECONDS / 3);
/**
 * The server's old-generation heap limit (V8's --max-old-space-size), as a container's memory limit would
 * set it. Without one, at ~2,600 requests/s V8 let the heap grow to 190-230 MB before a full collection
 * while the heap alive after each stayed at 55-60 MB (measured with --trace-gc over 150 s): RSS then
 * followed the collector's schedule (-9% to +28% between windows of the same code), not what the process
 * keeps. Under the limit a leak still shows: the live heap climbs toward it, collections come faster and
 * the p99 rises, and at the limit the process dies.
 */
const OLD_SPACE_MB = 128;
const PEAK_SECONDS = 4;
const LOOPS = 16;
const SEEDED_ACCOUNTS = 64;
/** The mix, in percent: 90% me, 5% refresh, 3% login, 1% signup, 1% logout. */
const MIX = { me: 90, refresh: 5, login: 3, signup: 1, logout: 1 };

interface Account {
  email: string;
}

/** A session a client holds: its tokens change when it refreshes. */
interface HeldSession {
  account: Account;
  accessToken: string;
  refreshToken: string;
}

interface AuthData {
  accessToken: string;
  refreshToken?: string | null;
}

/**
 * One retry, from scratch (a new database, server and SMTP server; its peak measured again). On this shared
 * 2-core machine the peak itself measured 1,736/s and 3,287/s in two runs a few minutes apart with nothing
 * else running, so at 80% of it a neighbour's load can push the server near saturation for a window (one CI
 * run: typical p99 10.9 -> 24.3 ms at an unchanged rate; the same code passed the two runs after it, one
 * of them held at that run's rate). Both attempts print their FIGURES line; a server that degrades, leaks
 * or loses data fails both.
 */
jest.retryTimes(1, { logErrorsBeforeRetry: true });

describe('soak: the server process under a steady mixed load', () => {
  let database: TestDatabase;
  let server: RunningServer;
  let client: LoadClient;
  const run = randomBytes(4).toString('hex');
  const accounts: Account[] = [];
  /** Sessions no loop is using now; a loop takes one for an operation and puts it back. */
  const idle: HeldSession[] = [];
  /** Sessions the clients hold and have not logged out: idle or in use. */
  let liveSessions = 0;
  let signups = 0;
  let smtp: TestSmtp | undefined;

  // Each attempt (see retryTimes) starts from nothing.
  beforeEach(async () => {
    accounts.length = 0;
    idle.length = 0;
    liveSessions = 0;
    signups = 0;
    database = await createTestDatabase();
    // A real SMTP server: every signup's verification email goes through the outbox under the same load.
    smtp = await startSmtpServer();
    server = await startServerProcess(mkdtempSync(join(tmpdir(), 'soak-')), database, {
      NODE_ENV: 'production',
      SMTP_URL: smtp.url,
      JWT_SECRET: randomBytes(48).toString('base64url'),
      LOG_LEVEL: 'info',
      NODE_OPTIONS: `--max-old-space-size=${OLD_SPACE_MB}`,
      REDIS_URL: '',
      RATE_LIMIT_LOGIN_IP: '1000000/1m',
      RATE_LIMIT_SIGNUP_IP: '1000000/1m',
      RATE_LIMIT_REFRESH_IP: '1000000/1m',
    });
    client = new LoadClient(server.ready.url as string, LOOPS);
  }, 60_000);

  afterEach(async () => {
    client?.close();
    if (server && server.child.exitCode === null) await stop(server.child);
    await database?.drop();
    await smtp?.stop();
  });

  const take = (): HeldSession => {
    const index = Math.floor(Math.random() * idle.length);
    const session = idle[index];
    idle[index] = idle[idle.length - 1];
    idle.pop();
    return session;
  };

  const opened = (account: Account, answer: Answer<AuthData>) => {
    idle.push({ account, accessToken: answer.data!.accessToken, refreshToken: answer.data!.refreshToken! });
    liveSessions += 1;
  };

  const signup = async (): Promise<Outcome> => {
    signups += 1;
    const account = { email: `soak-${run}-${signups}@example.com` };
    const answer = await client.execute(SignupDocument, { input: { name: `Soak ${signups}`, email: account.email, password: TEST_PASSWORD } });
    if (answer.code === 'OK') {
      accounts.push(account);
      opened(account, { ...answer, data: answer.data!.signup });
    }
    return { name: 'signup', status: answer.status, code: answer.code };
  };

  const me = async (): Promise<Outcome> => {
    const session = take();
    const answer = await client.execute(MeDocument, {}, session.accessToken);
    idle.push(session);
    const code = answer.code === 'OK' && answer.data?.me.email !== session.account.email ? 'WRONG_USER' : answer.code;
    return { name: 'me', status: answer.status, code };
  };

  const refresh = async (): Promise<Outcome> => {
    const session = take();
    const answer = await client.execute(RefreshTokenDocument, { token: session.refreshToken });
    if (answer.code === 'OK') {
      session.accessToken = answer.data!.refreshToken.accessToken;
      session.refreshToken = answer.data!.refreshToken.refreshToken!;
    }
    idle.push(session);
    return { name: 'refresh', status: answer.status, code: answer.code };
  };

  const login = async (): Promise<Outcome> => {
    const account = accounts[Math.floor(Math.random() * accounts.length)];
    const answer = await client.execute(LoginDocument, { input: { email: account.email, password: TEST_PASSWORD } });
    if (answer.code === 'OK') opened(account, { ...answer, data: answer.data!.login });
    return { name: 'login', status: answer.status, code: answer.code };
  };

  const logout = async (): Promise<Outcome> => {
    const session = take();
    const answer = await client.execute(LogoutDocument, {}, session.accessToken);
    if (answer.code === 'OK' && answer.data?.logout === true) liveSessions -= 1;
    else idle.push(session);
    return { name: 'logout', status: answer.status, code: answer.code === 'OK' && answer.data?.logout !== true ? 'NOT_ENDED' : answer.code };
  };

  const mixed = (): Promise<Outcome> => {
    let roll = Math.random() * 100;
    for (const [name, share] of Object.entries(MIX) as Array<[keyof typeof MIX, number]>) {
      roll -= share;
      if (roll < 0) return { me, refresh, login, signup, logout }[name]();
    }
    return me();
  };

  it(
    `runs ${SOAK_SECONDS} s at 80% of the peak throughput of its mix (90% me) with no error, a steady p99 (typical second), flat memory, and the database agreeing with the clients`,
    async () => {
      const pid = server.child.pid!;
      for (let i = 0; i < SEEDED_ACCOUNTS; i += 8) {
        const seeded = await Promise.all(Array.from({ length: 8 }, () => signup()));
        expect(seeded.map((outcome) => outcome.code)).toEqual(Array(8).fill('OK'));
      }

      // Peak: every loop runs the soak's own mix back to back; the first second is warm-up. (The mix's peak, not
      // `me` alone's: on PostgreSQL 80% of `me`'s peak was 2-3x what the mix sustains, which is an overload
      // test, not a soak: the server then fell behind by half and its memory grew with the backlog.)
      const peak = await runLoad({ workers: LOOPS, durationMs: PEAK_SECONDS * 1000, operation: mixed });
      expect(peak.byCode).toEqual({ OK: peak.operations });
      const peakRate = peak.rateBetween(1000, PEAK_SECONDS * 1000);
      const targetRate = Math.round(peakRate * 0.8);

      const rss: Array<{ atMs: number; bytes: number }> = [];
      const soakStarted = performance.now();
      const sampler = setInterval(() => rss.push({ atMs: performance.now() - soakStarted, bytes: rssOf(pid) }), 500);
      const result = await runLoad({ workers: LOOPS, rate: targetRate, durationMs: (WARMUP_SECONDS + SOAK_SECONDS) * 1000, operation: mixed });
      clearInterval(sampler);

      const warm = WARMUP_SECONDS * 1000;
      const end = warm + SOAK_SECONDS * 1000;
      const window = WINDOW_SECONDS * 1000;
      const first = result.latency(warm, warm + window);
      const last = result.latency(end - window, end);
      const typicalFirst = result.typicalP99(warm, warm + window);
      const typicalLast = result.typicalP99(end - window, end);
      // A window's RSS is the median of its samples (one every 500 ms): the heap's sawtooth between collections
      // moved the highest sample of the last window against the first by -9.4%, +27.9% and -5.7% in three CI runs of the same code,
      // while a leak raises every sample, the median with them. The highest is printed beside it.
      const rssSamples = (fromMs: number, toMs: number) => rss.filter(({ atMs }) => atMs >= fromMs && atMs < toMs).map(({ bytes }) => bytes);
      const rssFirst = percentile(Float64Array.from(rssSamples(warm, warm + window)).sort(), 0.5);
      const rssLast = percentile(Float64Array.from(rssSamples(end - window, end)).sort(), 0.5);
      const rssHighest = { first: Math.max(...rssSamples(warm, warm + window)), last: Math.max(...rssSamples(end - window, end)) };
      const errors = result.operations - (result.byCode.OK ?? 0);
      const fiveHundreds = Object.entries(result.byStatus).reduce((sum, [status, count]) => sum + (Number(status) >= 500 ? count : 0), 0);

      // The outbox kept up: every signup's verification email arrives (within a bound, not at once).
      const mailWaitMs = await waitFor(() => smtp!.messages.length >= accounts.length, "every signup's verification email", { withinMs: 60_000 });
      expect(await stop(server.child)).toBe(0);
      const db = await openUsedTestDatabase(database);
      let users: number;
      let sessionsLive: number;
      try {
        users = Number((await db.sql.one<{ count: unknown }>('select count(*) as count from users'))!.count);
        const now = new Date();
        sessionsLive = Number(
          (await db.sql.one<{ count: unknown }>('select count(*) as count from sessions where revoked_at is null and expires_at > ? and absolute_expires_at > ?', [
            now,
            now,
          ]))!.count,
        );
      } finally {
        await db.close();
      }

      recordFigures('soak', {
        soakSeconds: SOAK_SECONDS,
        warmupSeconds: WARMUP_SECONDS,
        windowSeconds: WINDOW_SECONDS,
        peakMixPerSecond: peakRate,
        targetPerSecond: targetRate,
        achievedPerSecond: result.rateBetween(warm, end),
        requests: result.operations,
        errors,
        status5xx: fiveHundreds,
        byOperation: result.byOperation,
        latencyFirstMs: first,
        latencyLastMs: last,
        p99Ratio: Math.round((last.p99 / first.p99) * 100) / 100,
        typicalSecondP99Ms: { first: typicalFirst, last: typicalLast },
        typicalP99Ratio: Math.round((typicalLast / typicalFirst) * 100) / 100,
        rssFirstMiB: Math.round(rssFirst / 2 ** 20),
        rssLastMiB: Math.round(rssLast / 2 ** 20),
        rssGrowthPercent: Math.round(((rssLast - rssFirst) / rssFirst) * 1000) / 10,
        rssHighestMiB: { first: Math.round(rssHighest.first / 2 ** 20), last: Math.round(rssHighest.last / 2 ** 20) },
        users: { client: accounts.length, database: users },
        liveSessions: { client: liveSessions, database: sessionsLive },
        verificationEmails: { signups: accounts.length, delivered: smtp!.messages.length, lastArrivedAfterLoadMs: mailWaitMs },
      });

      expect(fiveHundreds).toBe(0);
      expect(result.byCode).toEqual({ OK: result.operations });
      expect(typicalLast).toBeLessThanOrEqual(typicalFirst * 1.5);
      expect(rssLast).toBeLessThan(rssFirst * 1.1);
      expect({ users, liveSessions: sessionsLive }).toEqual({ users: accounts.length, liveSessions });
    },
    (SOAK_SECONDS + WARMUP_SECONDS + PEAK_SECONDS) * 1000 + 120_000,
  );
});
