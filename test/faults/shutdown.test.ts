// Graceful shutdown of the real server process (dist/main.js) under load: keep-alive loops of `me` and of logins
// (bcrypt, the slow requests), plus requests the server provably has in hand (held-request.ts), then SIGTERM.
// Every request already sent must get a complete answer, new connections must be refused, and the process must
// exit 0 within SHUTDOWN_TIMEOUT; alone and as a cluster (WEB_CONCURRENCY=2) whose primary drains every worker.
// Past SHUTDOWN_TIMEOUT, what is left is cut off and the exit code says so.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { print } from 'graphql';
import { LoginDocument, MeDocument, SignupDocument, type LoginMutation } from '../../src/client/graphql';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { recordFigures } from '../helpers/fault-figures';
import { holdPost } from '../helpers/held-request';
import { startServerProcess, type RunningServer } from '../helpers/process';
import { TEST_PASSWORD } from '../helpers/server';
import { waitFor } from '../helpers/wait';

const SHUTDOWN_TIMEOUT_SECONDS = 10;
const ME_LOOPS = 6;
const LOGIN_LOOPS = 2;
/** Requests answered before the signal: the loops are all running by then. */
const WARM_UP_ANSWERS = 150;
/** Requests the server has in hand at the signal for certain: their bodies are sent only once it is draining. */
const HELD = 4;

/** How one request of the loops ended. */
type Result =
  /** A whole HTTP answer: status line, headers and a body that parses. */
  | 'complete'
  /** No answer on a new connection: refused or reset before anything was read (the server was no longer accepting). */
  | 'refused'
  /** No answer on a kept-alive connection: the server closed it with the request unread or unanswered. */
  | 'lost'
  /** An answer that began and did not end. */
  | 'cut-off';

interface Outcome {
  result: Result;
  status: number;
  /** When the request had been handed to the operating system whole (performance.now()); undefined if it never was. */
  writtenAt: number | undefined;
  /** When it ended, answered or not. */
  endedAt: number;
  detail?: string;
}

function send(url: string, agent: Agent, payload: string, token?: string): Promise<Outcome> {
  return new Promise((resolveOutcome) => {
    let writtenAt: number | undefined;
    const resolve = (outcome: Omit<Outcome, 'endedAt'>) => resolveOutcome({ ...outcome, endedAt: performance.now() });
    let answered = false;
    const req = request(url, {
      method: 'POST',
      agent,
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(payload),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
    });
    req.on('finish', () => (writtenAt = performance.now()));
    req.on('response', (res) => {
      answered = true;
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('aborted', () => resolve({ result: 'cut-off', status: res.statusCode ?? 0, writtenAt, detail: 'aborted' }));
      res.on('error', (error) => resolve({ result: 'cut-off', status: res.statusCode ?? 0, writtenAt, detail: error.message }));
      res.on('end', () => {
        try {
          JSON.parse(text);
          resolve({ result: 'complete', status: res.statusCode ?? 0, writtenAt });
        } catch {
          resolve({ result: 'cut-off', status: res.statusCode ?? 0, writtenAt, detail: `body: ${text.slice(0, 80)}` });
        }
      });
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (answered) return;
      resolve({ result: req.reusedSocket ? 'lost' : 'refused', status: 0, writtenAt, detail: error.code ?? error.message });
    });
    req.end(payload);
  });
}

/** Whether a new TCP connection to the server's port is refused now. */
function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

function exitOf(server: RunningServer): Promise<{ code: number | null; at: number }> {
  return new Promise((resolve) => {
    server.child.removeAllListeners('exit');
    server.child.once('exit', (code) => resolve({ code, at: performance.now() }));
  });
}

let scratch: string;
let database: TestDatabase;
beforeEach(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'auth-shutdown-'));
  database = await createTestDatabase();
});
afterEach(async () => {
  rmSync(scratch, { recursive: true, force: true });
  await database.drop();
});

function startServer(workers: number, extra: Record<string, string> = {}): Promise<RunningServer> {
  return startServerProcess(scratch, database, {
    NODE_ENV: 'test',
    JWT_SECRET: randomBytes(48).toString('base64url'),
    WEB_CONCURRENCY: String(workers),
    HASH_WORKERS: '1',
    // Logins cost ~100 ms of bcrypt each: the slow requests of the mix.
    BCRYPT_COST: '10',
    RATE_LIMIT_LOGIN_IP: '1000000/1m',
    RATE_LIMIT_SIGNUP_IP: '1000000/1m',
    SHUTDOWN_TIMEOUT: String(SHUTDOWN_TIMEOUT_SECONDS),
    ...extra,
  });
}

/** The JSON log lines of the processes that serve (one, or each cluster worker): the ones that report what they had in hand. */
function servingLines(server: RunningServer, msg: string): Record<string, unknown>[] {
  return server.lines().filter((line) => line.msg === msg && (msg !== 'shutting down' || 'inHand' in line));
}

describe.each([1, 2])('SIGTERM with WEB_CONCURRENCY=%i', (workers) => {
  it('answers every request already sent in full, refuses new connections, drains every worker and exits 0 within SHUTDOWN_TIMEOUT', async () => {
    const server = await startServer(workers);
    const url = server.ready.url as string;
    const port = Number(new URL(url).port);
    const email = `loop-${randomBytes(4).toString('hex')}@example.com`;
    const signup = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: print(SignupDocument), variables: { input: { name: 'Loop', email, password: TEST_PASSWORD } } }),
    });
    const token = ((await signup.json()) as { data: { signup: { accessToken: string } } }).data.signup.accessToken;

    const agent = new Agent({ keepAlive: true, maxSockets: ME_LOOPS + LOGIN_LOOPS });
    const mePayload = JSON.stringify({ query: print(MeDocument) });
    const loginPayload = JSON.stringify({ query: print(LoginDocument), variables: { input: { email, password: TEST_PASSWORD } } });
    const outcomes: Outcome[] = [];
    let warmedUp: () => void = () => undefined;
    const warm = new Promise<void>((resolve) => (warmedUp = resolve));
    const loop = async (payload: string, withToken: boolean) => {
      for (;;) {
        const outcome = await send(url, agent, payload, withToken ? token : undefined);
        outcomes.push(outcome);
        if (outcomes.length >= WARM_UP_ANSWERS) warmedUp();
        // Once the server stops answering, this client stops asking.
        if (outcome.result !== 'complete') return;
      }
    };
    const loops = [
      ...Array.from({ length: ME_LOOPS }, () => loop(mePayload, true)),
      ...Array.from({ length: LOGIN_LOOPS }, () => loop(loginPayload, false)),
    ];
    await warm;

    const held = Array.from({ length: HELD }, () =>
      holdPost<{ data?: LoginMutation; errors?: unknown }>(url, { query: print(LoginDocument), variables: { input: { email, password: TEST_PASSWORD } } }),
    );
    await Promise.all(held.map((request) => request.received));

    const exit = exitOf(server);
    const signalAt = performance.now();
    server.child.kill('SIGTERM');
    // Every serving process has begun to drain, with the held requests in hand.
    await server.waitForOutput(/"msg":"shutting down"/, workers === 1 ? 1 : workers + 1);
    const refusedAfterMs = await waitFor(() => refusesConnections(port), 'new connections to be refused', { withinMs: 10_000, everyMs: 20 });
    const heldAnswers = await Promise.all(
      held.map((request) =>
        request.finish().then(
          (answer) => ({ status: answer.status, loggedIn: Boolean(answer.body.data?.login.accessToken) }),
          (error: Error) => ({ status: 0, loggedIn: false, error: error.message }),
        ),
      ),
    );
    await Promise.all(loops);
    const { code, at } = await exit;
    await server.waitForOutput(/"msg":"stopped"/, workers === 1 ? 1 : workers + 1);
    agent.destroy();

    const sentBefore = outcomes.filter((outcome) => outcome.writtenAt !== undefined && outcome.writtenAt < signalAt);
    const after = outcomes.filter((outcome) => !sentBefore.includes(outcome));
    const count = (list: Outcome[], result: Result) => list.filter((outcome) => outcome.result === result).length;
    const drainLines = servingLines(server, 'shutting down');
    const figures = {
      workers,
      requestsBeforeSignal: sentBefore.length,
      // Written before the signal and not yet answered then: the loops' requests in flight, and the held ones.
      inFlightAtSignal: sentBefore.filter((outcome) => outcome.endedAt > signalAt).length + HELD,
      inFlightCompleted: sentBefore.filter((outcome) => outcome.endedAt > signalAt && outcome.result === 'complete').length + heldAnswers.filter((answer) => answer.loggedIn).length,
      inHandAtSignal: drainLines.reduce((sum, line) => sum + ((line.inHand as { requests: number }).requests ?? 0), 0),
      afterSignalCompleted: count(after, 'complete'),
      refused: count(outcomes, 'refused'),
      lost: count(outcomes, 'lost'),
      cutOff: count(outcomes, 'cut-off'),
      refusedNewConnectionsAfterMs: refusedAfterMs,
      exitCode: code,
      msToExit: Math.round(at - signalAt),
    };
    recordFigures(`shutdown-workers-${workers}`, figures);

    // Every request written before the signal (in flight then or answered already) got a whole answer, none a 5xx.
    expect(sentBefore.filter((outcome) => outcome.result !== 'complete' || outcome.status !== 200)).toEqual([]);
    expect(heldAnswers).toEqual(Array(HELD).fill({ status: 200, loggedIn: true }));
    // After it: answered in full on a connection the server still had open, or refused on a new one; nothing lost or cut off.
    expect(after.filter((outcome) => outcome.result === 'lost' || outcome.result === 'cut-off')).toEqual([]);
    expect(after.filter((outcome) => outcome.result === 'complete' && outcome.status !== 200)).toEqual([]);
    expect(figures.refused).toBeGreaterThan(0);
    // Each serving process had requests in hand when it began to drain, and said it stopped.
    expect(drainLines).toHaveLength(workers);
    for (const line of drainLines) expect((line.inHand as { requests: number }).requests).toBeGreaterThan(0);
    expect(figures.inHandAtSignal).toBeGreaterThanOrEqual(HELD);
    expect(server.lines().filter((line) => line.msg === 'stopped')).toHaveLength(workers === 1 ? 1 : workers + 1);
    expect(code).toBe(0);
    expect(figures.msToExit).toBeLessThan(SHUTDOWN_TIMEOUT_SECONDS * 1000);
  });

  it('past SHUTDOWN_TIMEOUT cuts off what is still in hand, says so in the log, and exits 1', async () => {
    const server = await startServer(workers, { SHUTDOWN_TIMEOUT: '1' });
    const url = server.ready.url as string;
    // Its body is never sent: the server has it in hand and can never answer it.
    const stuck = holdPost(url, { query: print(MeDocument) });
    await stuck.received;
    const exit = exitOf(server);
    const signalAt = performance.now();
    server.child.kill('SIGTERM');
    const { code, at } = await exit;
    recordFigures(`shutdown-timeout-workers-${workers}`, { workers, shutdownTimeoutSeconds: 1, exitCode: code, msToExit: Math.round(at - signalAt) });
    expect(code).toBe(1);
    expect(server.lines().filter((line) => line.msg === 'shutdown timed out: requests still in hand were cut off')).toEqual([
      expect.objectContaining({ timeoutSeconds: 1, cutOff: 1 }),
    ]);
  });
});
