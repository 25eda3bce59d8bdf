// The per-request context: built once per request, never mutated by resolvers.
import type { IncomingHttpHeaders } from 'node:http';
import type { EntityManager } from '@mikro-orm/core';
import { readAccessToken } from './auth/bearer';
import type { TokenService } from './auth/tokens';
import type { AuthReason } from './errors';
import type { HttpExchange } from './http/cookies';
import type { CurrentSession, Viewer } from './sessions/session-lookup';
import type { SessionService } from './sessions/session.service';

export interface Context {
  /** A fork of the EntityManager for this request only. */
  em: EntityManager;
  /** The authenticated user, read from the database for this request (its role is the one that counts). */
  user?: Viewer;
  /** The access token's session, checked active for this request; set whenever user is. */
  session?: CurrentSession;
  /** Why there is no user; undefined when there is one. */
  authFailure?: AuthReason;
  requestId: string;
  /** The client's address: the socket peer, or X-Forwarded-For from a trusted proxy. */
  clientIp: string;
  /** Request headers and Set-Cookie, for the refresh cookie. */
  http: HttpExchange;
}

export interface ContextDeps {
  em: EntityManager;
  tokens: TokenService;
  sessions: SessionService;
}

/**
 * Read and verify the token, and load its session with its user (one query). Never throws for a bad token:
 * the reason is recorded for the guard.
 */
export async function buildContext(
  deps: ContextDeps,
  headers: IncomingHttpHeaders,
  request: { requestId: string; clientIp: string; http: HttpExchange },
): Promise<Context> {
  const em = deps.em.fork();
  const { requestId, clientIp, http } = request;
  const lookup = readAccessToken(headers);
  if ('reason' in lookup) return { em, authFailure: lookup.reason, requestId, clientIp, http };

  const verified = deps.tokens.verifyAccessToken(lookup.token);
  if (!verified.ok) return { em, authFailure: verified.reason, requestId, clientIp, http };

  const checked = await deps.sessions.check(em, verified.claims);
  if (!checked.ok) return { em, authFailure: checked.reason, requestId, clientIp, http };
  return { em, user: checked.user, session: checked.session, requestId, clientIp, http };
}
