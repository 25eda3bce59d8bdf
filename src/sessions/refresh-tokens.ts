// Refresh tokens are opaque: 256 random bits, base64url. Only a SHA-256 hash is stored.
//
// Rotation is deterministic: the successor of token T is HMAC-SHA256(rotationKey, T). So when a rotated
// token comes back within REFRESH_REUSE_GRACE (two tabs refreshing at once, a retried request), the server
// re-derives the very same successor, and re-signs the very same access token (its iat is the rotation
// time and its jti is derived from the successor; HS256 is deterministic), without storing any token or
// any key material per session. Only someone holding T (and the server's key) can compute its successor.
import { createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';

export const REFRESH_TOKEN_BYTES = 32;
const FORMAT = /^[A-Za-z0-9_-]{43}$/;

export function newRefreshToken(): string {
  return randomBytes(REFRESH_TOKEN_BYTES).toString('base64url');
}

export function isRefreshTokenFormat(token: string): boolean {
  return FORMAT.test(token);
}

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url');
}

export interface RotationKey {
  /** The token that replaces `token` when it is rotated. */
  successorOf(token: string): string;
  /** A UUID-shaped jti for the access token issued with `refreshToken`, so that re-issuing it gives the same token. */
  jtiFor(refreshToken: string): string;
}

/** Derived from the JWT secret with HKDF, so there is no second secret to manage. */
export function createRotationKey(jwtSecret: string): RotationKey {
  const key = Buffer.from(hkdfSync('sha256', Buffer.from(jwtSecret, 'utf8'), Buffer.alloc(0), 'refresh-token-rotation v1', 32));
  return {
    successorOf: (token) => createHmac('sha256', key).update(`successor:${token}`).digest('base64url'),
    jtiFor: (refreshToken) => {
      const hex = createHmac('sha256', key).update(`jti:${refreshToken}`).digest('hex');
      // RFC 4122 layout: version 4 nibble and variant bits set, so it looks like every other jti.
      const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
    },
  };
}
