// Token attacks, one per test: each is refused with the exact reason, and the response leaks nothing.
import { request } from 'node:http';
import { print } from 'graphql';
import { MeDocument } from '../../src/client/graphql';
import { b64url, claimsFor, forgeToken } from '../helpers/jwt';
import { privatePem } from '../helpers/keys';
import { expectUnauthenticated, signUp, type SignedUp, type TestServer } from '../helpers/server';
import { expectNoLeak, startAttackedServer } from './harness';

const ISSUER = 'https://auth.test';
const AUDIENCE = 'test-clients';
const TOLERANCE = 30;

let server: TestServer;
let alice: SignedUp;
let bob: SignedUp;
let secret: string;

beforeAll(async () => {
  server = await startAttackedServer({ JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE, JWT_CLOCK_TOLERANCE: String(TOLERANCE) });
  secret = server.config.jwt.secret!;
  alice = await signUp(server);
  bob = await signUp(server);
});
afterAll(() => server.close());

const HS256 = { alg: 'HS256', typ: 'JWT' };

/** `me` (which selects the email) with a raw Authorization header. */
async function me(authorization: string) {
  return server.execute(MeDocument, {}, { headers: { authorization } });
}

/** Refused for `reason`, and the refusal does not carry Alice's email. */
async function expectRefused(authorization: string, reason: string) {
  const res = await expectUnauthenticated(me(authorization), reason);
  expect(res.text).not.toContain(alice.email);
}

function resign(token: string, mutate: (payload: Record<string, unknown>) => void): string {
  const [header, payload, signature] = token.split('.');
  const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  mutate(decoded);
  return `${header}.${b64url(decoded)}.${signature}`;
}

it('control: a hand-made token with the right secret and claims is accepted', async () => {
  const res = await me(`Bearer ${forgeToken(HS256, claimsFor(alice, server), secret)}`);
  expect(res.body.data?.me.id).toBe(alice.id);
});

it.each(['none', 'None', 'NONE'])('alg %s, unsigned', async (alg) => {
  await expectRefused(`Bearer ${forgeToken({ alg, typ: 'JWT' }, claimsFor(alice, server), null)}`, 'TOKEN_INVALID');
});

it.each([
  ['HS384', 'sha384'],
  ['HS512', 'sha512'],
] as const)('%s re-signed with the same secret', async (alg, hash) => {
  await expectRefused(`Bearer ${forgeToken({ alg, typ: 'JWT' }, claimsFor(alice, server), secret, hash)}`, 'TOKEN_INVALID');
});

it('a flipped signature bit', async () => {
  const [header, payload, signature] = alice.token.split('.');
  const bytes = Buffer.from(signature, 'base64url');
  bytes[bytes.length - 1] ^= 1;
  await expectRefused(`Bearer ${header}.${payload}.${bytes.toString('base64url')}`, 'TOKEN_INVALID');
});

it('a changed sub, keeping the signature', async () => {
  await expectRefused(`Bearer ${resign(alice.token, (p) => (p.sub = bob.id))}`, 'TOKEN_INVALID');
});

it('a changed role, keeping the signature', async () => {
  await expectRefused(`Bearer ${resign(alice.token, (p) => (p.role = 'ADMIN'))}`, 'TOKEN_INVALID');
});

it('no exp, correctly signed', async () => {
  const { exp: _exp, ...rest } = claimsFor(alice, server);
  await expectRefused(`Bearer ${forgeToken(HS256, rest, secret)}`, 'TOKEN_INVALID');
});

it('exp as a string, correctly signed', async () => {
  await expectRefused(`Bearer ${forgeToken(HS256, claimsFor(alice, server, { exp: String(Math.floor(server.clock.now() / 1000) + 900) }), secret)}`, 'TOKEN_INVALID');
});

it('expired by one second past the clock tolerance (and accepted one second inside it)', async () => {
  const now = Math.floor(server.clock.now() / 1000);
  await expectRefused(`Bearer ${forgeToken(HS256, claimsFor(alice, server, { iat: now - 1000, nbf: now - 1000, exp: now - TOLERANCE - 1 }), secret)}`, 'TOKEN_EXPIRED');
  const inside = await me(`Bearer ${forgeToken(HS256, claimsFor(alice, server, { iat: now - 1000, nbf: now - 1000, exp: now - TOLERANCE + 1 }), secret)}`);
  expect(inside.body.data?.me.id).toBe(alice.id);
});

it('nbf in the future beyond the tolerance', async () => {
  const now = Math.floor(server.clock.now() / 1000);
  await expectRefused(`Bearer ${forgeToken(HS256, claimsFor(alice, server, { nbf: now + TOLERANCE + 60 }), secret)}`, 'TOKEN_INVALID');
});

it('a wrong iss', async () => {
  await expectRefused(`Bearer ${forgeToken(HS256, claimsFor(alice, server, { iss: 'https://evil.test' }), secret)}`, 'TOKEN_INVALID');
});

it('a wrong aud', async () => {
  await expectRefused(`Bearer ${forgeToken(HS256, claimsFor(alice, server, { aud: 'other-clients' }), secret)}`, 'TOKEN_INVALID');
});

it('two segments', async () => {
  await expectRefused(`Bearer ${alice.token.split('.').slice(0, 2).join('.')}`, 'TOKEN_INVALID');
});

it('four segments', async () => {
  await expectRefused(`Bearer ${alice.token}.${alice.token.split('.')[2]}`, 'TOKEN_INVALID');
});

it('bad base64url', async () => {
  const [, payload, signature] = alice.token.split('.');
  await expectRefused(`Bearer e%J*h!bGci.${payload}.${signature}`, 'TOKEN_INVALID');
});

it('a JSON array payload, correctly signed', async () => {
  await expectRefused(`Bearer ${forgeToken(HS256, [claimsFor(alice, server)], secret)}`, 'TOKEN_INVALID');
});

it('duplicate sub keys, correctly signed', async () => {
  const json = JSON.stringify(claimsFor(alice, server)).replace('{', `{"sub":"${bob.id}",`);
  expect(JSON.parse(json).sub).toBe(alice.id); // a parser that keeps the last key would see alice
  await expectRefused(`Bearer ${forgeToken(HS256, json, secret)}`, 'TOKEN_INVALID');
});

it('a 10 KiB token, correctly signed', async () => {
  await expectRefused(`Bearer ${forgeToken(HS256, claimsFor(alice, server, { pad: 'x'.repeat(10 * 1024) }), secret)}`, 'TOKEN_INVALID');
});

it('the Basic scheme', async () => {
  await expectRefused(`Basic ${Buffer.from(`${alice.email}:password`).toString('base64')}`, 'TOKEN_INVALID');
});

it('a doubled Bearer', async () => {
  await expectRefused(`Bearer Bearer ${alice.token}`, 'TOKEN_INVALID');
});

it('a token of a deleted user', async () => {
  const carol = await signUp(server);
  // Straight in the database, as an operator might: no service, no cache told.
  await server.app.db.sql.run('delete from users where public_id = ?', [carol.id]);
  await expectRefused(`Bearer ${carol.token}`, 'USER_NOT_FOUND');
});

describe('one spelling per token: RS256 and ES256', () => {
  const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  // P-256's group order (SEC 2): (r, s) and (r, n - s) are both valid ECDSA signatures of the same message.
  const P256_ORDER = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');

  /** The same signature bytes, spelled with the last character's spare (unused) bits changed. */
  function respelled(token: string): string {
    const last = token.at(-1)!;
    const variant = `${token.slice(0, -1)}${BASE64URL[BASE64URL.indexOf(last) ^ 1]}`;
    const signature = (t: string) => Buffer.from(t.split('.')[2], 'base64url');
    expect(signature(variant).equals(signature(token))).toBe(true);
    return variant;
  }

  /** The other ECDSA signature of the same token: s replaced by n - s. */
  function otherS(token: string): string {
    const [header, payload, signature] = token.split('.');
    const bytes = Buffer.from(signature, 'base64url');
    const s = BigInt(`0x${bytes.subarray(32).toString('hex')}`);
    const flipped = Buffer.concat([bytes.subarray(0, 32), Buffer.from((P256_ORDER - s).toString(16).padStart(64, '0'), 'hex')]);
    return `${header}.${payload}.${flipped.toString('base64url')}`;
  }

  describe.each([
    ['RS256', 'rsa'],
    ['ES256', 'ec'],
  ] as const)('%s', (alg, kind) => {
    let signer: TestServer;
    let user: SignedUp;
    beforeAll(async () => {
      signer = await startAttackedServer({ JWT_ALGORITHM: alg, JWT_PRIVATE_KEY: privatePem(kind), JWT_SECRET: '' });
      user = await signUp(signer);
    });
    afterAll(() => signer.close());

    const meWith = (token: string) => signer.execute(MeDocument, {}, { token });

    it('control: the token as issued is accepted', async () => {
      expect((await meWith(user.token)).body.data?.me.id).toBe(user.id);
    });

    it('the same signature with the spare bits of its last base64url character set is refused', async () => {
      await expectUnauthenticated(meWith(respelled(user.token)), 'TOKEN_INVALID');
    });
  });

  describe('ES256 high S', () => {
    let signer: TestServer;
    beforeAll(async () => {
      signer = await startAttackedServer({ JWT_ALGORITHM: 'ES256', JWT_PRIVATE_KEY: privatePem('ec'), JWT_SECRET: '', RATE_LIMIT_SIGNUP_IP: '1000/1m' });
    });
    afterAll(() => signer.close());

    it('the other signature (r, n - s) of a real token is refused, and the token as issued still works', async () => {
      const user = await signUp(signer);
      await expectUnauthenticated(signer.execute(MeDocument, {}, { token: otherS(user.token) }), 'TOKEN_INVALID');
      expect((await signer.execute(MeDocument, {}, { token: user.token })).body.data?.me.id).toBe(user.id);
    });

    it('every token the server issues carries the low S (about half would not, unless it made them so)', async () => {
      for (let i = 0; i < 16; i++) {
        const { token } = await signUp(signer);
        const s = BigInt(`0x${Buffer.from(token.split('.')[2], 'base64url').subarray(32).toString('hex')}`);
        expect(s <= P256_ORDER / BigInt(2)).toBe(true);
      }
    });
  });
});

describe('a header sent twice', () => {
  /** `me` with raw header lines, as a client or a proxy might send them; Node keeps only the first Authorization. */
  function meWithHeaders(headers: Record<string, string | string[]>): Promise<{ status: number; body: { errors?: Array<{ extensions?: Record<string, unknown> }> } }> {
    const body = JSON.stringify({ query: print(MeDocument) });
    return new Promise((resolve, reject) => {
      const req = request(server.url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers } }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => {
          expectNoLeak(text);
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) });
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  const reasonOf = (res: Awaited<ReturnType<typeof meWithHeaders>>) => res.body.errors?.map((error) => [error.extensions?.code, error.extensions?.reason]);

  it('control: one Authorization header with a valid token is accepted', async () => {
    expect((await meWithHeaders({ authorization: `Bearer ${alice.token}` })).body.errors).toBeUndefined();
  });

  it("two Authorization headers are refused, whichever comes first (a proxy in front may read the other)", async () => {
    for (const pair of [[`Bearer ${alice.token}`, `Bearer ${bob.token}`], [`Bearer ${alice.token}`, 'Bearer not-a-token']]) {
      const res = await meWithHeaders({ authorization: pair });
      expect(res.status).toBe(401);
      expect(reasonOf(res)).toEqual([['UNAUTHENTICATED', 'TOKEN_INVALID']]);
    }
  });

  it('two X-Access-Token headers are refused', async () => {
    const res = await meWithHeaders({ 'x-access-token': [alice.token, bob.token] });
    expect(reasonOf(res)).toEqual([['UNAUTHENTICATED', 'TOKEN_INVALID']]);
  });
});
