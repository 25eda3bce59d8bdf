// PostgreSQL restarted under a running server: requests answer 503 SERVICE_UNAVAILABLE with Retry-After
// while the database is away (never a 500, never a hang), and full service comes back by itself, without
// restarting the server, with nothing committed lost. On a private cluster, never the machine's shared one.
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { MeDocument, SignupDocument } from '../../src/client/graphql';
import { groupEnv, startInstance, type Instance } from '../helpers/instances';
import { privatePostgresMissing, startPrivatePostgres, type PrivatePostgres } from '../helpers/private-postgres';
import { TEST_PASSWORD, type GraphQLResponse } from '../helpers/server';
import { describeWhenAvailable } from '../helpers/services';
import { waitFor } from '../helpers/wait';

const missing = privatePostgresMissing();
/** Named like every test database of this run, which is what lets the harness use it. */
const DATABASE = `${process.env.TEST_DATABASE_RUN}_private`;

describeWhenAvailable(missing === undefined, missing ?? '', 'a PostgreSQL restart in the middle of traffic', () => {
  let cluster: PrivatePostgres;
  let server: Instance;
  beforeAll(async () => {
    cluster = await startPrivatePostgres();
    const admin = new Client({ connectionString: cluster.url() });
    await admin.connect();
    await admin.query(`create database "${DATABASE}"`);
    await admin.end();
    server = await startInstance('A', groupEnv({ env: { DATABASE_URL: cluster.url(DATABASE) }, drop: async () => undefined }, { REDIS_URL: '', DATABASE_TIMEOUT: '2s' }));
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    cluster?.destroy();
  });

  it('answers 503 with Retry-After while it is away, then serves again by itself, with nothing committed lost', async () => {
    const signup = (label: string) =>
      server.execute(SignupDocument, { input: { name: label, email: `${label}-${randomBytes(4).toString('hex')}@example.com`, password: TEST_PASSWORD } });
    const first = await signup('before');
    const token = first.body.data!.signup.accessToken;
    const created: string[] = [first.body.data!.signup.user.email!];
    const answers: Array<{ phase: string; res: GraphQLResponse<unknown> }> = [];
    let phase = 'up';
    let running = true;
    const traffic = (async () => {
      while (running) {
        const started = phase;
        const res = await signup(phase);
        if (res.body.data) created.push((res.body.data as { signup: { user: { email: string } } }).signup.user.email);
        answers.push({ phase: started, res });
        answers.push({ phase: started, res: await server.execute(MeDocument, {}, { token }) });
      }
    })();

    await new Promise((resolve) => setTimeout(resolve, 300));
    phase = 'stopping';
    cluster.stop();
    phase = 'down';
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const health = await fetch(server.url.replace('/graphql', '/health'));
    expect(health.status).toBe(503);
    phase = 'starting';
    cluster.start();
    phase = 'back';
    // Full service again, without a restart: wait for the first full answer, then require only full answers.
    await waitFor(async () => Boolean((await server.execute(MeDocument, {}, { token })).body.data), 'a full answer after the restart', {
      withinMs: 15_000,
      everyMs: 100,
    });
    phase = 'recovered';
    await new Promise((resolve) => setTimeout(resolve, 500));
    running = false;
    await traffic;

    // Never a 500, never anything but a full answer or a 503 with Retry-After.
    const statuses = new Set(answers.map(({ res }) => res.status));
    expect([...statuses].every((status) => status === 200 || status === 503)).toBe(true);
    for (const { res } of answers.filter(({ res }) => res.status === 503)) {
      expect(res.body.errors?.[0].extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryAfter: expect.any(Number) });
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    expect(answers.some(({ phase: seen, res }) => seen === 'down' && res.status === 503)).toBe(true);
    const recovered = answers.filter(({ phase: seen }) => seen === 'recovered');
    expect(recovered.length).toBeGreaterThan(0);
    expect(recovered.filter(({ res }) => res.status !== 200)).toEqual([]);
    expect((await fetch(server.url.replace('/graphql', '/health'))).status).toBe(200);

    const check = new Client({ connectionString: cluster.url(DATABASE) });
    await check.connect();
    try {
      const { rows } = await check.query<{ email: string }>('select email from users');
      const stored = new Set(rows.map((row) => row.email));
      expect(created.filter((email) => !stored.has(email))).toEqual([]);
    } finally {
      await check.end();
    }
  }, 60_000);
});
