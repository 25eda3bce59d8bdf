// The time rules of an access token, stated once, for every path that accepts one: the HMAC path and the
// RS256/ES256 path (access-tokens.ts) and the remembered tokens (verified-tokens.ts). JWT_CLOCK_TOLERANCE
// widens both edges, for machines whose clocks differ.
import { AuthReason } from '../shared/errors';

/**
 * Why a token is not valid at `nowSeconds`, or undefined when it is: not before `nbf` (TOKEN_INVALID: it is
 * not yet a token), and not at or after `exp` (TOKEN_EXPIRED). A claim that is missing or not a number is the
 * shape check's business (checkClaims), which requires both.
 */
export function timeProblem(claims: { nbf?: unknown; exp?: unknown }, nowSeconds: number, toleranceSeconds: number): AuthReason | undefined {
  if (typeof claims.nbf === 'number' && claims.nbf > nowSeconds + toleranceSeconds) return AuthReason.TOKEN_INVALID;
  if (typeof claims.exp === 'number' && nowSeconds >= claims.exp + toleranceSeconds) return AuthReason.TOKEN_EXPIRED;
  return undefined;
}
