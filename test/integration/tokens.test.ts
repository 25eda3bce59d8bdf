// How the context reads and judges access tokens, end to end over HTTP.
import { createHmac } from 'node:crypto';
import { LoginDocument, MeDocument, SetUserRoleDocument, SignupDocument } from '../../src/client/graphql';
import { Role } from '../../src/shared/role';
import { claimsFor, decodePayload, forgeToken } from '../helpers/jwt';
import { errorOf, signUp, startTestServer, TEST_PASSWORD, type SignedUp, type TestServer } from '../helpers/server';

let server: TestServer;
let alice: SignedUp;

beforeAll(async () => {
  server = await startTestServer({ JWT_ISSUER: 'https://auth.test', JWT_AUDIENCE: 'test-clients' });
  alice = await signUp(server);
});
afterAll(() => server.close());

async function meWith(headers: Record<string, string>) {
  return server.execute(MeDocument, {}, { headers });
}

describe('where the token is read from', () => {
  it.each([
    ['Authorization: Bearer', (t: string) => ({ authorization: `Bearer ${t}` })],
    ['Authorization: JWT', (t: string) => ({ authorization: `JWT ${t}` })],
    ['X-Access-Token', (t: string) => ({ 'x-access-token': t })],
  ])('accepts %s', async (_name, header) => {
    const res = await meWith(header(alice.token));
    expect(res.body.data).toMatchObject({ me: { id: alice.id } });
  });

  it('treats another scheme as an invalid token, not as anonymous', async () => {
    const res = await meWith({ authorization: `Basic ${Buffer.from('alice:pw').toString('base64')}` });
    expect(errorOf(res)).toEqual({ code: 'UNAUTHENTICATED', reason: 'TOKEN_INVALID' });
  });

  it('says TOKEN_MISSING with 401 when there is no token', async () => {
    const res = await meWith({});
    expect(res.status).toBe(401);
    expect(errorOf(res)).toEqual({ code: 'UNAUTHENTICATED', reason: 'TOKEN_MISSING' });
  });
});

describe('which tokens are refused', () => {
  it('a hand-made token with the right secret is accepted (so the refusals below are about the flaw)', async () => {
    const token = forgeToken({ alg: 'HS256', typ: 'JWT' }, claimsFor(alice, server), server.config.jwt.secret!);
    expect((await meWith({ authorization: `Bearer ${token}` })).body.data).toMatchObject({ me: { id: alice.id } });
  });

  it.each([
    ['alg none', () => forgeToken({ alg: 'none', typ: 'JWT' }, claimsFor(alice, server), null)],
    ['another secret', () => forgeToken({ alg: 'HS256', typ: 'JWT' }, claimsFor(alice, server), 'another-secret-that-is-32-bytes-long!!')],
    ['HS384 with the same secret', () => forgeToken({ alg: 'HS384', typ: 'JWT' }, claimsFor(alice, server), server.config.jwt.secret!, 'sha384')],
    [
      'a tampered payload (role ADMIN, old signature)',
      () => {
        const [header, , signature] = alice.token.split('.');
        const payload = Buffer.from(JSON.stringify({ ...decodePayload(alice.token), role: 'ADMIN' })).toString('base64url');
        return `${header}.${payload}.${signature}`;
      },
    ],
    ['a wrong issuer', () => forgeToken({ alg: 'HS256', typ: 'JWT' }, claimsFor(alice, server, { iss: 'evil' }), server.config.jwt.secret!)],
    ['a wrong audience', () => forgeToken({ alg: 'HS256', typ: 'JWT' }, claimsFor(alice, server, { aud: 'evil' }), server.config.jwt.secret!)],
    ['no exp', () => forgeToken({ alg: 'HS256', typ: 'JWT' }, claimsFor(alice, server, { exp: undefined }), server.config.jwt.secret!)],
    [
      'a future nbf',
      () => forgeToken({ alg: 'HS256', typ: 'JWT' }, claimsFor(alice, server, { nbf: Math.floor(server.clock.now() / 1000) + 60 }), server.config.jwt.secret!),
    ],
    ['two segments', () => alice.token.split('.').slice(0, 2).join('.')],
    ['a flipped signature bit', () => flipLastBit(alice.token)],
  ])('%s: TOKEN_INVALID', async (_name, make) => {
    const res = await meWith({ authorization: `Bearer ${make()}` });
    expect(res.status).toBe(401);
    expect(errorOf(res)).toEqual({ code: 'UNAUTHENTICATED', reason: 'TOKEN_INVALID' });
    expect(res.body.data).toBeNull();
  });

  it('an expired token: TOKEN_EXPIRED, by the clock, without sleeping', async () => {
    const user = await signUp(server);
    server.clock.advance(900);
    try {
      const res = await meWith({ authorization: `Bearer ${user.token}` });
      expect(errorOf(res)).toEqual({ code: 'UNAUTHENTICATED', reason: 'TOKEN_EXPIRED' });
    } finally {
      server.clock.advance(-900);
    }
  });

  it('a token one second before expiry still works', async () => {
    const user = await signUp(server);
    server.clock.advance(899);
    try {
      expect((await meWith({ authorization: `Bearer ${user.token}` })).body.data).toMatchObject({ me: { id: user.id } });
    } finally {
      server.clock.advance(-899);
    }
  });

  it('a token of a deleted user: USER_NOT_FOUND, even right after the user was cached', async () => {
    const doomed = await signUp(server);
    expect((await meWith({ authorization: `Bearer ${doomed.token}` })).body.data).toMatchObject({ me: { id: doomed.id } });
    await server.app.users.deleteUser(doomed.id);
    const res = await meWith({ authorization: `Bearer ${doomed.token}` });
    expect(errorOf(res)).toEqual({ code: 'UNAUTHENTICATED', reason: 'USER_NOT_FOUND' });
  });
});

describe('public operations', () => {
  it('still work with a stale token in the header', async () => {
    const expired = forgeToken(
      { alg: 'HS256', typ: 'JWT' },
      claimsFor(alice, server, { exp: Math.floor(server.clock.now() / 1000) - 10 }),
      server.config.jwt.secret!,
    );
    const res = await server.execute(LoginDocument, { input: { email: alice.email, password: TEST_PASSWORD } }, { token: expired });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data?.login.tokenType).toBe('Bearer');
  });

  it('still work with garbage in the header', async () => {
    const res = await server.execute(
      SignupDocument,
      { input: { name: 'Stale', email: 'stale-header@example.com', password: TEST_PASSWORD } },
      { headers: { authorization: 'Bearer not.a.token' } },
    );
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data?.signup.tokenType).toBe('Bearer');
  });
});

describe('authorization uses the role in the database, not the claim', () => {
  it('a demoted admin loses admin rights at once, with the same token', async () => {
    const admin = await signUp(server, { role: Role.ADMIN });
    const other = await signUp(server);
    const promote = () => server.execute(SetUserRoleDocument, { id: other.id, role: 'ADMIN' }, { token: admin.token });
    // The token was issued while the user was a USER; the database now says ADMIN: allowed.
    expect((await promote()).body.errors).toBeUndefined();
    await server.app.users.setRole(admin.id, Role.USER);
    const res = await promote();
    expect(errorOf(res).code).toBe('FORBIDDEN');
    expect(res.status).toBe(403);
  });
});

function flipLastBit(token: string): string {
  const [header, payload, signature] = token.split('.');
  const bytes = Buffer.from(signature, 'base64url');
  bytes[bytes.length - 1] ^= 1;
  return `${header}.${payload}.${bytes.toString('base64url')}`;
}

// Keep the forger honest: a signature it makes over the same input is the server's signature.
it('the test forger signs exactly like HS256', () => {
  const [header, payload, signature] = alice.token.split('.');
  const expected = createHmac('sha256', server.config.jwt.secret!).update(`${header}.${payload}`).digest('base64url');
  expect(signature).toBe(expected);
});
