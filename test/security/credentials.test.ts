// Credential attacks: account enumeration, oversized passwords, hidden fields, privilege in input.
import { LoginDocument, SignupDocument, UsersDocument, type LoginInput, type SignupInput } from '../../src/client/graphql';
import { signUp, TEST_PASSWORD, type SignedUp, type TestServer } from '../helpers/server';
import { startAttackedServer } from './harness';

let server: TestServer;
let alice: SignedUp;

beforeAll(async () => {
  // bcrypt at cost 8 (~15 ms) dominates a login, so a timing difference would show.
  server = await startAttackedServer({ BCRYPT_COST: '8' });
  alice = await signUp(server);
});
afterAll(() => server.close());

async function userCount(): Promise<number> {
  const res = await server.execute(UsersDocument, {}, { token: alice.token });
  return res.body.data?.users.totalCount ?? -1;
}

const login = (input: LoginInput) => server.execute(LoginDocument, { input });
const signup = (input: SignupInput) => server.execute(SignupDocument, { input });

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

it('an unknown email and a wrong password get identical answers, in times within noise of each other', async () => {
  const unknown = { email: 'nobody@example.com', password: 'wrong password' };
  const wrong = { email: alice.email, password: 'wrong password' };
  const a = await login(unknown);
  const b = await login(wrong);
  expect(a.status).toBe(b.status);
  expect(a.text).toBe(b.text);

  const times: Record<'unknown' | 'wrong', number[]> = { unknown: [], wrong: [] };
  for (let i = 0; i < 30; i++) {
    for (const [name, input] of [['unknown', unknown], ['wrong', wrong]] as const) {
      const started = performance.now();
      await login(input);
      times[name].push(performance.now() - started);
    }
  }
  const [u, w] = [median(times.unknown), median(times.wrong)];
  // A generous bound: without the dummy hash the unknown email answers several times faster.
  expect(Math.max(u, w) / Math.min(u, w)).toBeLessThan(1.5);
});

it('a 1 MB password is refused as input, on signup and on login, and creates nothing', async () => {
  const before = await userCount();
  const huge = 'p'.repeat(1_000_000);
  const signedUp = await signup({ name: 'Huge', email: 'huge@example.com', password: huge });
  expect(signedUp.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: { password: expect.stringContaining('72 bytes') } });
  const loggedIn = await login({ email: alice.email, password: huge });
  expect(loggedIn.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: { password: expect.stringContaining('72 bytes') } });
  expect(await userCount()).toBe(before);
});

it('a 73-byte password is refused; 72 bytes is accepted', async () => {
  const refused = await signup({ name: 'Long', email: 'long73@example.com', password: 'é'.repeat(36) + 'x' });
  expect(refused.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: { password: expect.any(String) } });
  const accepted = await signup({ name: 'Long', email: 'long72@example.com', password: 'é'.repeat(36) });
  expect(accepted.body.errors).toBeUndefined();
});

it.each(['password', 'passwordHash', 'password_hash'])('the %s field cannot be queried', async (field) => {
  // A field no typed operation selects (none can): inline.
  const res = await server.graphql(`{ me { id ${field} } }`, {}, { token: alice.token });
  expect(res.status).toBe(400);
  expect(res.body.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  expect(res.body.data).toBeUndefined();
});

it('a signup with an extra role: ADMIN input field is refused, as a literal and as a variable', async () => {
  const before = await userCount();
  // The extra field written into the document itself: inline, as no typed operation can carry it.
  const literal = await server.graphql('mutation { signup(input: {name: "Eve", email: "eve@example.com", password: "long enough", role: ADMIN}) { accessToken } }');
  expect(literal.status).toBe(400);
  expect(literal.body.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  // role is not a field of SignupInput: sent anyway, as an attacker would.
  const variable = await signup({ name: 'Eve', email: 'eve@example.com', password: 'long enough', role: 'ADMIN' } as SignupInput);
  expect(variable.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  expect(variable.body.data).toBeUndefined();
  expect(await userCount()).toBe(before);
});

it('control: the same signup without the extra field makes a USER', async () => {
  const res = await signup({ name: 'Eve', email: 'eve@example.com', password: TEST_PASSWORD });
  expect(res.body.data?.signup.user.role).toBe('USER');
});
