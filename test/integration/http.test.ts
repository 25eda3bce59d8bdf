// The HTTP surface: health, unknown routes, body limits, request ids, and error masking.
import { UserService } from '../../src/users/user.service';
import { DIALECT, onPostgres } from '../helpers/database';
import { itWhenAvailable, REDIS, reachable } from '../helpers/services';
import { errorOf, LogCapture, signUp, startTestServer, type TestServer } from '../helpers/server';

interface ErrorBody {
  errors: { message: string; extensions: { code: string } }[];
}

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

function post(body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  return fetch(server.url, { method: 'POST', headers, body });
}

it('GET /health answers 200 ok when the database answers', async () => {
  const res = await fetch(`${server.baseUrl}/health`);
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ status: 'ok', database: { status: 'up', dialect: DIALECT, ...(onPostgres ? { changeFeed: 'live' } : {}) } });
});

const redisReachable = reachable(REDIS.host, REDIS.port);

describe('GET /health with REDIS_URL', () => {
  async function healthOf(env: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
    const other = await startTestServer(env);
    try {
      const res = await fetch(`${other.baseUrl}/health`);
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    } finally {
      await other.close();
    }
  }

  it('says redis is down, and the service degraded but up (200), when Redis cannot be reached', async () => {
    expect(await healthOf({ REDIS_URL: 'redis://127.0.0.1:1' })).toMatchObject({ status: 200, body: { status: 'degraded', redis: 'down' } });
  });

  itWhenAvailable(redisReachable, 'Redis is not reachable at 127.0.0.1:6379')('says redis is up when it answers', async () => {
    expect(await healthOf({ REDIS_URL: REDIS.url })).toMatchObject({ status: 200, body: { status: 'ok', redis: 'up' } });
  });
});

it('an unknown path is a 404 with a JSON error', async () => {
  const res = await fetch(`${server.baseUrl}/nope`);
  expect(res.status).toBe(404);
  expect(await res.json()).toEqual({ errors: [{ message: 'Not found', extensions: { code: 'NOT_FOUND' } }] });
});

it('refuses a body over 1 MiB with 413', async () => {
  const res = await post(JSON.stringify({ query: '{ __typename }', padding: 'x'.repeat(2 * 1024 * 1024) }));
  expect(res.status).toBe(413);
  expect(((await res.json()) as ErrorBody).errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');
});

it('answers invalid JSON with 400, not 500', async () => {
  const res = await post('{"query": ');
  expect(res.status).toBe(400);
  expect(((await res.json()) as ErrorBody).errors[0].extensions.code).toBe('BAD_REQUEST');
});

it('gives every response a request id, and echoes a sane incoming one', async () => {
  const own = await post(JSON.stringify({ query: '{ __typename }' }), { 'content-type': 'application/json', 'x-request-id': 'abc-123' });
  expect(own.headers.get('x-request-id')).toBe('abc-123');
  const made = await post(JSON.stringify({ query: '{ __typename }' }), { 'content-type': 'application/json', 'x-request-id': 'bad id ' + 'x'.repeat(100) });
  expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
});

it('marks every GraphQL response Cache-Control: no-store: tokens, user data and errors alike', async () => {
  const user = await signUp(server);
  const responses = [
    await post(JSON.stringify({ query: '{ __typename }' })),
    await post(JSON.stringify({ query: '{ me { id } }' }), { 'content-type': 'application/json', authorization: `Bearer ${user.token}` }),
    await post(JSON.stringify({ query: '{ me { id } }' })),
    await post(JSON.stringify({ query: '{ nope }' })),
    await post(
      JSON.stringify({
        query: 'mutation($input: LoginInput!) { login(input: $input) { accessToken } }',
        variables: { input: { email: user.email, password: 'wrong password 1' } },
      }),
    ),
  ];
  expect(responses.map((res) => res.headers.get('cache-control'))).toEqual(Array(responses.length).fill('no-store'));
});

describe('an unexpected error', () => {
  it('is masked as INTERNAL_SERVER_ERROR with the request id, and no internals', async () => {
    const { token } = await signUp(server);
    const spy = jest.spyOn(UserService.prototype, 'listUsers').mockRejectedValue(new Error('SQLITE_CORRUPT: database disk image is malformed at users.ts:42'));
    try {
      const res = await server.graphql('{ users { totalCount } }', {}, { token, headers: { 'x-request-id': 'req-42' } });
      expect(errorOf(res).code).toBe('INTERNAL_SERVER_ERROR');
      expect(res.body.errors?.[0]).toMatchObject({ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: 'req-42' } });
      expect(res.text).not.toMatch(/SQLITE|users\.ts|stacktrace|at \w/);
    } finally {
      spy.mockRestore();
    }
  });

  it('is logged in full under the request id the client was given', async () => {
    const logs = new LogCapture();
    const logged = await startTestServer({ LOG_LEVEL: 'error' }, undefined, logs);
    const spy = jest.spyOn(UserService.prototype, 'listUsers').mockRejectedValue(new Error('SQLITE_CORRUPT: disk image is malformed'));
    try {
      const { token } = await signUp(logged);
      const res = await logged.graphql('{ users { totalCount } }', {}, { token });
      const requestId = res.headers.get('x-request-id');
      expect(res.body.errors?.[0].extensions?.requestId).toBe(requestId);
      const line = logs.lines.find((entry) => entry.requestId === requestId);
      expect(line).toBeDefined();
      expect(JSON.stringify(line)).toContain('SQLITE_CORRUPT: disk image is malformed');
      expect(JSON.stringify(logs.lines)).not.toContain(token);
    } finally {
      spy.mockRestore();
      await logged.close();
    }
  });
});

it('never includes a stack trace in a validation error', async () => {
  const res = await server.graphql('{ nope }');
  expect(res.status).toBe(400);
  expect(res.text).not.toContain('stacktrace');
});
