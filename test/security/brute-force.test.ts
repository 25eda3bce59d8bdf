// Brute force against the deployed defaults: aliases, rotating X-Forwarded-For, the right password
// during backoff, and email variants.
import { LoginDocument } from '../../src/client/graphql';
import { errorOf, signUp, TEST_PASSWORD, type TestServer } from '../helpers/server';
import { DEFAULT_LIMITS, startAttackedServer } from './harness';

let server: TestServer;
beforeAll(async () => {
  server = await startAttackedServer({ ...DEFAULT_LIMITS, RATE_LIMIT_LOGIN_IP: '1000/1m' });
});
afterAll(() => server.close());

const login = (email: string, password: string, headers: Record<string, string> = {}) => server.execute(LoginDocument, { input: { email, password } }, { headers });

it('100 aliased logins in one request are refused before any runs (and 16 by the alias limit)', async () => {
  const { email } = await signUp(server);
  // Aliased logins in one document: inline, as no typed operation has aliases.
  const fields = Array.from({ length: 100 }, (_, i) => `a${i}: login(input: {email: "${email}", password: "guess ${i}"}) { accessToken }`);
  const res = await server.graphql(`mutation { ${fields.join(' ')} }`);
  // ~1,500 tokens: the parser's token limit refuses it even before the alias limit would.
  expect(res.status).toBe(400);
  expect(res.body.errors?.map((error) => error.extensions?.code)).toEqual(['GRAPHQL_PARSE_FAILED']);
  expect(res.body.errors?.[0].message).toMatch(/1000 tokens/);
  const sixteen = await server.graphql(`mutation { ${fields.slice(0, 16).join(' ')} }`);
  expect(sixteen.status).toBe(400);
  expect(sixteen.body.errors?.map((error) => error.extensions?.code)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  expect(sixteen.body.errors?.[0].message).toMatch(/aliases/i);
  // None of them counted: the account still has its five tries.
  for (let i = 0; i < 5; i++) expect(errorOf(await login(email, 'wrong password')).reason).toBe('INVALID_CREDENTIALS');
  expect(errorOf(await login(email, 'wrong password')).code).toBe('RATE_LIMITED');
});

it('10 bad passwords with a rotating X-Forwarded-For are still limited per account', async () => {
  const { email } = await signUp(server);
  const codes: unknown[] = [];
  for (let i = 0; i < 10; i++) codes.push(errorOf(await login(email, 'wrong password', { 'x-forwarded-for': `203.0.113.${i + 1}` })).code);
  expect(codes).toEqual([...Array(5).fill('UNAUTHENTICATED'), ...Array(5).fill('RATE_LIMITED')]);
});

it('the right password during backoff gets the same answer as a wrong one', async () => {
  const { email } = await signUp(server);
  for (let i = 0; i < 5; i++) await login(email, 'wrong password');
  const right = await login(email, TEST_PASSWORD);
  const wrong = await login(email, 'wrong password');
  expect(right.status).toBe(429);
  expect(right.text).toBe(wrong.text);
  expect(right.body.data).toBeNull();
});

it('case variants of an email share one counter', async () => {
  const { email } = await signUp(server);
  for (const variant of [email.toUpperCase(), email, ` ${email}`, email.toUpperCase(), `${email} `]) {
    expect(errorOf(await login(variant, 'wrong password')).reason).toBe('INVALID_CREDENTIALS');
  }
  expect(errorOf(await login(email.toUpperCase(), TEST_PASSWORD)).code).toBe('RATE_LIMITED');
});
