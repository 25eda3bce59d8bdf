import { DomainError } from '../../src/shared/errors';
import { decodeCursor, encodeCursor } from '../../src/users/cursor';

const cursor = { createdAt: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678)), publicId: '6f1d3c1e-3a4b-4c5d-8e9f-0a1b2c3d4e5f' };

describe('cursors', () => {
  it('round-trip', () => {
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
  });

  it('are opaque base64url', () => {
    expect(encodeCursor(cursor)).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it.each([
    ['garbage', 'not a cursor!'],
    ['empty', ''],
    ['valid base64 of something else', Buffer.from('hello').toString('base64url')],
    ['an unknown version', Buffer.from(`u9:1:${cursor.publicId}`).toString('base64url')],
    ['a bad id', Buffer.from('u1:1:not-a-uuid').toString('base64url')],
    ['a huge value', 'A'.repeat(10_000)],
  ])('reject %s with BAD_USER_INPUT / INVALID_CURSOR', (_name, text) => {
    let error: unknown;
    try {
      decodeCursor(text);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_CURSOR' });
  });
});
