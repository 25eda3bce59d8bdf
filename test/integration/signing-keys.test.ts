// The published key set, and proof that verifiers other than ours accept our tokens: jose (Node) and
// PyJWT (Debian's python3-jwt, what the Flask tutorials use) verify tokens from the live server against
// its /.well-known/jwks.json. Then the attacks the key set must refuse, over real HTTP.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { MeDocument } from '../../src/client/graphql';
import { jwkThumbprint } from '../../src/tokens/jwk';
import { TestClock } from '../helpers/clock';
import { createTestDatabase } from '../helpers/database';
import { claimsFor, decodeHeader, decodePayload, forgeToken, signWithKey } from '../helpers/jwt';
import { keyPair, privatePem, publicPem } from '../helpers/keys';
import { errorOf, expectUnauthenticated, signUp, startTestServer, type SignedUp, type TestServer } from '../helpers/server';
import { itWithPyJWT, pyjwtVerify } from '../helpers/pyjwt';

const ISSUER = 'https://auth.example.test';
const AUDIENCE = 'interop-clients';
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];

type Algorithm = 'HS256' | 'RS256' | 'ES256';
const KEY_ENV: Record<Algorithm, () => Record<string, string>> = {
  HS256: () => ({}),
  RS256: () => ({ JWT_ALGORITHM: 'RS256', JWT_PRIVATE_KEY: privatePem('rsa'), JWT_SECRET: '' }),
  ES256: () => ({ JWT_ALGORITHM: 'ES256', JWT_PRIVATE_KEY: privatePem('ec'), JWT_SECRET: '' }),
};

/** Third-party verifiers check exp and iat against the real time, so these servers run on it. */
function startInteropServer(alg: Algorithm): Promise<TestServer> {
  return startTestServer({ JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE, ...KEY_ENV[alg]() }, new TestClock(Date.now()));
}

function jwksUrl(server: TestServer): string {
  return `${server.baseUrl}/.well-known/jwks.json`;
}

describe.each(['HS256', 'RS256', 'ES256'] as const)('%s: tokens other stacks accept', (alg) => {
  let server: TestServer;
  let user: SignedUp;

  beforeAll(async () => {
    server = await startInteropServer(alg);
    user = await signUp(server);
  });
  afterAll(() => server.close());

  it('serves /.well-known/jwks.json: public keys only, cacheable', async () => {
    const res = await fetch(jwksUrl(server));
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const text = await res.text();
    const { keys } = JSON.parse(text) as { keys: Array<Record<string, unknown>> };
    if (alg === 'HS256') {
      expect(keys).toEqual([]);
    } else {
      expect(keys).toEqual([expect.objectContaining({ alg, use: 'sig', kid: decodeHeader(user.token).kid })]);
    }
    for (const key of keys) for (const member of PRIVATE_MEMBERS) expect(key).not.toHaveProperty(member);
    if (server.config.jwt.secret) {
      expect(text).not.toContain(server.config.jwt.secret);
      expect(text).not.toContain(Buffer.from(server.config.jwt.secret).toString('base64url'));
    }
  });

  it('puts the RFC 7638 thumbprint of its key in the kid header', () => {
    const kid = alg === 'HS256' ? undefined : jwkThumbprint(keyPair(alg === 'RS256' ? 'rsa' : 'ec').publicKey);
    expect(decodeHeader(user.token)).toEqual({ alg, typ: 'JWT', kid: kid ?? expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
  });

  it('issues tokens that jose verifies against the live JWKS, checking iss, aud and the algorithm', async () => {
    const options = { issuer: ISSUER, audience: AUDIENCE, algorithms: [alg] };
    const jwks = createRemoteJWKSet(new URL(jwksUrl(server)));
    if (alg === 'HS256') {
      // Nothing to publish: a verifier needs the shared secret, and the (empty) JWKS cannot help it.
      await expect(jwtVerify(user.token, jwks, options)).rejects.toThrow();
      const { payload } = await jwtVerify(user.token, new TextEncoder().encode(server.config.jwt.secret), options);
      expect(payload.sub).toBe(user.id);
      return;
    }
    const { payload, protectedHeader } = await jwtVerify(user.token, jwks, options);
    expect(payload).toMatchObject({ sub: user.id, iss: ISSUER, aud: AUDIENCE, role: 'USER' });
    expect(protectedHeader.alg).toBe(alg);
  });

  it('issues tokens that jose refuses for another audience or algorithm (so the check above means something)', async () => {
    const key = alg === 'HS256' ? new TextEncoder().encode(server.config.jwt.secret) : createRemoteJWKSet(new URL(jwksUrl(server)));
    const verify = (options: Parameters<typeof jwtVerify>[2]) =>
      typeof key === 'function' ? jwtVerify(user.token, key, options) : jwtVerify(user.token, key, options);
    await expect(verify({ issuer: ISSUER, audience: 'someone-else', algorithms: [alg] })).rejects.toMatchObject({
      code: 'ERR_JWT_CLAIM_VALIDATION_FAILED',
    });
    await expect(verify({ issuer: ISSUER, audience: AUDIENCE, algorithms: [alg === 'ES256' ? 'RS256' : 'ES256'] })).rejects.toThrow();
  });

  itWithPyJWT('issues tokens that PyJWT verifies (against the live JWKS for RS256 and ES256)', async () => {
    const result = await pyjwtVerify({
      token: user.token,
      alg,
      iss: ISSUER,
      aud: AUDIENCE,
      jwks: jwksUrl(server),
      secret: server.config.jwt.secret,
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const verified = JSON.parse(result.stdout) as { header: Record<string, unknown>; claims: Record<string, unknown> };
    expect(verified.header).toMatchObject({ alg, kid: decodeHeader(user.token).kid });
    expect(verified.claims).toEqual(decodePayload(user.token));
  });

  itWithPyJWT('issues tokens that PyJWT refuses once tampered with (so the check above means something)', async () => {
    const [header, , signature] = user.token.split('.');
    const payload = Buffer.from(JSON.stringify({ ...decodePayload(user.token), role: 'ADMIN' })).toString('base64url');
    const result = await pyjwtVerify({
      token: `${header}.${payload}.${signature}`,
      alg,
      iss: ISSUER,
      aud: AUDIENCE,
      jwks: jwksUrl(server),
      secret: server.config.jwt.secret,
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('InvalidSignatureError');
  });
});

// ---- attacks ----

/** An HTTP server that counts the requests it gets: the place a jku or x5u header points to. */
async function startTrap(): Promise<{ url: string; hits: () => number; close: () => Promise<void> }> {
  let hits = 0;
  const trap: Server = createServer((_req, res) => {
    hits += 1;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [] }));
  });
  await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
  const { port } = trap.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/jwks.json`, hits: () => hits, close: () => new Promise((r) => trap.close(() => r())) };
}

describe('attacks on an RS256 server', () => {
  let server: TestServer;
  let user: SignedUp;
  const rsaKid = () => jwkThumbprint(keyPair('rsa').publicKey);

  beforeAll(async () => {
    server = await startTestServer(KEY_ENV.RS256());
    user = await signUp(server);
  });
  afterAll(() => server.close());

  const me = (token: string) => server.execute(MeDocument, {}, { token });

  it('accepts a hand-made RS256 token with its kid (so the refusals below are about the flaw)', async () => {
    const token = signWithKey({ alg: 'RS256', typ: 'JWT', kid: rsaKid() }, claimsFor(user, server), keyPair('rsa').privateKey);
    expect((await me(token)).body.data).toMatchObject({ me: { id: user.id } });
  });

  it.each([
    ['with the RSA kid', () => ({ kid: rsaKid() })],
    ['with no kid', () => ({})],
  ])('refuses HS256 signed with the RSA public key PEM as the HMAC secret, %s', async (_name, kid) => {
    await expectUnauthenticated(me(forgeToken({ alg: 'HS256', typ: 'JWT', ...kid() }, claimsFor(user, server), publicPem('rsa'))), 'TOKEN_INVALID');
  });

  it.each([
    ['with the RSA kid', () => ({ kid: rsaKid() })],
    ['with no kid', () => ({})],
  ])('refuses alg none, %s', async (_name, kid) => {
    await expectUnauthenticated(me(forgeToken({ alg: 'none', typ: 'JWT', ...kid() }, claimsFor(user, server), null)), 'TOKEN_INVALID');
  });

  it.each([
    ['its own kid', () => jwkThumbprint(keyPair('rsa-other').publicKey)],
    ['the kid of our key', () => rsaKid()],
  ])('refuses a token signed by a key not in the set, under %s', async (_name, kid) => {
    await expectUnauthenticated(me(signWithKey({ alg: 'RS256', typ: 'JWT', kid: kid() }, claimsFor(user, server), keyPair('rsa-other').privateKey)), 'TOKEN_INVALID');
  });

  it.each([
    ['a path', '../../dev/null'],
    ['an SQL string', "x' UNION SELECT password_hash FROM users; --"],
  ])('refuses a token signed by our key under a forged kid: %s', async (_name, kid) => {
    await expectUnauthenticated(me(signWithKey({ alg: 'RS256', typ: 'JWT', kid }, claimsFor(user, server), keyPair('rsa').privateKey)), 'TOKEN_INVALID');
  });

  it('never fetches a key from jku or x5u, and never uses an embedded jwk', async () => {
    const trap = await startTrap();
    try {
      const attacker = keyPair('rsa-other');
      const jwk = { ...(attacker.publicKey.export({ format: 'jwk' }) as Record<string, unknown>), alg: 'RS256', use: 'sig' };
      const header = { alg: 'RS256', typ: 'JWT', kid: jwkThumbprint(attacker.publicKey), jku: trap.url, x5u: trap.url, jwk };
      await expectUnauthenticated(me(signWithKey(header, claimsFor(user, server), attacker.privateKey)), 'TOKEN_INVALID');
      await expectUnauthenticated(me(signWithKey({ ...header, kid: rsaKid() }, claimsFor(user, server), attacker.privateKey)), 'TOKEN_INVALID');
      expect(trap.hits()).toBe(0);
    } finally {
      await trap.close();
    }
  });
});

describe('attacks on an ES256-only server', () => {
  let server: TestServer;
  let user: SignedUp;

  beforeAll(async () => {
    server = await startTestServer(KEY_ENV.ES256());
    user = await signUp(server);
  });
  afterAll(() => server.close());

  it.each([
    ['the ES256 kid', () => jwkThumbprint(keyPair('ec').publicKey)],
    ['the RSA key’s own kid', () => jwkThumbprint(keyPair('rsa').publicKey)],
    ['no kid', () => undefined],
  ])('refuses an RS256 token under %s', async (_name, kid) => {
    const token = signWithKey({ alg: 'RS256', typ: 'JWT', kid: kid() }, decodePayload(user.token), keyPair('rsa').privateKey);
    const res = await server.graphql('{ me { id } }', {}, { token });
    expect(errorOf(res)).toEqual({ code: 'UNAUTHENTICATED', reason: 'TOKEN_INVALID' });
  });

  it('refuses an HS256 token: with no JWT_SECRET there is no HMAC key at all', async () => {
    const token = forgeToken({ alg: 'HS256', typ: 'JWT' }, decodePayload(user.token), 'x'.repeat(48));
    expect(errorOf(await server.graphql('{ me { id } }', {}, { token }))).toEqual({ code: 'UNAUTHENTICATED', reason: 'TOKEN_INVALID' });
  });

  it('still accepts its own tokens', async () => {
    expect((await server.graphql('{ me { id } }', {}, { token: user.token })).body.data).toEqual({ me: { id: user.id } });
  });
});

describe('migrating from HS256 to RS256', () => {
  it('verifies old HS256 tokens while JWT_SECRET is kept, signs only RS256, and publishes only the RSA key', async () => {
    const secret = 'the-old-hs256-secret-0123456789abcdef';
    const clock = new TestClock();
    const database = await createTestDatabase();
    const before = await startTestServer({ JWT_SECRET: secret, ...database.env }, clock);
    let old: SignedUp;
    try {
      old = await signUp(before);
      expect(decodeHeader(old.token).alg).toBe('HS256');
    } finally {
      await before.close();
    }

    const during = await startTestServer({ ...KEY_ENV.RS256(), JWT_SECRET: secret, ...database.env }, clock);
    try {
      expect((await during.graphql('{ me { id } }', {}, { token: old.token })).body.data).toEqual({ me: { id: old.id } });
      const fresh = await signUp(during);
      expect(decodeHeader(fresh.token)).toMatchObject({ alg: 'RS256', kid: jwkThumbprint(keyPair('rsa').publicKey) });
      const { keys } = (await (await fetch(jwksUrl(during))).json()) as { keys: Array<{ alg: string }> };
      expect(keys.map((key) => key.alg)).toEqual(['RS256']);
    } finally {
      await during.close();
    }

    const after = await startTestServer({ ...KEY_ENV.RS256(), ...database.env }, clock);
    try {
      expect(errorOf(await after.graphql('{ me { id } }', {}, { token: old.token }))).toEqual({
        code: 'UNAUTHENTICATED',
        reason: 'TOKEN_INVALID',
      });
    } finally {
      await after.close();
      await database.drop();
    }
  });
});
