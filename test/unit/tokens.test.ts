import jwt from 'jsonwebtoken';
import { createTokenService, MAX_TOKEN_BYTES } from '../../src/auth/tokens';
import { loadConfig } from '../../src/config';
import { Role } from '../../src/users/role';
import { TestClock } from '../helpers/clock';
import { decodeHeader, decodePayload, forgeToken } from '../helpers/jwt';

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
  it('signs the documented claims and header', () => {
    const { clock, tokens } = setup();
    const { token, expiresIn } = tokens.signAccessToken(USER, SID);
    const now = Math.floor(clock.now() / 1000);
    expect(expiresIn).toBe(900);
    expect(decodeHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT' });
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
