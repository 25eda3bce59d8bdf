// The error vocabulary of the domain. Services throw a DomainError: plain data — a stable `code`, and where it
// helps a client decide what to do a stable `reason`, the input `fields` that are wrong, or how many seconds
// to wait (`retryAfter`). Nothing here knows about GraphQL or HTTP: graphql/errors.ts translates a DomainError
// into what a client sees (extensions.code, reason, fields, retryAfter, and the HTTP status), in one place.

export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  RATE_LIMITED: 'RATE_LIMITED',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Why a request has no authenticated user. */
export const AuthReason = {
  TOKEN_MISSING: 'TOKEN_MISSING',
  TOKEN_INVALID: 'TOKEN_INVALID',
  TOKEN_EXPIRED: 'TOKEN_EXPIRED',
  USER_NOT_FOUND: 'USER_NOT_FOUND',
  INVALID_CREDENTIALS: 'INVALID_CREDENTIALS',
  /** The token's session was ended (logout, password change, reuse detection, an admin) or has expired. */
  TOKEN_REVOKED: 'TOKEN_REVOKED',
  REFRESH_TOKEN_MISSING: 'REFRESH_TOKEN_MISSING',
  REFRESH_TOKEN_INVALID: 'REFRESH_TOKEN_INVALID',
  REFRESH_TOKEN_EXPIRED: 'REFRESH_TOKEN_EXPIRED',
  /** A refresh token was presented again after it had been rotated: the whole session is ended. */
  REFRESH_TOKEN_REUSED: 'REFRESH_TOKEN_REUSED',
} as const;
export type AuthReason = (typeof AuthReason)[keyof typeof AuthReason];

export const InputReason = {
  EMAIL_TAKEN: 'EMAIL_TAKEN',
  INVALID_CURSOR: 'INVALID_CURSOR',
  INVALID_INPUT: 'INVALID_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  LAST_ADMIN: 'LAST_ADMIN',
  /** A second-factor code (TOTP or recovery) that is wrong, already used, or outside the drift window. */
  MFA_CODE_INVALID: 'MFA_CODE_INVALID',
  /** The user has no TOTP turned on (verifyMfa, disableTotp, regenerateRecoveryCodes). */
  MFA_NOT_ENABLED: 'MFA_NOT_ENABLED',
  /** confirmTotpEnrollment without a pending enrollment from startTotpEnrollment. */
  MFA_ENROLLMENT_NOT_STARTED: 'MFA_ENROLLMENT_NOT_STARTED',
  /** A link from an email (password reset, verification, email change) that is unknown, used, or superseded by a newer one. */
  LINK_INVALID: 'LINK_INVALID',
  /** A link from an email past its lifetime (PASSWORD_RESET_TTL, EMAIL_VERIFY_TTL). */
  LINK_EXPIRED: 'LINK_EXPIRED',
} as const;
export type InputReason = (typeof InputReason)[keyof typeof InputReason];

/**
 * What a session still owes before it may do everything its user may: while one is pending, the session may
 * call only the fields that allow it (the guard's `allow`), and every other guarded field is FORBIDDEN with
 * the restriction as its reason.
 */
export const SessionRestriction = {
  /** REQUIRE_EMAIL_VERIFICATION is on and the user's email address is not verified yet. */
  EMAIL_NOT_VERIFIED: 'EMAIL_NOT_VERIFIED',
  /** The user has a second factor, and this session has not proven it yet. */
  MFA_REQUIRED: 'MFA_REQUIRED',
} as const;
export type SessionRestriction = (typeof SessionRestriction)[keyof typeof SessionRestriction];

export const ForbiddenReason = {
  /** A cookie-authenticated call from an origin outside CORS_ORIGINS (or with none): a possible CSRF. */
  ORIGIN_NOT_ALLOWED: 'ORIGIN_NOT_ALLOWED',
  ...SessionRestriction,
} as const;
export type ForbiddenReason = (typeof ForbiddenReason)[keyof typeof ForbiddenReason];

/** Why the server cannot do this at all until its operator acts (SERVICE_UNAVAILABLE without retryAfter). */
export const UnavailableReason = {
  /** No MFA_ENCRYPTION_KEY in production: TOTP secrets cannot be stored. */
  MFA_NOT_CONFIGURED: 'MFA_NOT_CONFIGURED',
  /** MAIL_DISABLED=true: no email can be sent, so nothing that sends or follows one works. */
  MAIL_DISABLED: 'MAIL_DISABLED',
} as const;
export type UnavailableReason = (typeof UnavailableReason)[keyof typeof UnavailableReason];

export type Reason = AuthReason | InputReason | ForbiddenReason | UnavailableReason;

export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly reason?: Reason,
    /** Input field name → what is wrong with it. */
    readonly fields?: Readonly<Record<string, string>>,
    /** Seconds the client should wait before trying again. */
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

const AUTH_MESSAGES: Record<AuthReason, string> = {
  TOKEN_MISSING: 'Authentication required: send an access token',
  TOKEN_INVALID: 'The access token is invalid',
  TOKEN_EXPIRED: 'The access token has expired',
  USER_NOT_FOUND: 'The user of this access token no longer exists',
  INVALID_CREDENTIALS: 'Invalid combination of email and password',
  TOKEN_REVOKED: 'The session of this token has ended: log in again',
  REFRESH_TOKEN_MISSING: 'No refresh token: pass one, or send the refresh cookie',
  REFRESH_TOKEN_INVALID: 'The refresh token is invalid',
  REFRESH_TOKEN_EXPIRED: 'The refresh token has expired: log in again',
  REFRESH_TOKEN_REUSED: 'This refresh token was already used: the session has been ended, log in again',
};

/** Whole seconds, at least one: what a Retry-After may say. */
const wholeSeconds = (seconds: number) => Math.max(1, Math.ceil(seconds));

export function unauthenticated(reason: AuthReason): DomainError {
  return new DomainError(ErrorCode.UNAUTHENTICATED, AUTH_MESSAGES[reason], reason);
}

const FORBIDDEN_MESSAGES: Record<ForbiddenReason, string> = {
  ORIGIN_NOT_ALLOWED: 'This origin may not use the refresh cookie',
  EMAIL_NOT_VERIFIED: 'Verify your email address first: this session may only see itself, verify the email, or log out',
  MFA_REQUIRED: 'Prove your second factor first: this session may only see itself, verify, or log out',
};

export function forbidden(reason?: ForbiddenReason): DomainError {
  return new DomainError(ErrorCode.FORBIDDEN, reason ? FORBIDDEN_MESSAGES[reason] : 'You do not have permission to do this', reason);
}

/** Invalid input. `fields` maps an input field name to what is wrong with it. */
export function badUserInput(message: string, reason: InputReason, fields?: Record<string, string>): DomainError {
  return new DomainError(ErrorCode.BAD_USER_INPUT, message, reason, fields);
}

/** Too many attempts: retry after `retryAfterSeconds`. */
export function rateLimited(retryAfterSeconds: number): DomainError {
  const retryAfter = wholeSeconds(retryAfterSeconds);
  return new DomainError(ErrorCode.RATE_LIMITED, `Too many attempts: try again in ${retryAfter} s`, undefined, undefined, retryAfter);
}

/** Too busy to take this request now; the client may retry after `retryAfterSeconds`. */
export function serviceUnavailable(retryAfterSeconds: number, message = 'The server is busy; retry later'): DomainError {
  return new DomainError(ErrorCode.SERVICE_UNAVAILABLE, message, undefined, undefined, wholeSeconds(retryAfterSeconds));
}

const UNAVAILABLE_MESSAGES: Record<UnavailableReason, string> = {
  MFA_NOT_CONFIGURED: 'Two-factor authentication is not configured on this server',
  MAIL_DISABLED: 'Email is turned off on this server: password reset and email verification are unavailable',
};

/** Not a moment of load but a missing setting: no retryAfter, as retrying will not help. */
export function notConfigured(reason: UnavailableReason): DomainError {
  return new DomainError(ErrorCode.SERVICE_UNAVAILABLE, UNAVAILABLE_MESSAGES[reason], reason);
}

/** True when `error` is a DomainError with this code (and this reason, if given). */
export function isDomainError(error: unknown, code: ErrorCode, reason?: Reason): error is DomainError {
  return error instanceof DomainError && error.code === code && (reason === undefined || error.reason === reason);
}
