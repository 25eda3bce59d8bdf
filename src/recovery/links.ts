// The tokens of the links sent by email: 32 random bytes, base64url, stored only as a SHA-256 hash (like a
// refresh token: 256 random bits need no slow hash). Never logged, never returned except inside the email.
import { createHash, randomBytes } from 'node:crypto';
import { TOKEN_PLACEHOLDER } from '../config';

const LINK_TOKEN_BYTES = 32;
const FORMAT = /^[A-Za-z0-9_-]{43}$/;

export function newLinkToken(): string {
  return randomBytes(LINK_TOKEN_BYTES).toString('base64url');
}

/** Anything else is refused before the database is asked. */
export function isLinkTokenFormat(token: string): boolean {
  return FORMAT.test(token);
}

export function hashLinkToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url');
}

/** The link a message carries: the template (RESET_PASSWORD_URL, VERIFY_EMAIL_URL, or from APP_URL) with its token. */
export function linkFor(template: string, token: string): string {
  return template.split(TOKEN_PLACEHOLDER).join(encodeURIComponent(token));
}
