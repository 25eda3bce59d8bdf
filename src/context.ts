// The per-request context: built once per request, never mutated by resolvers.
import type { IncomingHttpHeaders } from 'node:http';
import type { EntityManager } from '@mikro-orm/core';
import { readAccessToken } from './auth/bearer';
import type { Verifier } from './auth/verified-tokens';
import type { AuthReason } from './errors';
import type { HttpExchange } from './http/cookies';
import type { CurrentSession, Viewer } from './sessions/session-lookup';
import type { SessionService } from './sessions/session.service';

export interface Context {
  /** A fork of the EntityManager for this request only, made on first use (most requests never need one). */
  readonly em: EntityManager;
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
  verify: Verifier;
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
  let em: EntityManager | undefined;
  const context: Context = {
    get em() {
      return (em ??= deps.em.fork());
    },
    ...request,
  };
  const lookup = readAccessToken(headers);
  if ('reason' in lookup) return Object.assign(context, { authFailure: lookup.reason });

  const verified = deps.verify(lookup.token);
  if (!verified.ok) return Object.assign(context, { authFailure: verified.reason });

  const checked = await deps.sessions.check(() => context.em, verified.claims);
  if (!checked.ok) return Object.assign(context, { authFailure: checked.reason });
  return Object.assign(context, { user: checked.user, session: checked.session });
}
