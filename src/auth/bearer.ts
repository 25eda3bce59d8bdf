// Where an access token is read from. Any other Authorization scheme is an invalid token,
// never a silent anonymous request.
import { AuthReason } from '../errors';
import { MAX_TOKEN_BYTES } from './tokens';

export type TokenLookup = { token: string } | { reason: typeof AuthReason.TOKEN_MISSING | typeof AuthReason.TOKEN_INVALID };

// `Bearer` is the standard; `JWT` is what Flask-JWT clients send. Schemes are case-insensitive (RFC 9110).
const SCHEMES = new Set(['bearer', 'jwt']);
const TOKEN_CHARS = /^[A-Za-z0-9_\-.]+$/;

type Header = string | string[] | undefined;

function single(value: Header): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export function readAccessToken(headers: { authorization?: Header; 'x-access-token'?: Header }): TokenLookup {
  const authorization = single(headers.authorization);
  const raw = authorization !== undefined ? fromAuthorization(authorization) : single(headers['x-access-token'])?.trim();
  if (raw === undefined) return { reason: AuthReason.TOKEN_MISSING };
  if (raw === null || raw.length === 0 || raw.length > MAX_TOKEN_BYTES || !TOKEN_CHARS.test(raw)) {
    return { reason: AuthReason.TOKEN_INVALID };
  }
  return { token: raw };
}

/** The token of `<scheme> <token>`; null for an unknown scheme or a malformed header. */
function fromAuthorization(header: string): string | null {
  const trimmed = header.trim();
  const space = trimmed.indexOf(' ');
  if (space < 0) return null;
  const scheme = trimmed.slice(0, space).toLowerCase();
  return SCHEMES.has(scheme) ? trimmed.slice(space + 1).trim() : null;
}
