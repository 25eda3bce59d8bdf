// GraphQL over HTTP: queries over GET from any client, never a mutation; a POST must be JSON; and the
// audit suite of the graphql-http package against the live server.
import { serverAudits, type AuditResult } from 'graphql-http';
import { errorOf, signUp, startTestServer, type TestServer } from '../helpers/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

function get(query: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${server.url}?query=${encodeURIComponent(query)}`, { headers: { accept: 'application/json', ...headers } });
}

interface Body {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

describe('GET', () => {
  it('runs a query with no header but Accept, as urql sends it by default', async () => {
    const res = await get('{ __typename }');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('runs an authenticated query with the access token in a header', async () => {
    const user = await signUp(server);
    const res = await get('{ me { id } }', { authorization: `Bearer ${user.token}` });
    expect(await res.json()).toEqual({ data: { me: { id: user.id } } });
  });

  it('marks a GET answer Cache-Control: no-store, like every GraphQL answer', async () => {
    const user = await signUp(server);
    const res = await get('{ me { id } }', { authorization: `Bearer ${user.token}` });
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('refuses refreshToken over GET with 405, and the refresh token is not spent', async () => {
    const user = await signUp(server);
    const res = await get(`mutation { refreshToken(token: "${user.refreshToken}") { accessToken } }`);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect(((await res.json()) as Body).errors?.[0].extensions?.code).toBe('BAD_REQUEST');
    const spent = await server.graphql(`mutation { refreshToken(token: "${user.refreshToken}") { accessToken } }`);
    expect(spent.body.errors).toBeUndefined();
  });

  it('refuses logout over GET with 405, and the session goes on', async () => {
    const user = await signUp(server);
    const res = await get('mutation { logout }', { authorization: `Bearer ${user.token}` });
    expect(res.status).toBe(405);
    expect(((await res.json()) as Body).errors?.[0].extensions?.code).toBe('BAD_REQUEST');
    const me = await server.graphql('{ me { id } }', {}, { token: user.token });
    expect(me.body.data).toEqual({ me: { id: user.id } });
  });

  it('answers a query that is missing with 400 BAD_REQUEST, not 500', async () => {
    const res = await fetch(server.url, { headers: { accept: 'application/json' } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as Body).errors?.[0].extensions?.code).toBe('BAD_REQUEST');
  });
});

describe('a POST that is not JSON', () => {
  const refusal = {
    errors: [{ message: 'Send a GraphQL POST as JSON, with the header Content-Type: application/json', extensions: { code: 'UNSUPPORTED_MEDIA_TYPE' } }],
  };

  it.each([
    ['text/plain', JSON.stringify({ query: 'mutation { logout }' })],
    ['application/x-www-form-urlencoded', 'query=mutation%20%7B%20logout%20%7D'],
    ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="query"\r\n\r\nmutation { logout }\r\n--x--\r\n'],
  ])('is refused with 415 before it runs (%s, which a cross-site form can send), saying which header to send', async (type, body) => {
    const user = await signUp(server);
    const res = await fetch(server.url, { method: 'POST', headers: { 'content-type': type, authorization: `Bearer ${user.token}` }, body });
    expect(res.status).toBe(415);
    expect(await res.json()).toEqual(refusal);
    const me = await server.graphql('{ me { id } }', {}, { token: user.token });
    expect(me.body.data).toEqual({ me: { id: user.id } });
  });

  it('is refused with 415 when it has no Content-Type at all', async () => {
    const res = await fetch(server.url, { method: 'POST', body: new Uint8Array(Buffer.from(JSON.stringify({ query: '{ __typename }' }))) });
    expect(res.status).toBe(415);
    expect(await res.json()).toEqual(refusal);
  });

  it('never names a server library in the refusal', async () => {
    const res = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' });
    expect((await res.text()).toLowerCase()).not.toMatch(/apollo|preflight/);
  });
});

it('still sends UNAUTHENTICATED with its reason over GET', async () => {
  const res = await get('{ me { id } }', { authorization: 'Bearer not.a.token' });
  expect(res.status).toBe(401);
  expect(errorOf({ status: res.status, headers: res.headers, body: (await res.json()) as Body, text: '' })).toEqual({
    code: 'UNAUTHENTICATED',
    reason: 'TOKEN_INVALID',
  });
});

/**
 * The audits this server does not pass, each with why. Apollo answers a request it cannot execute
 * (a parse, validation or variable-coercion failure) with 400 whatever the client accepts; the spec
 * requires a 4xx for application/graphql-response+json and prefers 200 for the legacy application/json.
 * One status for both keeps a client's handling the same whatever it asks for.
 */
const KNOWN_SHORTFALLS: Record<string, string> = {
  '572B': 'SHOULD use 200 on a parse failure with application/json: Apollo answers 400 (see above)',
  FDE2: 'SHOULD use 200 on a validation failure with application/json: Apollo answers 400 (see above)',
  '7B9B': 'SHOULD use 200 on a variable-coercion failure with application/json: Apollo answers 400 (see above)',
};

describe('the graphql-http audit suite', () => {
  let results: AuditResult[];
  beforeAll(async () => {
    results = [];
    // One at a time: the audits share the server and its in-memory database.
    for (const audit of serverAudits({ url: server.url })) results.push(await audit.fn());
  });

  it('passes every MUST', () => {
    const failed = results.filter((result) => result.name.startsWith('MUST') && result.status !== 'ok');
    expect(failed.map((result) => `${result.id} ${result.name}: ${'reason' in result ? result.reason : ''}`)).toEqual([]);
  });

  it('passes every SHOULD and MAY but the named shortfalls, including the GET queries', () => {
    const notOk = results.filter((result) => result.status !== 'ok').map((result) => result.id);
    expect(notOk.sort()).toEqual(Object.keys(KNOWN_SHORTFALLS).sort());
  });

  it('ran the whole suite, so neither check above passed on an empty list', () => {
    expect(results.length).toBeGreaterThanOrEqual(61);
  });
});
