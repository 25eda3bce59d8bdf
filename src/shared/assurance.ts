// How a session was authenticated: a fact every layer shares. The session row stores it (db/), the rules
// read it (sessions/, mfa/, auth/), access tokens carry it as the `aal` and `amr` claims (tokens/).

/** Authenticator assurance level (NIST SP 800-63B): a password alone, or a password and a second factor. */
export const Aal = {
  AAL1: 'aal1',
  AAL2: 'aal2',
} as const;
export type Aal = (typeof Aal)[keyof typeof Aal];

/** Authentication methods references (RFC 8176): what a session's user proved. */
export const AuthMethod = {
  PASSWORD: 'pwd',
  OTP: 'otp',
  /** A single-use recovery code instead of the authenticator app (not in RFC 8176's registry). */
  RECOVERY: 'recovery',
} as const;
export type AuthMethod = (typeof AuthMethod)[keyof typeof AuthMethod];

export const AALS: readonly Aal[] = Object.values(Aal);
export const AUTH_METHODS: readonly AuthMethod[] = Object.values(AuthMethod);

/** What a session was authenticated with. */
export interface Assurance {
  readonly aal: Aal;
  readonly amr: readonly AuthMethod[];
}

/** A password login: where every session starts. */
export const PASSWORD_ONLY: Assurance = Object.freeze({ aal: Aal.AAL1, amr: Object.freeze([AuthMethod.PASSWORD]) });

/** `assurance` raised to aal2 by a second factor `method`; methods already used are kept, each once. */
export function withSecondFactor(assurance: Assurance, method: AuthMethod): Assurance {
  const amr = assurance.amr.includes(method) ? assurance.amr : [...assurance.amr, method];
  return Object.freeze({ aal: Aal.AAL2, amr: Object.freeze(amr) });
}

export function isAal(value: unknown): value is Aal {
  return typeof value === 'string' && (AALS as readonly string[]).includes(value);
}

export function isAuthMethod(value: unknown): value is AuthMethod {
  return typeof value === 'string' && (AUTH_METHODS as readonly string[]).includes(value);
}
