// The cache of verified access tokens: a repeat skips the signature check, never the time checks,
// and nothing that failed is remembered.
import { createTokenService, type VerifyResult } from '../../src/tokens/access-tokens';
import { rememberVerified } from '../../src/tokens/verified-tokens';
import { loadConfig } from '../../src/config';
import { Role } from '../../src/graphql/types/enums';
import { TestClock } from '../helpers/clock';

const USER = { id: '6f1d3c1e-3a4b-4c5d-8e9f-0a1b2c3d4e5f', role: Role.USER };
const SID = '1c2d3e4f-5a6b-4c7d-8e9f-a0b1c2d3e4f5';

function setup(max?: number, tolerance = 0) {
  const config = loadConfig({ JWT_SECRET: 'unit-test-secret-0123456789abcdef0123456789', JWT_CLOCK_TOLERANCE: String(tolerance) });
  const clock = new TestClock();
  const tokens = createTokenService(config.jwt, clock);
  const calls: string[] = [];
  const counted = (token: string): VerifyResult => {
    calls.push(token);
    return tokens.verifyAccessToken(token);
  };
  return { clock, tokens, calls, verify: rememberVerified(counted, clock, tolerance, max) };
}

it('gives the same answer as the token service, and verifies a repeated token only once', () => {
  const { tokens, calls, verify } = setup();
  const { token, claims } = tokens.signAccessToken(USER, SID);
  expect(verify(token)).toEqual({ ok: true, claims });
  expect(verify(token)).toEqual({ ok: true, claims });
  expect(calls).toEqual([token]);
});

it('still expires a remembered token on time, and forgets it', () => {
  const { clock, tokens, calls, verify } = setup();
  const { token } = tokens.signAccessToken(USER, SID);
  expect(verify(token).ok).toBe(true);
  clock.advance(899);
  expect(verify(token).ok).toBe(true);
  clock.advance(1);
  expect(verify(token)).toEqual({ ok: false, reason: 'TOKEN_EXPIRED' });
  expect(verify(token)).toEqual({ ok: false, reason: 'TOKEN_EXPIRED' });
  expect(calls).toEqual([token, token]);
});

it('honours the clock tolerance on a remembered token', () => {
  const { clock, tokens, verify } = setup(undefined, 30);
  const { token } = tokens.signAccessToken(USER, SID);
  expect(verify(token).ok).toBe(true);
  clock.advance(900 + 29);
  expect(verify(token).ok).toBe(true);
  clock.advance(1);
  expect(verify(token)).toEqual({ ok: false, reason: 'TOKEN_EXPIRED' });
});

it('never remembers a failure: a tampered token is checked, and refused, every time', () => {
  const { tokens, calls, verify } = setup();
  const { token } = tokens.signAccessToken(USER, SID);
  const tampered = token.slice(0, -2) + (token.endsWith('AA') ? 'AB' : 'AA');
  expect(verify(token).ok).toBe(true);
  expect(verify(tampered)).toEqual({ ok: false, reason: 'TOKEN_INVALID' });
  expect(verify(tampered)).toEqual({ ok: false, reason: 'TOKEN_INVALID' });
  expect(calls).toEqual([token, tampered, tampered]);
});

it('holds at most max tokens, dropping the oldest first', () => {
  const { tokens, calls, verify } = setup(2);
  const [a, b, c] = [0, 1, 2].map(() => tokens.signAccessToken(USER, SID).token);
  for (const token of [a, b, c]) verify(token);
  verify(c);
  verify(b);
  verify(a);
  expect(calls).toEqual([a, b, c, a]);
});

it('answers from memory only for the exact text: another token that ends the same (a copied signature) is verified, and refused', () => {
  const { tokens, calls, verify } = setup();
  const { token } = tokens.signAccessToken(USER, SID);
  const [, payload] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  const forgedPayload = Buffer.from(JSON.stringify({ ...claims, role: Role.ADMIN })).toString('base64url');
  const forged = token.replace(payload, forgedPayload);
  expect(forged.slice(-16)).toBe(token.slice(-16));
  expect(verify(token).ok).toBe(true);
  expect(verify(forged)).toEqual({ ok: false, reason: 'TOKEN_INVALID' });
  expect(verify(token).ok).toBe(true);
  expect(calls).toEqual([token, forged]);
});
