// Opaque cursors for keyset pagination over (createdAt, publicId).
// The encoding is an implementation detail: clients must pass cursors back unchanged.
import { badUserInput, InputReason } from '../shared/errors';
import { UUID_PATTERN } from '../shared/patterns';

export interface UserCursor {
  createdAt: Date;
  publicId: string;
}

const PREFIX = 'u1';
const DECODED = new RegExp(`^${PREFIX}:(\\d{1,15}):(${UUID_PATTERN.source.slice(1, -1)})$`);
const BASE64URL = /^[A-Za-z0-9_-]+$/;

export function encodeCursor(cursor: UserCursor): string {
  return Buffer.from(`${PREFIX}:${cursor.createdAt.getTime()}:${cursor.publicId}`, 'utf8').toString('base64url');
}

/** Decode a cursor from a client; throws BAD_USER_INPUT / INVALID_CURSOR for anything we did not issue. */
export function decodeCursor(text: string): UserCursor {
  const match = text.length <= 128 && BASE64URL.test(text) ? DECODED.exec(Buffer.from(text, 'base64url').toString('utf8')) : null;
  if (!match) {
    throw badUserInput('The cursor is not valid: pass back an endCursor from a previous page', InputReason.INVALID_CURSOR, {
      after: 'Unknown or malformed cursor',
    });
  }
  return { createdAt: new Date(Number(match[1])), publicId: match[2] };
}
