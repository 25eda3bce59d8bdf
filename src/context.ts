// The per-request context: built once per request, never mutated by resolvers.
import type { IncomingHttpHeaders } from 'node:http';
import type { EntityManager } from '@mikro-orm/core';
import { readAccessToken } from './auth/bearer';
import type { TokenService } from './auth/tokens';
import { AuthReason } from './errors';
import type { CurrentUser, CurrentUserLoader } from './users/current-user';

export interface Context {
  /** A fork of the EntityManager for this request only; made on first use, so `me` never pays for one. */
  readonly em: EntityManager;
  /** The authenticated user as the database has it now (its role is the one that counts). */
  readonly user?: CurrentUser;
  /** Why there is no user; undefined when there is one. */
  readonly authFailure?: AuthReason;
  readonly requestId: string;
  /** The client's address: the socket peer, or X-Forwarded-For from a trusted proxy. */
  readonly clientIp: string;
}

export interface ContextDeps {
  em: EntityManager;
  tokens: TokenService;
  currentUsers: CurrentUserLoader;
}

/**
 * The getter lives on the prototype: Apollo copies the context's own properties (Object.assign) for each
 * operation, which would call an own getter and fork on every request.
 */
class RequestContext implements Context {
  private forked: EntityManager | undefined = undefined;

  constructor(
    private readonly root: EntityManager,
    readonly requestId: string,
    readonly clientIp: string,
    readonly user?: CurrentUser,
    readonly authFailure?: AuthReason,
  ) {}

  get em(): EntityManager {
    this.forked ??= this.root.fork();
    return this.forked;
  }
}

function makeContext(
  root: EntityManager,
  request: { requestId: string; clientIp: string },
  fields: { user?: CurrentUser; authFailure?: AuthReason },
): Context {
  return new RequestContext(root, request.requestId, request.clientIp, fields.user, fields.authFailure);
}

/** Read and verify the token and load its user. Never throws for a bad token: the reason is recorded for the guard. */
export async function buildContext(
  deps: ContextDeps,
  headers: IncomingHttpHeaders,
  request: { requestId: string; clientIp: string },
): Promise<Context> {
  const lookup = readAccessToken(headers);
  if ('reason' in lookup) return makeContext(deps.em, request, { authFailure: lookup.reason });

  const verified = deps.tokens.verifyAccessToken(lookup.token);
  if (!verified.ok) return makeContext(deps.em, request, { authFailure: verified.reason });

  const user = await deps.currentUsers.load(verified.claims.sub);
  if (!user) return makeContext(deps.em, request, { authFailure: AuthReason.USER_NOT_FOUND });
  return makeContext(deps.em, request, { user });
}
