import { readAccessToken } from '../../src/tokens/bearer';

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
    ['a doubled Bearer', `Bearer Bearer ${TOKEN}`],
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
