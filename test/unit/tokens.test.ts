import { createHmac, createSecretKey } from 'node:crypto';
import fs from 'node:fs';
import { calculateJwkThumbprint } from 'jose';
import jwt from 'jsonwebtoken';
import { jwkThumbprint } from '../../src/tokens/jwk';
import { createTokenService } from '../../src/tokens/access-tokens';
import { MAX_TOKEN_BYTES } from '../../src/tokens/bearer';
import { createTokenChecker } from '../../src/tokens/token-check';
import { loadConfig } from '../../src/config';
import { Role } from '../../src/graphql/types/enums';
import { TestClock } from '../helpers/clock';
import { decodeHeader, decodePayload, forgeToken, signWithKey } from '../helpers/jwt';
import { keyPair, privatePem, publicPem } from '../helpers/keys';

const SECRET = 'unit-test-secret-0123456789abcdef0123456789';
const USER = { id: '6f1d3c1e-3a4b-4c5d-8e9f-0a1b2c3d4e5f', role: Role.USER };
const SID = '1c2d3e4f-5a6b-4c7d-8e9f-a0b1c2d3e4f5';

function setup(env: Record<string, string> = {}) {
  const config = loadConfig({ JWT_SECRET: SECRET, JWT_ISSUER: 'iss-test', JWT_AUDIENCE: 'aud-test', ...env });
  const clock = new TestClock();
  return { clock, tokens: createTokenService(config.jwt, clock) };
}

function claimsAt(clock: TestClock, overrides: Record<string, unknown> = {}) {
  const iat = Math.floor(clock.now() / 1000);
  return { sub: USER.id, role: 'USER', sid: SID, jti: 'j', iat, nbf: iat, exp: iat + 900, iss: 'iss-test', aud: 'aud-test', ...overrides };
}

describe('token service', () => {
  it('writes the header in the exact form verification recognises without parsing ({alg, typ, kid})', () => {
    const { tokens } = setup();
    const [segment] = tokens.signAccessToken(USER, SID).token.split('.');
    const { kid } = decodeHeader(tokens.signAccessToken(USER, SID).token);
    expect(segment).toBe(Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid })).toString('base64url'));
  });

  it('verifies a token whose header is the same JSON written differently (the slow path)', () => {
    const { clock, tokens } = setup();
    const { kid } = decodeHeader(tokens.signAccessToken(USER, SID).token);
    const spaced = forgeToken({ typ: 'JWT', kid, alg: 'HS256' }, claimsAt(clock), SECRET);
    expect(tokens.verifyAccessToken(spaced)).toMatchObject({ ok: true });
  });

  it('signs the documented claims and header', async () => {
    const { clock, tokens } = setup();
    const { token, expiresIn } = tokens.signAccessToken(USER, SID);
    const now = Math.floor(clock.now() / 1000);
    expect(expiresIn).toBe(900);
    // kid: the RFC 7638 thumbprint of the secret as an "oct" JWK, computed here by jose, not by our code.
    const kid = await calculateJwkThumbprint({ kty: 'oct', k: Buffer.from(SECRET).toString('base64url') });
    expect(decodeHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT', kid });
    expect(decodePayload(token)).toEqual({
      sub: USER.id,
      role: 'USER',
      sid: SID,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
      iat: now,
      nbf: now,
      exp: now + 900,
      iss: 'iss-test',
      aud: 'aud-test',
      aal: 'aal1',
      amr: ['pwd'],
    });
  });

  it('gives every token a fresh jti', () => {
    const { tokens } = setup();
    expect(decodePayload(tokens.signAccessToken(USER, SID).token).jti).not.toBe(decodePayload(tokens.signAccessToken(USER, SID).token).jti);
  });

  it('verifies its own tokens', () => {
    const { tokens } = setup();
    const result = tokens.verifyAccessToken(tokens.signAccessToken(USER, SID).token);
    expect(result).toEqual({ ok: true, claims: expect.objectContaining({ sub: USER.id, role: 'USER' }) });
  });

  it('reports an expired token as TOKEN_EXPIRED', () => {
    const { clock, tokens } = setup();
    const { token } = tokens.signAccessToken(USER, SID);
    clock.advance(900);
    expect(tokens.verifyAccessToken(token)).toEqual({ ok: false, reason: 'TOKEN_EXPIRED' });
  });

  it('accepts a token inside the clock tolerance', () => {
    const { clock, tokens } = setup({ JWT_CLOCK_TOLERANCE: '30' });
    const { token } = tokens.signAccessToken(USER, SID);
    clock.advance(929);
    expect(tokens.verifyAccessToken(token).ok).toBe(true);
    clock.advance(1);
    expect(tokens.verifyAccessToken(token)).toEqual({ ok: false, reason: 'TOKEN_EXPIRED' });
  });

  it('rejects a token that is not yet valid', () => {
    const { clock, tokens } = setup();
    const token = forgeToken({ alg: 'HS256', typ: 'JWT' }, claimsAt(clock, { nbf: Math.floor(clock.now() / 1000) + 60 }), SECRET);
    expect(tokens.verifyAccessToken(token)).toEqual({ ok: false, reason: 'TOKEN_INVALID' });
  });

  it('accepts a hand-made token with the right claims (the forger itself is sound)', () => {
    const { clock, tokens } = setup();
    const token = forgeToken({ alg: 'HS256', typ: 'JWT' }, claimsAt(clock), SECRET);
    expect(tokens.verifyAccessToken(token).ok).toBe(true);
  });

  it.each([
    ['alg none', () => ({ header: { alg: 'none' }, secret: null as string | null, overrides: {} })],
    ['HS512 with the same secret', () => ({ header: { alg: 'HS512' }, secret: SECRET, overrides: {}, hash: 'sha512' as const })],
    ['another secret', () => ({ header: { alg: 'HS256' }, secret: 'another-secret-0123456789abcdef012345', overrides: {} })],
    ['no exp', () => ({ header: { alg: 'HS256' }, secret: SECRET, overrides: { exp: undefined } })],
    ['a string exp', () => ({ header: { alg: 'HS256' }, secret: SECRET, overrides: { exp: '9999999999' } })],
    ['a wrong issuer', () => ({ header: { alg: 'HS256' }, secret: SECRET, overrides: { iss: 'someone-else' } })],
    ['a wrong audience', () => ({ header: { alg: 'HS256' }, secret: SECRET, overrides: { aud: 'someone-else' } })],
    ['a sub that is not a UUID', () => ({ header: { alg: 'HS256' }, secret: SECRET, overrides: { sub: '1' } })],
    ['an unknown role', () => ({ header: { alg: 'HS256' }, secret: SECRET, overrides: { role: 'ROOT' } })],
    ['an unknown aal', () => ({ header: { alg: 'HS256' }, secret: SECRET, overrides: { aal: 'aal3' } })],
    ['an amr that is not a list of known methods', () => ({ header: { alg: 'HS256' }, secret: SECRET, overrides: { amr: 'pwd' } })],
    ['an empty amr', () => ({ header: { alg: 'HS256' }, secret: SECRET, overrides: { amr: [] } })],
  ])('rejects a token with %s as TOKEN_INVALID', (_name, make) => {
    const { clock, tokens } = setup();
    const { header, secret, overrides, hash } = { hash: 'sha256' as const, ...make() };
    const token = forgeToken({ typ: 'JWT', ...header }, claimsAt(clock, overrides), secret, hash);
    expect(tokens.verifyAccessToken(token)).toEqual({ ok: false, reason: 'TOKEN_INVALID' });
  });

  it('accepts a token signed before two-factor existed, without aal and amr', () => {
    const { clock, tokens } = setup();
    expect(tokens.verifyAccessToken(forgeToken({ alg: 'HS256', typ: 'JWT' }, claimsAt(clock), SECRET)).ok).toBe(true);
  });

  it('signs the aal and amr it is given', () => {
    const { tokens } = setup();
    const { token } = tokens.signAccessToken(USER, SID, { assurance: { aal: 'aal2', amr: ['pwd', 'otp'] } });
    expect(decodePayload(token)).toMatchObject({ aal: 'aal2', amr: ['pwd', 'otp'] });
    expect(tokens.verifyAccessToken(token)).toMatchObject({ ok: true, claims: { aal: 'aal2', amr: ['pwd', 'otp'] } });
  });

  it('rejects a JSON array payload', () => {
    const { tokens } = setup();
    expect(tokens.verifyAccessToken(forgeToken({ alg: 'HS256', typ: 'JWT' }, [1, 2], SECRET))).toEqual({
      ok: false,
      reason: 'TOKEN_INVALID',
    });
  });

  it('rejects a token over 8 KiB as it is read, without parsing or verifying it', () => {
    const { clock, tokens } = setup();
    const verify = jest.spyOn(tokens, 'verifyAccessToken');
    const spy = jest.spyOn(jwt, 'verify');
    const check = createTokenChecker(tokens, clock, 0);
    expect(check({ authorization: [`Bearer ${'a'.repeat(MAX_TOKEN_BYTES + 1)}`] })).toEqual({ ok: false, reason: 'TOKEN_INVALID' });
    expect(verify).not.toHaveBeenCalled();
    expect(spy).not.toHaveBeenCalled();
    spy.mockRestore();
  });
});

describe('token service with a key set', () => {
  const RSA_KID = () => jwkThumbprint(keyPair('rsa').publicKey);

  function asymmetric(env: Record<string, string>) {
    const config = loadConfig({ JWT_ISSUER: 'iss-test', JWT_AUDIENCE: 'aud-test', ...env });
    const clock = new TestClock();
    return { clock, tokens: createTokenService(config.jwt, clock) };
  }
  const rs256 = (env: Record<string, string> = {}) => asymmetric({ JWT_ALGORITHM: 'RS256', JWT_PRIVATE_KEY: privatePem('rsa'), ...env });

  it.each([
    ['RS256', 'rsa'],
    ['ES256', 'ec'],
  ] as const)('signs %s with the key thumbprint as kid, and verifies it', (alg, kind) => {
    const { tokens } = asymmetric({ JWT_ALGORITHM: alg, JWT_PRIVATE_KEY: privatePem(kind) });
    const { token } = tokens.signAccessToken(USER, SID);
    expect(decodeHeader(token)).toEqual({ alg, typ: 'JWT', kid: jwkThumbprint(keyPair(kind).publicKey) });
    expect(tokens.verifyAccessToken(token)).toEqual({ ok: true, claims: expect.objectContaining({ sub: USER.id }) });
  });

  it('accepts a hand-made RS256 token with the right kid (so the refusals below are about the flaw)', () => {
    const { clock, tokens } = rs256();
    const token = signWithKey({ alg: 'RS256', typ: 'JWT', kid: RSA_KID() }, claimsAt(clock), keyPair('rsa').privateKey);
    expect(tokens.verifyAccessToken(token).ok).toBe(true);
  });

  it.each([
    ['an unknown kid', () => 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs'],
    ['a path as kid', () => '../../dev/null'],
    ['an SQL string as kid', () => "' OR '1'='1'; --"],
    ['__proto__ as kid', () => '__proto__'],
    ['a numeric kid', () => 1],
    ['no kid (only the HMAC key verifies those)', () => undefined],
  ])('refuses a token signed by the right key under %s', (_name, kid) => {
    const { clock, tokens } = rs256();
    const token = signWithKey({ alg: 'RS256', typ: 'JWT', kid: kid() }, claimsAt(clock), keyPair('rsa').privateKey);
    expect(tokens.verifyAccessToken(token)).toEqual({ ok: false, reason: 'TOKEN_INVALID' });
  });

  it.each([
    ['kid', (kid: string) => `{"alg":"RS256","typ":"JWT","kid":"unknown","kid":"${kid}"}`],
    ['alg', (kid: string) => `{"alg":"HS256","alg":"RS256","typ":"JWT","kid":"${kid}"}`],
  ])('refuses a header that names %s twice, even when the last one is right', (_name, header) => {
    const { clock, tokens } = rs256();
    const token = signWithKey(header(RSA_KID()), claimsAt(clock), keyPair('rsa').privateKey, 'RS256');
    expect(tokens.verifyAccessToken(token)).toEqual({ ok: false, reason: 'TOKEN_INVALID' });
  });

  it('looks the kid up in memory: verifying touches no file', () => {
    const { clock, tokens } = rs256();
    const spies = (['readFileSync', 'openSync', 'statSync', 'existsSync', 'readdirSync'] as const).map((name) => jest.spyOn(fs, name));
    try {
      for (const kid of ['../../dev/null', '/etc/passwd', RSA_KID()]) {
        tokens.verifyAccessToken(signWithKey({ alg: 'RS256', typ: 'JWT', kid }, claimsAt(clock), keyPair('rsa').privateKey));
      }
      for (const spy of spies) expect(spy).not.toHaveBeenCalled();
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });

  it.each(['RS512', 'PS256'] as const)('verifies a key with its own algorithm only: %s signed by the RS256 key is refused', (alg) => {
    const { clock, tokens } = rs256();
    const token = signWithKey({ alg, typ: 'JWT', kid: RSA_KID() }, claimsAt(clock), keyPair('rsa').privateKey, alg);
    expect(tokens.verifyAccessToken(token)).toEqual({ ok: false, reason: 'TOKEN_INVALID' });
  });

  it.each([
    ['with the RSA kid', () => ({ kid: RSA_KID() })],
    ['with no kid', () => ({})],
  ])('refuses HS256 signed with the RSA public key PEM as the HMAC secret (key confusion), %s', (_name, kid) => {
    const { clock, tokens } = rs256({ JWT_SECRET: SECRET });
    const token = forgeToken({ alg: 'HS256', typ: 'JWT', ...kid() }, claimsAt(clock), publicPem('rsa'));
    expect(tokens.verifyAccessToken(token)).toEqual({ ok: false, reason: 'TOKEN_INVALID' });
  });

  describe('migrating from HS256', () => {
    const hmacKid = () => jwkThumbprint(createSecretKey(Buffer.from(SECRET)));

    it.each([
      ['with no kid (issued before kids)', () => ({})],
      ['with the HMAC kid', () => ({ kid: hmacKid() })],
    ])('accepts an HS256 token %s while JWT_SECRET is still set', (_name, kid) => {
      const { clock, tokens } = rs256({ JWT_SECRET: SECRET });
      expect(tokens.verifyAccessToken(forgeToken({ alg: 'HS256', typ: 'JWT', ...kid() }, claimsAt(clock), SECRET)).ok).toBe(true);
    });

    it('signs with the private key only', () => {
      const { tokens } = rs256({ JWT_SECRET: SECRET });
      expect(decodeHeader(tokens.signAccessToken(USER, SID).token)).toMatchObject({ alg: 'RS256', kid: RSA_KID() });
    });

    it('refuses HS256 tokens once JWT_SECRET is unset', () => {
      const { clock, tokens } = rs256();
      expect(tokens.verifyAccessToken(forgeToken({ alg: 'HS256', typ: 'JWT' }, claimsAt(clock), SECRET))).toEqual({
        ok: false,
        reason: 'TOKEN_INVALID',
      });
      expect(tokens.verifyAccessToken(forgeToken({ alg: 'HS256', typ: 'JWT', kid: hmacKid() }, claimsAt(clock), SECRET))).toEqual({
        ok: false,
        reason: 'TOKEN_INVALID',
      });
    });
  });

  it.each(['not-base64!.x.y', 'bnVsbA.e30.x', 'WzFd.e30.x', '.e30.x'])('refuses a malformed header %j without throwing', (token) => {
    const { tokens } = rs256();
    expect(tokens.verifyAccessToken(token)).toEqual({ ok: false, reason: 'TOKEN_INVALID' });
  });
});

describe('the hand-written HS256 verify agrees with jsonwebtoken', () => {
  const { clock, tokens } = setup();
  const now = () => Math.floor(clock.now() / 1000);
  const good = () => claimsAt(clock);
  const cases: Array<[string, () => string]> = [
    ['a good token', () => forgeToken({ alg: 'HS256', typ: 'JWT' }, good(), SECRET)],
    ['no typ', () => forgeToken({ alg: 'HS256' }, good(), SECRET)],
    ['alg none', () => forgeToken({ alg: 'none' }, good(), null)],
    ['alg none with a signature', () => `${forgeToken({ alg: 'none' }, good(), null)}c2ln`],
    ['lower-case alg', () => forgeToken({ alg: 'hs256' }, good(), SECRET)],
    ['HS384', () => forgeToken({ alg: 'HS384' }, good(), SECRET, 'sha384')],
    ['a header that is an array', () => forgeToken([1] as unknown as Record<string, unknown>, good(), SECRET)],
    ['an audience list that holds ours', () => forgeToken({ alg: 'HS256' }, claimsAt(clock, { aud: ['x', 'aud-test'] }), SECRET)],
    ['an audience list without ours', () => forgeToken({ alg: 'HS256' }, claimsAt(clock, { aud: ['x'] }), SECRET)],
    ['exp now', () => forgeToken({ alg: 'HS256' }, claimsAt(clock, { exp: now() }), SECRET)],
    ['nbf one second ahead', () => forgeToken({ alg: 'HS256' }, claimsAt(clock, { nbf: now() + 1 }), SECRET)],
    ['a signature with padding', () => `${forgeToken({ alg: 'HS256' }, good(), SECRET)}=`],
    ['four segments', () => `${forgeToken({ alg: 'HS256' }, good(), SECRET)}.x`],
    ['an empty payload segment', () => { const [h, , s] = forgeToken({ alg: 'HS256' }, good(), SECRET).split('.'); return `${h}..${s}`; }],
    ['a payload that is not JSON', () => { const h = Buffer.from('{"alg":"HS256"}').toString('base64url'); const p = Buffer.from('nope').toString('base64url'); return forgeRaw(h, p); }],
  ];

  function forgeRaw(header: string, payload: string): string {
    return `${header}.${payload}.${createHmac('sha256', SECRET).update(`${header}.${payload}`).digest('base64url')}`;
  }

  it.each(cases)('%s', (_name, make) => {
    const token = make();
    let reference: 'ok' | 'TOKEN_EXPIRED' | 'TOKEN_INVALID' = 'ok';
    try {
      jwt.verify(token, SECRET, { algorithms: ['HS256'], issuer: 'iss-test', audience: 'aud-test', clockTimestamp: now() });
    } catch (error) {
      reference = error instanceof jwt.TokenExpiredError ? 'TOKEN_EXPIRED' : 'TOKEN_INVALID';
    }
    const ours = tokens.verifyAccessToken(token);
    expect(ours.ok ? 'ok' : ours.reason).toBe(reference);
  });
});
