// Where an access token is read from. Any other Authorization scheme is an invalid token,
// never a silent anonymous request; so is a header sent twice.
import { AuthReason } from '../shared/errors';
import { Header } from '../shared/http-names';

/** Tokens longer than this are refused as they are read, before any parsing: the one size check. */
export const MAX_TOKEN_BYTES = 8 * 1024;

export type TokenLookup = { token: string } | { reason: typeof AuthReason.TOKEN_MISSING | typeof AuthReason.TOKEN_INVALID };

// `Bearer` is the standard; `JWT` is what Flask-JWT clients send. Schemes are case-insensitive (RFC 9110).
const SCHEMES = new Set(['bearer', 'jwt']);
const TOKEN_CHARS = /^[A-Za-z0-9_\-.]+$/;

type HeaderValue = string | string[] | undefined;

/** The header's value; null when it came more than once (Node keeps the first, a proxy in front may use the last). */
function single(value: HeaderValue): string | undefined | null {
  if (!Array.isArray(value)) return value;
  return value.length > 1 ? null : value[0];
}

/** `headers` as `req.headersDistinct` gives them, so that a repeated header is seen as such. */
export function readAccessToken(headers: { [Header.AUTHORIZATION]?: HeaderValue; [Header.ACCESS_TOKEN]?: HeaderValue }): TokenLookup {
  const authorization = single(headers[Header.AUTHORIZATION]);
  const accessToken = single(headers[Header.ACCESS_TOKEN]);
  if (authorization === null || accessToken === null) return { reason: AuthReason.TOKEN_INVALID };
  const raw = authorization !== undefined ? fromAuthorization(authorization) : accessToken?.trim();
  if (raw === undefined) return { reason: AuthReason.TOKEN_MISSING };
  if (raw === null || raw.length === 0 || raw.length > MAX_TOKEN_BYTES) return { reason: AuthReason.TOKEN_INVALID };
  return { token: raw };
}

/**
 * Whether a token read by readAccessToken is made of the characters a JWT can have: anything else is
 * TOKEN_INVALID before it is parsed. token-check.ts asks this only of a token it has not verified before.
 */
export function isTokenText(token: string): boolean {
  return TOKEN_CHARS.test(token);
}

/** The token of `<scheme> <token>`; null for an unknown scheme or a malformed header. */
function fromAuthorization(header: string): string | null {
  const trimmed = header.trim();
  const space = trimmed.indexOf(' ');
  if (space < 0) return null;
  const scheme = trimmed.slice(0, space).toLowerCase();
  return SCHEMES.has(scheme) ? trimmed.slice(space + 1).trim() : null;
}
