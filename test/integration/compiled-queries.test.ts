// Hot queries run compiled (src/graphql/compiled-queries.ts). What a client sees must not change: each
// document below is sent past GRAPHQL_COMPILE_AFTER, and every answer must be byte for byte the answer
// graphql-js gave it before. Errors keep coming from graphql-js; what is not a hot query is never compiled.
// (The rest of the suite runs with GRAPHQL_COMPILE_AFTER=0, so every suite checks the compiled path too.)
import { LogCapture, signUp, startTestServer, type SignedUp, type TestServer } from '../helpers/server';

const COMPILE_AFTER = 3;
const COMPILED = 'hot query compiled';

let server: TestServer;
let user: SignedUp;
const logs = new LogCapture();
beforeAll(async () => {
  server = await startTestServer({ GRAPHQL_COMPILE_AFTER: String(COMPILE_AFTER), LOG_LEVEL: 'debug' }, undefined, logs);
  user = await signUp(server);
  // Others to page through: their emails are null to this user (visible only to ADMINs and themselves).
  for (let i = 0; i < 3; i += 1) await signUp(server);
});
afterAll(() => server.close());

const compiledLines = () => logs.lines.filter((line) => line.msg === COMPILED);

interface Request {
  query: string;
  operationName?: string;
  variables?: Record<string, unknown>;
}

/** Sends `request` `times` times; returns the answers (status and body text) and how many documents were compiled meanwhile. */
async function sendRepeatedly(request: Request | string, times: number, token?: string): Promise<{ texts: string[]; compiled: number }> {
  const body = JSON.stringify(typeof request === 'string' ? { query: request } : request);
  const before = compiledLines().length;
  const texts: string[] = [];
  for (let i = 0; i < times; i += 1) {
    const res = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body,
    });
    texts.push(`${res.status} ${await res.text()}`);
  }
  return { texts, compiled: compiledLines().length - before };
}

const HOT = {
  'me, every field': '{ me { id name email role createdAt mfaEnabled emailVerified } }',
  sessions: '{ sessions { id current createdAt lastUsedAt expiresAt userAgent } }',
  'a page of users (the default arguments)': '{ users { totalCount nodes { id name email role createdAt } pageInfo { hasNextPage endCursor } } }',
  'aliases and __typename': '{ who: me { id kind: __typename shown: role } __typename }',
  'a named operation among two': { query: 'query Other { __typename } query Mine { me { id } }', operationName: 'Mine' },
} satisfies Record<string, Request | string>;

describe.each(Object.entries(HOT))('%s', (_name, query) => {
  it('is compiled after GRAPHQL_COMPILE_AFTER runs, and answers exactly as graphql-js did', async () => {
    const { texts, compiled } = await sendRepeatedly(query, COMPILE_AFTER + 3, user.token);
    expect(compiled).toBe(1);
    expect(texts[0]).toMatch(/^200 \{"data":/);
    for (const text of texts.slice(1)) expect(text).toBe(texts[0]);
  });
});

it('is not compiled before GRAPHQL_COMPILE_AFTER runs', async () => {
  const { compiled } = await sendRepeatedly('{ me { name } }', COMPILE_AFTER, user.token);
  expect(compiled).toBe(0);
  expect((await sendRepeatedly('{ me { name } }', 1, user.token)).compiled).toBe(1);
});

it('answers an error from graphql-js, the same before and after the document is compiled', async () => {
  const query = '{ me { id email } }';
  // Compiled on a valid token; then refused without one.
  await sendRepeatedly(query, COMPILE_AFTER + 1, user.token);
  const refusals = await sendRepeatedly(query, 3);
  for (const text of refusals.texts) expect(text).toBe(refusals.texts[0]);
  const off = await startTestServer({ GRAPHQL_COMPILE_AFTER: 'off' });
  try {
    const interpreted = await off.graphql(query);
    expect(refusals.texts[0]).toBe(`${interpreted.status} ${interpreted.text}`);
    expect(interpreted.body.errors?.[0]?.path).toEqual(['me']);
  } finally {
    await off.close();
  }
});

it('checks the session on every request: a compiled me refuses a token whose session has ended', async () => {
  const other = await signUp(server);
  const query = '{ me { id } }';
  await sendRepeatedly(query, COMPILE_AFTER + 1, other.token);
  const logout = await server.graphql('mutation { logout }', undefined, { token: other.token });
  expect(logout.body.data).toEqual({ logout: true });
  const after = await server.graphql(query, undefined, { token: other.token });
  expect(after.status).toBe(401);
  expect(after.body.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'TOKEN_REVOKED' });
});

it.each([
  ['a query with variables', 'query ($first: Int) { users(first: $first) { totalCount } }'],
  ['a literal argument', '{ users(first: 2) { totalCount } }'],
  ['a directive argument', '{ me { id name @skip(if: true) } }'],
  ['introspection', '{ __schema { queryType { name } } }'],
  ['a root fragment', '{ ...Who } fragment Who on Query { me { id } }'],
])('never compiles %s', async (_name, query) => {
  const { texts, compiled } = await sendRepeatedly({ query, variables: { first: 2 } }, COMPILE_AFTER + 3, user.token);
  for (const text of texts) expect(text).toMatch(/^200 \{"data":/);
  expect(compiled).toBe(0);
});

it('never runs code written into a string argument (graphql-jit 0.8.9 would, once compiled)', async () => {
  // graphql-jit turns this marker, followed by anything, into `new Date(anything)` in the code it generates.
  const payload = '__MAGIC_DATE__33a9e76d_02e0_4128_8e92_3530ad3da74d(globalThis.compiledQueryInjected = true)';
  const { compiled } = await sendRepeatedly(`{ users(after: "${payload}") { totalCount } }`, COMPILE_AFTER + 3, user.token);
  expect(compiled).toBe(0);
  expect((globalThis as { compiledQueryInjected?: boolean }).compiledQueryInjected).toBeUndefined();
});

it('never compiles a mutation', async () => {
  const before = compiledLines().length;
  for (let i = 0; i < COMPILE_AFTER + 3; i += 1) {
    const session = await signUp(server);
    const res = await server.graphql('mutation { logout }', undefined, { token: session.token });
    expect(res.body.data).toEqual({ logout: true });
  }
  expect(compiledLines().length - before).toBe(0);
});

it('compiles nothing with GRAPHQL_COMPILE_AFTER=off', async () => {
  const offLogs = new LogCapture();
  const off = await startTestServer({ GRAPHQL_COMPILE_AFTER: 'off', LOG_LEVEL: 'debug' }, undefined, offLogs);
  try {
    const someone = await signUp(off);
    for (let i = 0; i < 20; i += 1) expect((await off.graphql('{ me { id } }', undefined, { token: someone.token })).status).toBe(200);
    expect(offLogs.lines.filter((line) => line.msg === COMPILED)).toEqual([]);
  } finally {
    await off.close();
  }
});
