// signup and login over real HTTP against a real (in-memory) SQLite database.
import bcrypt from 'bcryptjs';
import { LoginDocument, MeDocument, SignupDocument, type LoginInput, type SignupInput } from '../../src/client/graphql';
import { errorOf, signUp, startTestServer, TEST_PASSWORD, type TestServer } from '../helpers/server';
import { countUsers, passwordHashOf, setPasswordHash } from '../helpers/database';

const signup = (target: TestServer, input: SignupInput) => target.execute(SignupDocument, { input });
const login = (target: TestServer, input: LoginInput) => target.execute(LoginDocument, { input });

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

describe('signup', () => {
  it('creates a user and returns a Bearer token and the viewer record with its email', async () => {
    const res = await signup(server, { name: ' Grace ', email: ' Grace@Example.COM ', password: TEST_PASSWORD });
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data).toEqual({
      signup: {
        accessToken: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
        tokenType: 'Bearer',
        expiresIn: 900,
        refreshToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        refreshExpiresIn: 30 * 24 * 3600,
        mfaRequired: false,
        user: {
          id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
          name: 'Grace',
          email: 'grace@example.com',
          role: 'USER',
          createdAt: new Date(server.clock.now()).toISOString(),
          mfaEnabled: false,
          emailVerified: false,
        },
      },
    });
  });

  it('stores a bcrypt hash, never the password', async () => {
    const { email } = await signUp(server);
    const stored = await passwordHashOf(server, email);
    expect(stored).toMatch(/^\$2b\$04\$/);
    expect(await bcrypt.compare(TEST_PASSWORD, stored)).toBe(true);
  });

  it('refuses an email that is already registered, in any case, with EMAIL_TAKEN', async () => {
    const { email } = await signUp(server);
    const res = await signup(server, { name: 'Again', email: email.toUpperCase(), password: TEST_PASSWORD });
    expect(errorOf(res)).toEqual({ code: 'BAD_USER_INPUT', reason: 'EMAIL_TAKEN' });
    expect(res.body.errors?.[0].extensions?.fields).toEqual({ email: 'Already registered' });
  });

  it.each([
    ['an invalid email', { email: 'not-an-email' }, ['email']],
    ['a blank name', { name: '   ' }, ['name']],
    ['a name over 100 characters', { name: 'n'.repeat(101) }, ['name']],
    ['a 7-character password', { password: 'short77' }, ['password']],
    ['a 73-byte password', { password: 'p'.repeat(73) }, ['password']],
    ['everything wrong', { name: '', email: 'x', password: 'y' }, ['email', 'name', 'password']],
  ])('refuses %s with BAD_USER_INPUT and the field', async (_name, override, fields) => {
    const input = { name: 'Valid', email: 'valid-input@example.com', password: TEST_PASSWORD, ...override };
    const res = await signup(server, input);
    expect(errorOf(res)).toEqual({ code: 'BAD_USER_INPUT', reason: 'INVALID_INPUT' });
    expect(Object.keys(res.body.errors?.[0].extensions?.fields as object).sort()).toEqual(fields);
    expect(await countUsers(server, 'valid-input@example.com')).toBe(0);
  });

  it('refuses an extra role field in the input', async () => {
    // role is not a field of SignupInput: sent anyway, as an attacker would.
    const res = await signup(server, { name: 'Mallory', email: 'mallory@example.com', password: TEST_PASSWORD, role: 'ADMIN' } as SignupInput);
    expect(res.status).toBe(400);
    expect(errorOf(res).code).toBe('BAD_USER_INPUT');
    expect(await countUsers(server, 'mallory@example.com')).toBe(0);
  });
});

describe('login', () => {
  it('returns a token that works for me', async () => {
    const { email, id } = await signUp(server);
    const res = await login(server, { email, password: TEST_PASSWORD });
    expect(res.body.data?.login).toMatchObject({ tokenType: 'Bearer', expiresIn: 900, user: { email } });
    const me = await server.execute(MeDocument, {}, { token: res.body.data?.login.accessToken });
    expect(me.body.data).toEqual({ me: { id, name: expect.any(String), email, role: 'USER', createdAt: expect.any(String), mfaEnabled: false, emailVerified: false } });
  });

  it('normalises the email: case and spaces do not matter', async () => {
    const { email } = await signUp(server);
    const res = await login(server, { email: `  ${email.toUpperCase()} `, password: TEST_PASSWORD });
    expect(res.body.errors).toBeUndefined();
  });

  it('answers a wrong password and an unknown email identically, with 401', async () => {
    const { email } = await signUp(server);
    const wrongPassword = await login(server, { email, password: 'wrong password' });
    const unknownEmail = await login(server, { email: 'nobody@example.com', password: 'wrong password' });
    expect(errorOf(wrongPassword)).toEqual({ code: 'UNAUTHENTICATED', reason: 'INVALID_CREDENTIALS' });
    expect(wrongPassword.status).toBe(401);
    expect(unknownEmail.status).toBe(401);
    expect(unknownEmail.body).toEqual(wrongPassword.body);
  });

  it('spends a bcrypt comparison on an unknown email too', async () => {
    const spy = jest.spyOn(server.app.hasher, 'verifyDummy');
    await login(server, { email: 'ghost@example.com', password: 'whatever-it-is' });
    expect(spy).toHaveBeenCalledTimes(1);
    spy.mockRestore();
  });

  it('refuses a 1 MB password without hashing it', async () => {
    const { email } = await signUp(server);
    const verify = jest.spyOn(server.app.hasher, 'verify');
    const dummy = jest.spyOn(server.app.hasher, 'verifyDummy');
    const res = await login(server, { email, password: 'p'.repeat(1_000_000) });
    expect(errorOf(res)).toEqual({ code: 'BAD_USER_INPUT', reason: 'INVALID_INPUT' });
    expect(verify).not.toHaveBeenCalled();
    expect(dummy).not.toHaveBeenCalled();
    verify.mockRestore();
    dummy.mockRestore();
  });

  it('re-hashes a stored hash with a lower cost on the next successful login', async () => {
    const strict = await startTestServer({ BCRYPT_COST: '5' });
    try {
      const user = await signUp(strict);
      await setPasswordHash(strict, user.email, await bcrypt.hash(TEST_PASSWORD, 4));
      const res = await login(strict, { email: user.email, password: TEST_PASSWORD });
      expect(res.body.errors).toBeUndefined();
      const stored = await passwordHashOf(strict, user.email);
      expect(bcrypt.getRounds(stored)).toBe(5);
      expect(await bcrypt.compare(TEST_PASSWORD, stored)).toBe(true);
    } finally {
      await strict.close();
    }
  });

  it('leaves a hash of the configured cost alone', async () => {
    const { email } = await signUp(server);
    const before = await passwordHashOf(server, email);
    await login(server, { email, password: TEST_PASSWORD });
    const after = await passwordHashOf(server, email);
    expect(after).toBe(before);
  });
});

describe('password fields', () => {
  it.each(['password', 'passwordHash'])('%s cannot be queried', async (field) => {
    const { token } = await signUp(server);
    // A field no typed operation selects (none can): inline.
    const res = await server.graphql(`{ me { ${field} } }`, {}, { token });
    expect(res.status).toBe(400);
    expect(errorOf(res).code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(res.text).not.toMatch(/\$2[aby]\$/);
  });
});
