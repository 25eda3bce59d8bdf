import { readAccessToken } from '../../src/auth/bearer';

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
});
