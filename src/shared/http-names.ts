// Names on the wire, written once: the headers this API reads or writes (lower case, as Node gives them),
// and the error codes the HTTP edge answers with before GraphQL runs.

export const Header = {
  AUTHORIZATION: 'authorization',
  /** Where flask_jwt_example clients send the token. */
  ACCESS_TOKEN: 'x-access-token',
  REQUEST_ID: 'x-request-id',
  RETRY_AFTER: 'retry-after',
  COOKIE: 'cookie',
  SET_COOKIE: 'set-cookie',
  ORIGIN: 'origin',
  USER_AGENT: 'user-agent',
  CONTENT_TYPE: 'content-type',
  CACHE_CONTROL: 'cache-control',
  FORWARDED_FOR: 'x-forwarded-for',
  CONNECTION: 'connection',
} as const;

export const HttpErrorCode = {
  BAD_REQUEST: 'BAD_REQUEST',
  NOT_FOUND: 'NOT_FOUND',
  METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
} as const;
export type HttpErrorCode = (typeof HttpErrorCode)[keyof typeof HttpErrorCode];
