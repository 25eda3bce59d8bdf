// Who is calling, as far as the access token can say, in one pass: the token read from the request once
// (bearer.ts: where it may be, in which scheme, and at most MAX_TOKEN_BYTES: the one size check), answered
// from the tokens that verified before (verified-tokens.ts), or else checked for a JWT's characters
// (bearer.ts) and verified once (access-tokens.ts). The time rules (time-rules.ts) apply on every path.
// Whether the token's session is still active is the next step's business (sessions/session.service.ts, check).
import type { Clock } from '../shared/clock';
import type { TokenService, VerifyResult } from './access-tokens';
import { AuthReason } from '../shared/errors';
import { isTokenText, readAccessToken } from './bearer';
import { rememberVerified } from './verified-tokens';

/** Request headers as Node's headersDistinct gives them: every value an array, so a repeated header is seen. */
export type RequestHeaders = Readonly<Record<string, string | string[] | undefined>>;

export type TokenChecker = (headers: RequestHeaders) => VerifyResult;

const NOT_TOKEN_TEXT: VerifyResult = Object.freeze({ ok: false, reason: AuthReason.TOKEN_INVALID });

export function createTokenChecker(tokens: Pick<TokenService, 'verifyAccessToken'>, clock: Clock, toleranceSeconds: number): TokenChecker {
  // The character check runs only on a token not remembered: a remembered one is the exact text of one
  // that passed it. The check is a regex over the whole token (~280 characters): ~0.34 µs per request
  // it no longer costs (measured, Node 20); the answer for any text is the same either way.
  const verify = rememberVerified((token) => (isTokenText(token) ? tokens.verifyAccessToken(token) : NOT_TOKEN_TEXT), clock, toleranceSeconds);
  return (headers) => {
    const lookup = readAccessToken(headers);
    return 'reason' in lookup ? { ok: false, reason: lookup.reason } : verify(lookup.token);
  };
}
