// The per-request context: built once per request, never mutated by resolvers.
import type { IncomingHttpHeaders } from 'node:http';
import type { EntityManager } from '@mikro-orm/core';
import { readAccessToken } from './auth/bearer';
import type { TokenService } from './auth/tokens';
import { AuthReason } from './errors';
import { User } from './users/user.entity';

export interface Context {
  /** A fork of the EntityManager for this request only. */
  em: EntityManager;
  /** The authenticated user, loaded from the database for this request (its role is the one that counts). */
  user?: User;
  /** Why there is no user; undefined when there is one. */
  authFailure?: AuthReason;
  requestId: string;
  /** The client's address: the socket peer, or X-Forwarded-For from a trusted proxy. */
  clientIp: string;
}

export interface ContextDeps {
  em: EntityManager;
  tokens: TokenService;
}

/** Read and verify the token and load its user. Never throws for a bad token: the reason is recorded for the guard. */
export async function buildContext(
  deps: ContextDeps,
  headers: IncomingHttpHeaders,
  request: { requestId: string; clientIp: string },
): Promise<Context> {
  const em = deps.em.fork();
  const { requestId, clientIp } = request;
  const lookup = readAccessToken(headers);
  if ('reason' in lookup) return { em, authFailure: lookup.reason, requestId, clientIp };

  const verified = deps.tokens.verifyAccessToken(lookup.token);
  if (!verified.ok) return { em, authFailure: verified.reason, requestId, clientIp };

  const user = await em.findOne(User, { publicId: verified.claims.sub });
  if (!user) return { em, authFailure: AuthReason.USER_NOT_FOUND, requestId, clientIp };
  return { em, user, requestId, clientIp };
}
