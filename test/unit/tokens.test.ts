import { createHmac } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { createTokenService, MAX_TOKEN_BYTES } from '../../src/auth/tokens';
import { loadConfig } from '../../src/config';
import { Role } from '../../src/users/role';
import { TestClock } from '../helpers/clock';
import { decodeHeader, decodePayload, forgeToken } from '../helpers/jwt';

const SECRET = 'unit-test-secret-0123456789abcdef0123456789';
const USER = { id: '6f1d3c1e-3a4b-4c5d-8e9f-0a1b2c3d4e5f', role: Role.USER };

function setup(env: Record<string, string> = {}) {
  const config = loadConfig({ JWT_SECRET: SECRET, JWT_ISSUER: 'iss-test', JWT_AUDIENCE: 'aud-test', ...env });
  const clock = new TestClock();
  return { clock, tokens: createTokenService(config.jwt, clock) };
}

function claimsAt(clock: TestClock, overrides: Record<string, unknown> = {}) {
  const iat = Math.floor(clock.now() / 1000);
  return { sub: USER.id, role: 'USER', jti: 'j', iat, nbf: iat, exp: iat + 900, iss: 'iss-test', aud: 'aud-test', ...overrides };
}

describe('token service', () => {
  it('signs the documented claims and header', () => {
    const { clock, tokens } = setup();
    const { token, expiresIn } = tokens.signAccessToken(USER);
    const now = Math.floor(clock.now() / 1000);
    expect(expiresIn).toBe(900);
    expect(decodeHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(decodePayload(token)).toEqual({
      sub: USER.id,
      role: 'USER',
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
      iat: now,
      nbf: now,
      exp: now + 900,
      iss: 'iss-test',
      aud: 'aud-test',
    });
  });

  it('gives every token a fresh jti', () => {
    const { tokens } = setup();
    expect(decodePayload(tokens.signAccessToken(USER).token).jti).not.toBe(decodePayload(tokens.signAccessToken(USER).token).jti);
  });

  it('verifies its own tokens', () => {
    const { tokens } = setup();
    const result = tokens.verifyAccessToken(tokens.signAccessToken(USER).token);
    expect(result).toEqual({ ok: true, claims: expect.objectContaining({ sub: USER.id, role: 'USER' }) });
  });

  it('reports an expired token as TOKEN_EXPIRED', () => {
    const { clock, tokens } = setup();
    const { token } = tokens.signAccessToken(USER);
    clock.advance(900);
    expect(tokens.verifyAccessToken(token)).toEqual({ ok: false, reason: 'TOKEN_EXPIRED' });
  });

  it('accepts a token inside the clock tolerance', () => {
    const { clock, tokens } = setup({ JWT_CLOCK_TOLERANCE: '30' });
    const { token } = tokens.signAccessToken(USER);
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
  ])('rejects a token with %s as TOKEN_INVALID', (_name, make) => {
    const { clock, tokens } = setup();
    const { header, secret, overrides, hash } = { hash: 'sha256' as const, ...make() };
    const token = forgeToken({ typ: 'JWT', ...header }, claimsAt(clock, overrides), secret, hash);
    expect(tokens.verifyAccessToken(token)).toEqual({ ok: false, reason: 'TOKEN_INVALID' });
  });

  it('rejects a JSON array payload', () => {
    const { tokens } = setup();
    expect(tokens.verifyAccessToken(forgeToken({ alg: 'HS256', typ: 'JWT' }, [1, 2], SECRET))).toEqual({
      ok: false,
      reason: 'TOKEN_INVALID',
    });
  });

  it('rejects a token over 8 KiB without parsing it', () => {
    const { tokens } = setup();
    const spy = jest.spyOn(jwt, 'verify');
    expect(tokens.verifyAccessToken('a'.repeat(MAX_TOKEN_BYTES + 1))).toEqual({ ok: false, reason: 'TOKEN_INVALID' });
    expect(spy).not.toHaveBeenCalled();
    spy.mockRestore();
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
