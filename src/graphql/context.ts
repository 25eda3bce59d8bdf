// The per-request context: built once per request, never mutated by resolvers.
import type { RequestHeaders, TokenChecker } from '../tokens/token-check';
import type { UserRecord } from '../db/records';
import type { RequestMeta } from '../auth/auth.service';
import type { AuthReason as AuthReasonType, SessionRestriction } from '../shared/errors';
import { Header } from '../shared/http-names';
import { readDeviceToken } from './device-cookie';
import type { HttpExchange } from './http-exchange';
import { translateError } from './errors';
import type { CurrentSession, SessionService } from '../sessions/session.service';

export interface Context {
  /** The authenticated user, read from the database for this request (its role is the one that counts). */
  user?: UserRecord;
  /** The access token's session, checked active for this request; set whenever user is. */
  session?: CurrentSession;
  /** What the session still owes (an email verification, a second factor): only fields that allow it may run. */
  restrictions?: readonly SessionRestriction[];
  /** Why there is no user; undefined when there is one. */
  authFailure?: AuthReasonType;
  requestId: string;
  /** The client's address: the socket peer, or X-Forwarded-For from a trusted proxy. */
  clientIp: string;
  /** Request headers and Set-Cookie, for the refresh cookie. */
  http: HttpExchange;
}

/** Who is asking, as the services want it: for rate limits, the session record and the audit log. */
export function requestMeta({ requestId, clientIp, http }: Pick<Context, 'requestId' | 'clientIp' | 'http'>): RequestMeta {
  return { requestId, clientIp, userAgent: http.header(Header.USER_AGENT), deviceToken: readDeviceToken(http) };
}

export interface ContextDeps {
  checkToken: TokenChecker;
  sessions: SessionService;
}

/**
 * One request's context. A class, so that every context shares one shape (an object literal with optional
 * fields set later gave contexts several hidden classes: measured, more memory and less throughput under load).
 */
class RequestContext implements Context {
  user?: UserRecord;
  session?: CurrentSession;
  restrictions?: readonly SessionRestriction[];
  authFailure?: AuthReasonType;

  constructor(
    readonly requestId: string,
    readonly clientIp: string,
    readonly http: HttpExchange,
  ) {}
}

/**
 * Who is calling: the token read and verified (tokens/token-check.ts), then its session read with its user
 * (one statement, or its kept answer). Never throws for a bad token: the reason is recorded for the guard.
 */
export async function buildContext(
  deps: ContextDeps,
  headers: RequestHeaders,
  request: { requestId: string; clientIp: string; http: HttpExchange },
): Promise<Context> {
  const context = new RequestContext(request.requestId, request.clientIp, request.http);
  const verified = deps.checkToken(headers);
  if (!verified.ok) {
    context.authFailure = verified.reason;
    return context;
  }
  let checked;
  try {
    checked = await deps.sessions.check(verified.claims);
  } catch (error) {
    // Thrown from here, only a GraphQLError with an HTTP status is more than "context creation failed" (a 500).
    throw translateError(error);
  }
  if (checked.ok) {
    context.user = checked.user;
    context.session = checked.session;
    context.restrictions = checked.restrictions;
  } else {
    context.authFailure = checked.reason;
  }
  return context;
}

