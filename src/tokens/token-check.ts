// Who is calling, as far as the access token can say, in one pass: the token read from the request once
// (bearer.ts: where it may be, in which scheme, and at most MAX_TOKEN_BYTES: the one size check), then
// verified once (access-tokens.ts), or answered from the tokens that verified before (verified-tokens.ts).
// The time rules (time-rules.ts) apply on every path. Whether the token's session is still active is the
// next step's business (sessions/session.service.ts, check).
import type { Clock } from '../shared/clock';
import type { TokenService, VerifyResult } from './access-tokens';
import { readAccessToken } from './bearer';
import { rememberVerified } from './verified-tokens';

/** Request headers as Node's headersDistinct gives them: every value an array, so a repeated header is seen. */
export type RequestHeaders = Readonly<Record<string, string | string[] | undefined>>;

export type TokenChecker = (headers: RequestHeaders) => VerifyResult;

export function createTokenChecker(tokens: Pick<TokenService, 'verifyAccessToken'>, clock: Clock, toleranceSeconds: number): TokenChecker {
  const verify = rememberVerified(tokens.verifyAccessToken, clock, toleranceSeconds);
  return (headers) => {
    const lookup = readAccessToken(headers);
    return 'reason' in lookup ? { ok: false, reason: lookup.reason } : verify(lookup.token);
  };
}
