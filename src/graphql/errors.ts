// The error vocabulary: every error a client can see has a stable `extensions.code`,
// and where it helps a client decide what to do, a stable `extensions.reason`.
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { DatabaseUnavailableError } from '../db/errors';

export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  RATE_LIMITED: 'RATE_LIMITED',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
} as const;

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
} as const;
export type InputReason = (typeof InputReason)[keyof typeof InputReason];

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

export function unauthenticated(reason: AuthReason): GraphQLError {
  return new GraphQLError(AUTH_MESSAGES[reason], {
    extensions: { code: ErrorCode.UNAUTHENTICATED, reason, http: { status: 401 } },
  });
}

export const ForbiddenReason = {
  /** A cookie-authenticated call from an origin outside CORS_ORIGINS (or with none): a possible CSRF. */
  ORIGIN_NOT_ALLOWED: 'ORIGIN_NOT_ALLOWED',
} as const;
export type ForbiddenReason = (typeof ForbiddenReason)[keyof typeof ForbiddenReason];

export function forbidden(reason?: ForbiddenReason): GraphQLError {
  const message = reason === ForbiddenReason.ORIGIN_NOT_ALLOWED ? 'This origin may not use the refresh cookie' : 'You do not have permission to do this';
  return new GraphQLError(message, {
    extensions: { code: ErrorCode.FORBIDDEN, ...(reason ? { reason } : {}), http: { status: 403 } },
  });
}

/** Too busy to take this request now (HTTP 503); the client may retry after `retryAfter` seconds. */
export function serviceUnavailable(retryAfterSeconds: number): GraphQLError {
  const retryAfter = Math.max(1, Math.ceil(retryAfterSeconds));
  return new GraphQLError('The server is busy; retry later', {
    extensions: {
      code: ErrorCode.SERVICE_UNAVAILABLE,
      retryAfter,
      http: { status: 503, headers: new Map([['retry-after', String(retryAfter)]]) },
    },
  });
}

/** How long a client is asked to wait while the database cannot answer. */
export const DATABASE_RETRY_AFTER_SECONDS = 2;

/**
 * A database that cannot answer now (down, restarting, full, locked) is a 503 with Retry-After, never a
 * 500; the driver's code stays on the error for the log (errorReporting in app.ts), not in the response.
 */
export function databaseUnavailable(error: DatabaseUnavailableError): GraphQLError {
  const retryAfter = DATABASE_RETRY_AFTER_SECONDS;
  return new GraphQLError('The database is unavailable; retry later', {
    originalError: error,
    extensions: {
      code: ErrorCode.SERVICE_UNAVAILABLE,
      retryAfter,
      http: { status: 503, headers: new Map([['retry-after', String(retryAfter)]]) },
    },
  });
}

/** The error a client should see for `error` thrown below the GraphQL edge: known storage failures translated, the rest as they are. */
export function translateError(error: unknown): unknown {
  return error instanceof DatabaseUnavailableError ? databaseUnavailable(error) : error;
}

/** Invalid input. `fields` maps an input field name to what is wrong with it. */
export function badUserInput(message: string, reason: InputReason, fields?: Record<string, string>): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: ErrorCode.BAD_USER_INPUT, reason, ...(fields ? { fields } : {}) },
  });
}

/** Too many attempts: retry after `retryAfterSeconds`. Sent as HTTP 429 with a Retry-After header. */
export function rateLimited(retryAfterSeconds: number): GraphQLError {
  const retryAfter = Math.max(1, Math.ceil(retryAfterSeconds));
  return new GraphQLError(`Too many attempts: try again in ${retryAfter} s`, {
    extensions: {
      code: ErrorCode.RATE_LIMITED,
      retryAfter,
      http: { status: 429, headers: new Map([['retry-after', String(retryAfter)]]) },
    },
  });
}

const PERSISTED_QUERIES_OFF = 'Persisted queries are not supported: send the query text';
// graphql-js's parser refusing a document over the token limit (its wording, typo included: "more that").
const TOKEN_LIMIT = /^Syntax Error: Document contains more tha[nt] (\d+) tokens\. Parsing aborted\.$/;
const COERCION = /^Variable "\$([_A-Za-z][_0-9A-Za-z]*)" got invalid value /;
const COERCION_PATH = / at "([_A-Za-z][_0-9A-Za-z]*(?:\.[_A-Za-z][_0-9A-Za-z]*|\[\d+\])*)"$/;
// What graphql-js says is wrong with a variable's value, value-free: the first group of the first match, the rest dropped.
const VALUE_FREE_REASONS = [
  /^(Field "[_A-Za-z][_0-9A-Za-z]*" of required type "[^"]+" was not provided\.)/,
  /^(Field "[_A-Za-z][_0-9A-Za-z]*" is not defined by type "[_A-Za-z][_0-9A-Za-z]*"\.)/,
  /^(Expected type "[^"]+" to be an object\.)/,
  /^(Expected non-nullable type "[^"]+" not to be null\.)/,
  /^(Expected type "[^"]+"\.)/,
  /^((?:Enum "[_A-Za-z][_0-9A-Za-z]*"|[_A-Za-z][_0-9A-Za-z]*) cannot represent [^:]*?):/,
  /^Value .* does not exist (in "[_A-Za-z][_0-9A-Za-z]*" enum\.)/,
];

/**
 * A variable-coercion message without the submitted value, which graphql-js quotes in full (a password
 * sent as a number would end up in the client's error tracker): its name, where in it, and what is wrong.
 * `inner` is graphql-js's own reason (the error's originalError), which ends the message.
 */
export function withoutVariableValue(message: string, inner?: string): string {
  const variable = COERCION.exec(message);
  if (!variable) return message;
  const known = inner !== undefined && message.endsWith(`; ${inner}`);
  const head = known ? message.slice(0, message.length - inner.length - 2) : message;
  const path = COERCION_PATH.exec(head)?.[1];
  const match = known ? VALUE_FREE_REASONS.map((pattern) => pattern.exec(inner)).find(Boolean) : undefined;
  const reason = match && (match[1].startsWith('in "') ? `not a value ${match[1]}` : match[1]);
  return `Variable "$${variable[1]}" got an invalid value${path ? ` at "${path}"` : ''}${reason ? `; ${reason}` : ''}`;
}

/**
 * What every environment shows instead of what the libraries say: no submitted values, no "Syntax Error:"
 * on a limit that is not about syntax, and no library wording for persisted queries (which are off).
 */
export function withoutLibraryDetail(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const { message } = formatted;
  const code = formatted.extensions?.code;
  let shown = message;
  if (code === 'PERSISTED_QUERY_NOT_SUPPORTED' || code === 'PERSISTED_QUERY_NOT_FOUND') shown = PERSISTED_QUERIES_OFF;
  else if (COERCION.test(message)) shown = withoutVariableValue(message, error instanceof GraphQLError ? error.originalError?.message : undefined);
  else if (code === 'GRAPHQL_VALIDATION_FAILED') shown = message.replace(/^Syntax Error: /, '');
  else if (TOKEN_LIMIT.test(message)) shown = message.replace(TOKEN_LIMIT, 'The document has more than $1 tokens');
  return shown === message ? formatted : { ...formatted, message: shown };
}

/**
 * What production shows of a validation error: no "Did you mean …?" hints, which map the schema
 * for someone probing it, and no server library names.
 */
export function forProduction(formatted: GraphQLFormattedError): GraphQLFormattedError {
  if (formatted.extensions?.validationErrorCode === 'INTROSPECTION_DISABLED') {
    return { ...formatted, message: 'Introspection is disabled' };
  }
  if (!formatted.message.includes('Did you mean')) return formatted;
  return { ...formatted, message: formatted.message.replace(/\s*Did you mean .*\?$/s, '') };
}

const MASKED_MESSAGE = 'Internal server error';

/**
 * Turn an error into what the client sees. Known errors (anything carrying a code other than
 * INTERNAL_SERVER_ERROR) pass through; everything else is masked to a generic message that
 * carries the request id, so an operator can find the real error in the logs.
 */
export function maskError(
  formatted: GraphQLFormattedError,
  options: { requestId?: string; debug: boolean },
): GraphQLFormattedError {
  const code = formatted.extensions?.code;
  const known = typeof code === 'string' && code !== ErrorCode.INTERNAL_SERVER_ERROR;
  if (known || options.debug) return stripStacktrace(formatted, options.debug);
  return {
    message: MASKED_MESSAGE,
    ...(formatted.locations ? { locations: formatted.locations } : {}),
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions: {
      code: ErrorCode.INTERNAL_SERVER_ERROR,
      ...(options.requestId ? { requestId: options.requestId } : {}),
    },
  };
}

function stripStacktrace(formatted: GraphQLFormattedError, keep: boolean): GraphQLFormattedError {
  if (keep || !formatted.extensions || !('stacktrace' in formatted.extensions)) return formatted;
  const { stacktrace: _stacktrace, ...extensions } = formatted.extensions;
  return { ...formatted, extensions };
}
