// Dependencies flapping under load (issue 17, item 4), against the real server process:
// - Redis (a private redis-server) stopped and started three times: every answer stays a full one, because
//   the rate limits fall back to this instance's memory and go back to Redis when it returns;
// - PostgreSQL (a private cluster) restarted once: 503 SERVICE_UNAVAILABLE with Retry-After only while it is
//   away, never a 500 or an internal detail, and full service after, without restarting the server.
// The load: a few concurrent loops of `me`, login and refresh, each on an account of its own.
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { Client } from 'pg';
import { LoginDocument, MeDocument, RefreshTokenDocument, SignupDocument } from '../../src/client/graphql';
import { createTestDatabase, onPostgres, type TestDatabase } from '../helpers/database';
import { recordFigures } from '../helpers/fault-figures';
import { groupEnv, startInstance, type Instance } from '../helpers/instances';
import { privatePostgresMissing, startPrivatePostgres, type PrivatePostgres } from '../helpers/private-postgres';
import { redisServerBinary, startRedis, stopRedis } from '../helpers/private-redis';
import { TEST_PASSWORD, type GraphQLResponse } from '../helpers/server';
import { describeWhenAvailable, freePort } from '../helpers/services';
import { waitFor } from '../helpers/wait';

const LOOPS = 4;
/** What a refusal must never show: driver or library names, addresses, stack frames. */
const INTERNALS = /sqlite|postgres|ECONNREFUSED|ioredis|redis|\.js:\d+|\bat \w+ \(|stack/i;

type Operation = 'me' | 'login' | 'refresh';

interface Answer {
  op: Operation;
  /** The phase of the outage when the request was sent. */
  phase: string;
  /** The phase when its answer (or failure) came back: a request sent before an outage may end inside it. */
  answeredIn: string;
  status: number;
  code: unknown;
  retryAfter: string | null;
  text: string;
}

interface Account {
  email: string;
  accessToken: string;
  refreshToken: string;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Stops the server unless it has already exited (stop() would wait for an exit that already happened). */
async function stopServer(server: Instance | undefined): Promise<void> {
  if (server && server.server.child.exitCode === null && server.server.child.signalCode === null) await server.stop();
}

async function openAccount(api: Instance, label: string): Promise<Account> {
  const email = `${label}-${randomBytes(4).toString('hex')}@example.com`;
  const res = await api.execute(SignupDocument, { input: { name: label, email, password: TEST_PASSWORD } });
  if (!res.body.data) throw new Error(`signup failed: ${res.text}`);
  return { email, accessToken: res.body.data.signup.accessToken, refreshToken: res.body.data.signup.refreshToken! };
}

/** LOOPS concurrent loops of 8 × me, 1 × login, 1 × refresh, each on its own account, until stopped. */
function startLoad(api: Instance, accounts: Account[]) {
  const answers: Answer[] = [];
  const state = { phase: 'up', running: true };
  const loop = async (account: Account) => {
    for (let i = 0; state.running; i += 1) {
      const phase = state.phase;
      const op: Operation = i % 10 === 8 ? 'login' : i % 10 === 9 ? 'refresh' : 'me';
      let res: GraphQLResponse<unknown>;
      try {
        if (op === 'me') {
          res = await api.execute(MeDocument, {}, { token: account.accessToken });
        } else if (op === 'login') {
          const login = await api.execute(LoginDocument, { input: { email: account.email, password: TEST_PASSWORD } });
          if (login.body.data) Object.assign(account, { accessToken: login.body.data.login.accessToken, refreshToken: login.body.data.login.refreshToken! });
          res = login;
        } else {
          const refresh = await api.execute(RefreshTokenDocument, { token: account.refreshToken });
          if (refresh.body.data) Object.assign(account, { accessToken: refresh.body.data.refreshToken.accessToken, refreshToken: refresh.body.data.refreshToken.refreshToken! });
          res = refresh;
        }
      } catch (error) {
        // A connection the server dropped, or an answer that is not JSON: recorded, and refused below.
        answers.push({ op, phase, answeredIn: state.phase, status: 0, code: String(error), retryAfter: null, text: String(error) });
        continue;
      }
      answers.push({ op, phase, answeredIn: state.phase, status: res.status, code: res.body.errors?.[0]?.extensions?.code, retryAfter: res.headers.get('retry-after'), text: res.text });
    }
  };
  const loops = Promise.all(accounts.map(loop));
  return {
    set phase(phase: string) {
      state.phase = phase;
    },
    async stop(): Promise<Answer[]> {
      state.running = false;
      await loops;
      return answers;
    },
  };
}

/** Counts per status, for the figures and for readable failures. */
function statusCounts(answers: Answer[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { status } of answers) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

describe('Redis stopped and started three times under load', () => {
  const CYCLES = 3;
  let database: TestDatabase;
  let redis: ChildProcess | undefined;
  let server: Instance | undefined;
  let binary: string;
  let port: number;

  beforeAll(async () => {
    binary = redisServerBinary();
    port = await freePort();
    redis = await startRedis(binary, port);
    database = await createTestDatabase();
    server = await startInstance('redis-flapping', groupEnv(database, { REDIS_URL: `redis://127.0.0.1:${port}` }));
  }, 60_000);

  afterAll(async () => {
    await stopServer(server);
    if (redis) await stopRedis(redis);
    await database?.drop();
  });

  it('answers every request in full: the limits fall back to memory while Redis is away, and share again when it is back', async () => {
    const api = server!;
    const accounts = await Promise.all(Array.from({ length: LOOPS }, (_, n) => openAccount(api, `redis-${n}`)));
    const load = startLoad(api, accounts);
    const startedAt = Date.now();
    await pause(500);
    for (let cycle = 1; cycle <= CYCLES; cycle += 1) {
      load.phase = `stopping ${cycle}`;
      // A crash the first time, then a clean shutdown: the connection breaks both ways.
      await stopRedis(redis!, cycle === 1 ? 'SIGKILL' : 'SIGTERM');
      await api.server.waitForOutput(/redis unavailable: rate limits fall back/, cycle);
      load.phase = `down ${cycle}`;
      await pause(1000);
      load.phase = `starting ${cycle}`;
      redis = await startRedis(binary, port);
      await api.server.waitForOutput(/redis available again: rate limits shared/, cycle);
      load.phase = `up ${cycle}`;
      await pause(700);
    }
    const answers = await load.stop();
    const elapsedMs = Date.now() - startedAt;

    expect(answers.filter((answer) => answer.status !== 200 || answer.code !== undefined)).toEqual([]);
    // The same process throughout: never restarted.
    expect(api.server.child.exitCode).toBeNull();
    for (let cycle = 1; cycle <= CYCLES; cycle += 1) {
      const down = answers.filter((answer) => answer.phase === `down ${cycle}`);
      expect({ cycle, loginsWhileDown: down.filter((answer) => answer.op === 'login').length > 0 }).toEqual({ cycle, loginsWhileDown: true });
    }
    // One line each way per outage, not one per request.
    const lines = api.server.lines().map((line) => line.msg);
    expect(lines.filter((msg) => String(msg).startsWith('redis unavailable'))).toHaveLength(CYCLES);
    expect(lines.filter((msg) => String(msg).startsWith('redis available again'))).toHaveLength(CYCLES);
    // Counted in Redis again: it keeps nothing across a restart, so these keys are from the last minute of load.
    const client = new Redis(port, '127.0.0.1');
    try {
      expect((await client.keys('auth:*')).length).toBeGreaterThan(0);
    } finally {
      client.disconnect();
    }

    recordFigures('flapping-redis', {
      outages: CYCLES,
      requests: answers.length,
      byStatus: statusCounts(answers),
      serverErrors: answers.filter((answer) => answer.status >= 500 || answer.status === 0).length,
      requestsWhileRedisDown: answers.filter((answer) => answer.phase.startsWith('down')).length,
      elapsedMs,
    });
  }, 120_000);
});

const pgMissing = onPostgres ? privatePostgresMissing() : undefined;
const PG_TITLE = 'PostgreSQL restarted once under load';

if (!onPostgres) {
  // Reported as skipped, with where it runs in the title.
  describe.skip(`${PG_TITLE}: runs in the PostgreSQL pass (npm run test:faults:postgres)`, () => {
    it('answers 503 only while the database is away, and full service after, without a restart', () => undefined);
  });
} else {
  describeWhenAvailable(pgMissing === undefined, pgMissing ?? '', PG_TITLE, () => {
    /** Named like every test database of this run, which is what lets the harness use it. */
    const DATABASE = `${process.env.TEST_DATABASE_RUN}_flapping`;
    let cluster: PrivatePostgres | undefined;
    let server: Instance | undefined;

    beforeAll(async () => {
      cluster = await startPrivatePostgres();
      const admin = new Client({ connectionString: cluster.url() });
      await admin.connect();
      await admin.query(`create database "${DATABASE}"`);
      await admin.end();
      server = await startInstance(
        'pg-flapping',
        groupEnv({ env: { DATABASE_URL: cluster.url(DATABASE) }, drop: async () => undefined }, { REDIS_URL: '', DATABASE_TIMEOUT: '2s' }),
      );
    }, 120_000);

    afterAll(async () => {
      await stopServer(server);
      cluster?.destroy();
    });

    it('answers 503 with Retry-After only while the database is away, and full service after, without a restart', async () => {
      const api = server!;
      const accounts = await Promise.all(Array.from({ length: LOOPS }, (_, n) => openAccount(api, `pg-${n}`)));
      const probe = await openAccount(api, 'pg-probe');
      const load = startLoad(api, accounts);
      await pause(500);
      load.phase = 'stopping';
      const stoppedAt = Date.now();
      cluster!.stop();
      load.phase = 'down';
      await pause(1500);
      load.phase = 'starting';
      cluster!.start();
      const startedAt = Date.now();
      // Full service: a read and a write (a login opens a session) both answered in full.
      const fullServiceMs = await waitFor(
        async () =>
          Boolean((await api.execute(MeDocument, {}, { token: probe.accessToken })).body.data) &&
          Boolean((await api.execute(LoginDocument, { input: { email: probe.email, password: TEST_PASSWORD } })).body.data),
        'a full answer after the restart',
        { withinMs: 20_000, everyMs: 50, since: startedAt },
      );
      load.phase = 'recovered';
      await pause(1000);
      const answers = await load.stop();

      const refusals = answers.filter((answer) => answer.status !== 200);
      for (const answer of refusals) {
        expect({ phase: answer.phase, status: answer.status, code: answer.code, retryAfter: Number(answer.retryAfter) > 0 }).toEqual({
          phase: answer.phase,
          status: 503,
          code: 'SERVICE_UNAVAILABLE',
          retryAfter: true,
        });
      }
      // While away: answered after the stop began, and sent before full service was back.
      expect(refusals.filter((answer) => answer.answeredIn === 'up' || answer.phase === 'recovered')).toEqual([]);
      expect(answers.filter((answer) => answer.status === 200 && answer.code !== undefined)).toEqual([]);
      expect(answers.some((answer) => answer.phase === 'down' && answer.status === 503)).toBe(true);
      expect(answers.filter((answer) => answer.phase === 'recovered').length).toBeGreaterThan(0);
      expect(refusals.filter((answer) => INTERNALS.test(answer.text))).toEqual([]);
      expect(api.server.lines().filter((line) => Number(line.level) >= 50)).toEqual([]);
      // The same process throughout: never restarted.
      expect(api.server.child.exitCode).toBeNull();

      recordFigures('flapping-postgresql', {
        requests: answers.length,
        byStatus: statusCounts(answers),
        serverErrors: answers.filter((answer) => answer.status >= 500 && answer.status !== 503).length + answers.filter((answer) => answer.status === 0).length,
        unavailable503: refusals.length,
        outageMs: startedAt - stoppedAt,
        fullServiceAfterStartMs: fullServiceMs,
      });
    }, 120_000);
  });
}
