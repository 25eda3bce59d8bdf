// What error texts give away in production: which libraries run the server, and what a client submitted
// (a password sent as a number comes back in the error, and from there goes to client-side error trackers).
import { type TestServer } from '../helpers/server';
import { expectNoLeak, startAttackedServer } from './harness';

const LOGIN = 'mutation($input: LoginInput!) { login(input: $input) { accessToken } }';
const SECRET_PASSWORD = 'hunter2 is my password';

let production: TestServer;
let development: TestServer;
beforeAll(async () => {
  production = await startAttackedServer({ NODE_ENV: 'production', MAIL_DISABLED: 'true' });
  development = await startAttackedServer({ NODE_ENV: 'development' });
});
afterAll(async () => {
  await production.close();
  await development.close();
});

it.each(['PUT', 'DELETE', 'PATCH'])('%s on /graphql is 405 METHOD_NOT_ALLOWED, naming no library', async (method) => {
  const res = await fetch(production.url, { method, headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
  const text = await res.text();
  expectNoLeak(text);
  expect(res.status).toBe(405);
  expect(res.headers.get('allow')).toBe('GET, POST');
  expect(JSON.parse(text)).toEqual({ errors: [{ message: 'Only GET and POST requests are accepted', extensions: { code: 'METHOD_NOT_ALLOWED' } }] });
});

it('a persisted-query request gets a plain refusal, never PersistedQueryNotFound', async () => {
  const res = await fetch(production.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: 'ecf4edb46db40b5132295c0291d62fb65d6759a9eedfa4d5d612dd5ec54a6b38' } } }),
  });
  const text = await res.text();
  expectNoLeak(text);
  expect(text).not.toMatch(/PersistedQuery/);
  expect(JSON.parse(text).errors).toEqual([
    { message: 'Persisted queries are not supported: send the query text', extensions: { code: 'PERSISTED_QUERY_NOT_SUPPORTED' } },
  ]);
});

it('query-limit errors carry no "Syntax Error:" prefix', async () => {
  const aliases = await production.graphql(`{ ${Array.from({ length: 16 }, (_, i) => `a${i}: me { id }`).join(' ')} }`);
  expect(aliases.body.errors?.map((error) => error.message)).toEqual(['Aliases limit of 15 exceeded, found 16.']);
  const tokens = await production.graphql(`{ ${Array(1001).fill('__typename').join(' ')} }`);
  expect(tokens.body.errors?.map((error) => error.message)).toEqual(['The document has more than 1000 tokens']);
  // A real syntax error is still called one.
  expect((await production.graphql('{ me { ')).body.errors?.[0].message).toMatch(/^Syntax Error: /);
});

describe.each([
  ['production', () => production],
  ['development', () => development],
])('a variable of the wrong type, in %s', (_env, server) => {
  it('does not echo a password sent as a number', async () => {
    const res = await server().graphql(LOGIN, { input: { email: 'ada@example.com', password: 8675309123 } });
    expect(res.body.errors).toEqual([
      expect.objectContaining({
        message: 'Variable "$input" got an invalid value at "input.password"; String cannot represent a non string value',
        extensions: { code: 'BAD_USER_INPUT' },
      }),
    ]);
    expect(res.text).not.toContain('8675309123');
    expect(res.text).not.toContain('ada@example.com');
  });

  it('does not echo the password beside a field the input type does not have', async () => {
    const res = await server().graphql(LOGIN, { input: { email: 'ada@example.com', password: SECRET_PASSWORD, remember: true } });
    expect(res.body.errors?.[0].message).toBe('Variable "$input" got an invalid value; Field "remember" is not defined by type "LoginInput".');
    expect(res.text).not.toContain(SECRET_PASSWORD);
  });

  it('does not echo a whole input sent as a string', async () => {
    const res = await server().graphql(LOGIN, { input: `{"email":"ada@example.com","password":"${SECRET_PASSWORD}"}` });
    expect(res.body.errors?.[0].message).toBe('Variable "$input" got an invalid value; Expected type "LoginInput" to be an object.');
    expect(res.text).not.toContain(SECRET_PASSWORD);
  });
});
