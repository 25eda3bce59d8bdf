// GraphQL's own ways in: deep, wide, many-directive, huge, cyclic and batched documents,
// and what production mode shows to someone mapping the schema.
import { signUp, type SignedUp, type TestServer } from '../helpers/server';
import { postRaw, startAttackedServer } from './harness';

let server: TestServer;
let alice: SignedUp;
beforeAll(async () => {
  server = await startAttackedServer();
  alice = await signUp(server);
});
afterAll(() => server.close());

async function refused(query: string, code: string, message: RegExp) {
  const res = await server.graphql(query, {}, { token: alice.token });
  expect(res.status).toBe(400);
  expect(res.body.data).toBeUndefined();
  expect(res.body.errors?.some((error) => error.extensions?.code === code && message.test(error.message))).toBe(true);
}

async function accepted(query: string) {
  const res = await server.graphql(query, {}, { token: alice.token });
  expect(res.body.errors).toBeUndefined();
  expect(res.status).toBe(200);
}

it('depth 9 is refused', async () => {
  await refused('{ me { a { b { c { d { e { f { g { h } } } } } } } } }', 'GRAPHQL_VALIDATION_FAILED', /depth limit of 8 exceeded, found 9/);
});

it('16 aliases are refused; 15 are accepted', async () => {
  const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: me { id }`).join(' ')} }`;
  await refused(aliases(16), 'GRAPHQL_VALIDATION_FAILED', /Aliases limit of 15 exceeded, found 16/);
  await accepted(aliases(15));
});

it('51 directives are refused; 50 are accepted', async () => {
  const directives = (n: number) => `{ ${Array(n).fill('__typename @include(if: true)').join(' ')} }`;
  await refused(directives(51), 'GRAPHQL_VALIDATION_FAILED', /Directives limit of 50 exceeded, found 51/);
  await accepted(directives(50));
});

it('more than 1000 tokens are refused by the parser', async () => {
  await refused(`{ ${Array(1001).fill('__typename').join(' ')} }`, 'GRAPHQL_PARSE_FAILED', /1000 tokens/);
});

it('a document over the cost limit is refused; one full page of users is not', async () => {
  const page = (alias: string) => `${alias}: users(first: 100) { nodes { id name email role createdAt } pageInfo { hasNextPage endCursor } totalCount }`;
  await refused(`{ ${page('a')} ${page('b')} }`, 'GRAPHQL_VALIDATION_FAILED', /Cost limit of 5000 exceeded/);
  await accepted(`{ ${page('a')} }`);
});

it('first over 100 is refused as input', async () => {
  const res = await server.graphql('{ users(first: 101) { totalCount } }', {}, { token: alice.token });
  expect(res.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
});

it('a fragment cycle is refused without hanging', async () => {
  await refused('query { me { ...A } } fragment A on User { id ...B } fragment B on User { name ...A }', 'GRAPHQL_VALIDATION_FAILED', /cannot spread fragment/i);
});

it('an array batch of 50 operations is refused', async () => {
  const batch = JSON.stringify(Array.from({ length: 50 }, () => ({ query: '{ __typename }' })));
  const res = await postRaw(server, batch);
  expect(res.status).toBe(400);
  expect(res.text).toMatch(/batching/i);
});

it('a 2 MiB body is refused with 413 before it is parsed', async () => {
  const res = await postRaw(server, JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(2 * 1024 * 1024) } }));
  expect(res.status).toBe(413);
  expect(JSON.parse(res.text).errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');
});

it('headers over Node\'s default limit are refused with 431', async () => {
  const res = await postRaw(server, JSON.stringify({ query: '{ __typename }' }), { 'x-padding': 'x'.repeat(20 * 1024) });
  expect(res.status).toBe(431);
});

describe('in production', () => {
  let production: TestServer;
  beforeAll(async () => {
    production = await startAttackedServer({ NODE_ENV: 'production', MAIL_DISABLED: 'true' });
  });
  afterAll(() => production.close());

  it('introspection is off', async () => {
    const res = await production.graphql('{ __schema { types { name } } }');
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(res.text).not.toContain('UserConnection');
  });

  it('field suggestions are removed from validation errors', async () => {
    const res = await production.graphql('{ mee { id } }');
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0].message).toBe('Cannot query field "mee" on type "Query".');
    expect(res.text).not.toMatch(/Did you mean|"me"/);
  });

  it('control: outside production the same error carries the hint, and introspection works', async () => {
    expect((await server.graphql('{ mee { id } }')).body.errors?.[0].message).toMatch(/Did you mean "me"\?/);
    expect((await server.graphql('{ __schema { queryType { name } } }')).body.errors).toBeUndefined();
  });

  it('introspection comes back with GRAPHQL_INTROSPECTION=true', async () => {
    const open = await startAttackedServer({ NODE_ENV: 'production', MAIL_DISABLED: 'true', GRAPHQL_INTROSPECTION: 'true' });
    try {
      expect((await open.graphql('{ __schema { queryType { name } } }')).body.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    } finally {
      await open.close();
    }
  });
});
