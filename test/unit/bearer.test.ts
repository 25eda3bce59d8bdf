import { isTokenText, readAccessToken } from '../../src/tokens/bearer';
import { createTokenChecker } from '../../src/tokens/token-check';
import { TestClock } from '../helpers/clock';
import { loadConfig } from '../../src/config';
import { createTokenService } from '../../src/tokens/access-tokens';
import { Role } from '../../src/shared/role';

const TOKEN = 'aaa.bbb.ccc';

describe('readAccessToken', () => {
  it.each([
    ['Authorization: Bearer', { authorization: `Bearer ${TOKEN}` }],
    ['Authorization: bearer (schemes are case-insensitive)', { authorization: `bearer ${TOKEN}` }],
    ['Authorization: JWT (Flask-JWT clients)', { authorization: `JWT ${TOKEN}` }],
    ['X-Access-Token', { 'x-access-token': TOKEN }],
  ])('reads %s', (_name, headers) => {
    expect(readAccessToken(headers)).toEqual({ token: TOKEN });
  });

  it('reports no header as TOKEN_MISSING', () => {
    expect(readAccessToken({})).toEqual({ reason: 'TOKEN_MISSING' });
  });

  it.each([
    ['another scheme', `Basic ${Buffer.from('a:b').toString('base64')}`],
    ['no scheme', TOKEN],
    ['an empty token', 'Bearer '],
    ['a token over 8 KiB', `Bearer ${'a'.repeat(8 * 1024 + 1)}`],
  ])('reports %s as TOKEN_INVALID', (_name, authorization) => {
    expect(readAccessToken({ authorization })).toEqual({ reason: 'TOKEN_INVALID' });
  });

  it('reads one header given as a one-value list (as req.headersDistinct gives it)', () => {
    expect(readAccessToken({ authorization: [`Bearer ${TOKEN}`] })).toEqual({ token: TOKEN });
  });

  it.each([
    ['two Authorization headers', { authorization: [`Bearer ${TOKEN}`, `Bearer ${TOKEN}`] }],
    ['two X-Access-Token headers', { 'x-access-token': [TOKEN, TOKEN] }],
  ])('reports %s as TOKEN_INVALID, even when they agree', (_name, headers) => {
    expect(readAccessToken(headers)).toEqual({ reason: 'TOKEN_INVALID' });
  });
});

describe('isTokenText', () => {
  it.each([
    ['a JWT', TOKEN],
    ['base64url with - and _', 'a-b_c.d-e_f.g-h_i'],
  ])('accepts %s', (_name, token) => {
    expect(isTokenText(token)).toBe(true);
  });

  it.each([
    ['a space (a doubled Bearer)', `Bearer ${TOKEN}`],
    ['base64 padding', 'aaa.bbb.ccc='],
    ['a quote', 'aaa."bbb".ccc'],
    ['a non-ASCII letter', 'aaa.bbé.ccc'],
  ])('refuses %s', (_name, token) => {
    expect(isTokenText(token)).toBe(false);
  });
});

describe('the token check', () => {
  function checker() {
    const config = loadConfig({ JWT_SECRET: 'unit-test-secret-0123456789abcdef0123456789' });
    const clock = new TestClock();
    const tokens = createTokenService(config.jwt, clock);
    const seen: string[] = [];
    const check = createTokenChecker({ verifyAccessToken: (token) => (seen.push(token), tokens.verifyAccessToken(token)) }, clock, 0);
    const { token } = tokens.signAccessToken({ id: '6f1d3c1e-3a4b-4c5d-8e9f-0a1b2c3d4e5f', role: Role.USER }, '1c2d3e4f-5a6b-4c7d-8e9f-a0b1c2d3e4f5');
    return { check, seen, token };
  }

  it('refuses a token that is not JWT text as TOKEN_INVALID without verifying it: a doubled Bearer, padding', () => {
    const { check, seen, token } = checker();
    expect(check({ authorization: `Bearer Bearer ${token}` })).toEqual({ ok: false, reason: 'TOKEN_INVALID' });
    expect(check({ authorization: `Bearer ${token}=` })).toEqual({ ok: false, reason: 'TOKEN_INVALID' });
    expect(seen).toEqual([]);
  });

  it('verifies a token once, then answers it from memory; a token that is not JWT text never is, even after', () => {
    const { check, seen, token } = checker();
    expect(check({ authorization: `Bearer ${token}` }).ok).toBe(true);
    expect(check({ authorization: `Bearer ${token}` }).ok).toBe(true);
    expect(check({ authorization: `Bearer Bearer ${token}` })).toEqual({ ok: false, reason: 'TOKEN_INVALID' });
    expect(seen).toEqual([token]);
  });
});
