// Access tokens that have verified, remembered by their exact text until they expire. A client sends
// the same token with every request for the token's lifetime, and nothing the signature covers can
// change in between, so a repeat costs one Map lookup instead of an HMAC (or an RSA/ECDSA verify).
// Only the time rules are checked again (time-rules.ts). Keys change only at a restart, which empties the cache.
// A token that fails is never remembered; the cache holds at most `max` tokens, oldest out first.
import type { Clock } from '../shared/clock';
import { AuthReason } from '../shared/errors';
import type { AccessClaims, VerifyResult } from './access-tokens';
import { timeProblem } from './time-rules';

export const VERIFIED_TOKENS_MAX = 10_000;

export type Verifier = (token: string) => VerifyResult;

export function rememberVerified(verify: Verifier, clock: Clock, toleranceSeconds: number, max = VERIFIED_TOKENS_MAX): Verifier {
  const verified = new Map<string, { ok: true; claims: AccessClaims }>();
  return (token) => {
    const known = verified.get(token);
    if (known) {
      const late = timeProblem(known.claims, Math.floor(clock.now() / 1000), toleranceSeconds);
      if (!late) return known;
      // An expired token never becomes valid again; one not yet valid will, and stays.
      if (late === AuthReason.TOKEN_EXPIRED) verified.delete(token);
      return { ok: false, reason: late };
    }
    const result = verify(token);
    if (result.ok) {
      if (verified.size >= max) verified.delete(verified.keys().next().value as string);
      verified.set(token, result);
    }
    return result;
  };
}
