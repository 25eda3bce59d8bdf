// What a client sees of an error, decided in one place: a DomainError (shared/errors.ts) becomes a GraphQLError
// with extensions.code, reason, fields and retryAfter, and the HTTP status (and Retry-After) that goes with
// its code; a database that cannot answer becomes SERVICE_UNAVAILABLE; anything unexpected is masked.
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { DatabaseUnavailableError } from '../db/errors';
import { DomainError, ErrorCode, serviceUnavailable } from '../shared/errors';
import { Header } from '../shared/http-names';

/** The HTTP status of each code that has its own; the rest answer 200 (GraphQL's default), or 400 before execution. */
const HTTP_STATUS: Partial<Record<ErrorCode, number>> = {
  [ErrorCode.UNAUTHENTICATED]: 401,
  [ErrorCode.FORBIDDEN]: 403,
  [ErrorCode.RATE_LIMITED]: 429,
  [ErrorCode.SERVICE_UNAVAILABLE]: 503,
};

/** How long a client is asked to wait while the database cannot answer. */
export const DATABASE_RETRY_AFTER_SECONDS = 2;

export function toGraphQLError(error: DomainError): GraphQLError {
  const status = HTTP_STATUS[error.code];
  const retryHeader = error.retryAfter === undefined ? undefined : new Map([[Header.RETRY_AFTER, String(error.retryAfter)]]);
  return new GraphQLError(error.message, {
    originalError: error,
    extensions: {
      code: error.code,
      ...(error.reason ? { reason: error.reason } : {}),
      ...(error.fields ? { fields: error.fields } : {}),
      ...(error.retryAfter === undefined ? {} : { retryAfter: error.retryAfter }),
      ...(status ? { http: { status, ...(retryHeader ? { headers: retryHeader } : {}) } } : {}),
    },
  });
}

/**
 * The error a client should see for `error` thrown below the GraphQL edge: a domain error translated, a database
 * that cannot answer as a 503 (its driver code kept, as the cause, for the log — never in the response), and
 * anything else as it is (masked later, unless it is a GraphQLError of the edge's own).
 */
export function translateError(error: unknown): unknown {
  if (error instanceof DomainError) return toGraphQLError(error);
  if (error instanceof DatabaseUnavailableError) {
    const unavailable = serviceUnavailable(DATABASE_RETRY_AFTER_SECONDS, 'The database is unavailable; retry later');
    return toGraphQLError(Object.assign(unavailable, { cause: error }));
  }
  return error;
}

/** The database failure behind an error the edge answered with, if any: for the log. */
export function databaseCauseOf(error: GraphQLError): DatabaseUnavailableError | undefined {
  const domain = error.originalError instanceof GraphQLError ? error.originalError.originalError : error.originalError;
  const cause = domain instanceof DomainError ? domain.cause : domain;
  return cause instanceof DatabaseUnavailableError ? cause : undefined;
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
