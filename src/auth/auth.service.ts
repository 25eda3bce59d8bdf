// Signup, login, refresh, logout and password change: the rules that turn credentials into a session
// and a token pair (a short access token and a rotating refresh token).
import { GraphQLError } from 'graphql';
import { AuthReason, badUserInput, ErrorCode, InputReason, unauthenticated } from '../errors';
import type { Logger } from '../logger';
import type { AuthLimits } from '../security/limits';
import type { RotationKey } from '../sessions/refresh-tokens';
import type { UserRecord as Viewer } from '../db/records';
import type { CurrentSession, IssuedRefresh, SessionService } from '../sessions/session.service';
import type { UserService } from '../users/user.service';
import { isPasswordTooLong, normalizeEmail, PASSWORD_TOO_LONG, passwordProblem, type NewUserInput } from '../users/user.validation';
import type { PasswordHasher } from './passwords';
import type { IssuedToken, TokenService } from './tokens';

export interface AuthResult {
  user: Viewer;
  access: IssuedToken;
  refresh: IssuedRefresh;
  session: CurrentSession;
}

/** Who is asking: for rate limits, the session record and the audit log. */
export interface RequestMeta {
  requestId: string;
  clientIp: string;
  userAgent?: string;
}

export enum LogoutScope {
  /** This session. */
  LOCAL = 'LOCAL',
  /** Every other session of the user. */
  OTHERS = 'OTHERS',
  /** Every session of the user, this one included. */
  GLOBAL = 'GLOBAL',
}

export class AuthService {
  constructor(
    private readonly users: UserService,
    private readonly hasher: PasswordHasher,
    private readonly tokens: TokenService,
    private readonly limits: AuthLimits,
    private readonly sessions: SessionService,
    private readonly rotation: RotationKey,
    private readonly log: Logger,
  ) {}

  async signup(input: NewUserInput, meta: RequestMeta): Promise<AuthResult> {
    await this.limited('signup', meta, () => this.limits.consumeIp('signup', meta.clientIp));
    const { user, session, refresh } = await this.sessions.openForNewUser(await this.users.prepareNewUser(input), {
      ip: meta.clientIp,
      userAgent: meta.userAgent,
    });
    const access = this.tokens.signAccessToken({ id: user.publicId, role: user.role }, session.publicId);
    this.event('signup', meta, { userId: user.publicId, sessionId: session.publicId });
    return { user, access, refresh, session };
  }

  /**
   * One answer, INVALID_CREDENTIALS, for an unknown email and a wrong password alike, after the same bcrypt work.
   * Limits are checked first, so a limited attempt costs no bcrypt work and reveals nothing about the password.
   */
  async login(input: { email: string; password: string }, meta: RequestMeta): Promise<AuthResult> {
    await this.limited('login', meta, () => this.limits.consumeIp('login', meta.clientIp));
    if (isPasswordTooLong(input.password)) {
      // Refused before any hashing: no stored password can be this long.
      throw badUserInput(PASSWORD_TOO_LONG, InputReason.INVALID_INPUT, { password: PASSWORD_TOO_LONG });
    }
    const email = normalizeEmail(input.email);
    await this.limited('login', meta, () => this.limits.checkAccount(email));

    const user = await this.users.findCredentials(email);
    const valid = user ? await this.hasher.verify(input.password, user.passwordHash) : await this.hasher.verifyDummy(input.password);
    if (!user || !valid) {
      await this.limits.loginFailed(email);
      this.event('login.failure', meta, { userId: user?.publicId });
      throw unauthenticated(AuthReason.INVALID_CREDENTIALS);
    }
    await this.limits.loginSucceeded(email);
    if (this.hasher.needsRehash(user.passwordHash)) {
      // The password was right: when the pool is too busy to re-hash, log in anyway and upgrade next time.
      const upgraded = await this.hasher.hash(input.password).catch((error: unknown) => {
        if (error instanceof GraphQLError && error.extensions.code === ErrorCode.SERVICE_UNAVAILABLE) return undefined;
        throw error;
      });
      if (upgraded) await this.users.replacePasswordHash(user, upgraded);
    }
    const result = await this.openSession(user, meta);
    this.event('login.success', meta, { userId: user.publicId, sessionId: result.session.publicId });
    return result;
  }

  /** Spend a refresh token and issue a new pair; a spent token after the grace interval ends its whole session. */
  async refresh(token: string, meta: RequestMeta): Promise<AuthResult> {
    await this.limited('refreshToken', meta, () => this.limits.consumeIp('refreshToken', meta.clientIp));
    const rotation = await this.sessions.rotate(token);
    if (rotation.kind === 'refused') throw unauthenticated(rotation.reason);
    const { session, user } = rotation;
    if (rotation.kind === 'reused') {
      this.event('refresh.reused', meta, { userId: user.publicId, sessionId: session.publicId }, 'warn');
      throw unauthenticated(AuthReason.REFRESH_TOKEN_REUSED);
    }
    // Signed from the rotation time and the new refresh token alone, so a refresh within the grace interval gets the very same access token.
    const access = this.tokens.signAccessToken({ id: user.publicId, role: user.role }, session.publicId, {
      issuedAtMs: rotation.rotatedAtMs,
      jti: this.rotation.jtiFor(rotation.refresh.token),
    });
    this.event('refresh', meta, { userId: user.publicId, sessionId: session.publicId, ...(rotation.kind === 'grace' ? { grace: true } : {}) });
    return { user, access, refresh: rotation.refresh, session };
  }

  async logout(user: Viewer, session: CurrentSession, scope: LogoutScope, meta: RequestMeta): Promise<void> {
    if (scope === LogoutScope.LOCAL) await this.sessions.revoke(session);
    else await this.sessions.revokeAllOf(user, scope === LogoutScope.OTHERS ? session : undefined);
    this.event('logout', meta, { userId: user.publicId, sessionId: session.publicId, scope });
  }

  /**
   * Re-authenticate with the current password, apply the password rules, store the new hash, and end every
   * session of the user: this one too, so that no token issued before the change works after it. The caller
   * gets a fresh session and pair, and stays logged in.
   */
  async changePassword(
    viewer: Viewer,
    input: { currentPassword: string; newPassword: string },
    meta: RequestMeta,
  ): Promise<AuthResult> {
    await this.limited('changePassword', meta, () => this.limits.consumeIp('changePassword', meta.clientIp));
    await this.limited('changePassword', meta, () => this.limits.checkAccount(viewer.email));
    const problem = passwordProblem(input.newPassword);
    if (problem) throw badUserInput(problem, InputReason.INVALID_INPUT, { newPassword: problem });
    if (isPasswordTooLong(input.currentPassword)) throw unauthenticated(AuthReason.INVALID_CREDENTIALS);

    const user = await this.users.findCredentialsById(viewer.id);
    if (!user || !(await this.hasher.verify(input.currentPassword, user.passwordHash))) {
      await this.limits.loginFailed(viewer.email);
      this.event('password.change_failed', meta, { userId: viewer.publicId });
      throw unauthenticated(AuthReason.INVALID_CREDENTIALS);
    }
    await this.limits.loginSucceeded(user.email);
    await this.users.replacePasswordHash(user, await this.hasher.hash(input.newPassword));
    const ended = await this.sessions.revokeAllOf(user);
    const result = await this.openSession(user, meta);
    this.event('password.changed', meta, { userId: user.publicId, sessionId: result.session.publicId, sessionsEnded: ended });
    return result;
  }

  async revokeSession(viewer: Viewer, sessionId: string, meta: RequestMeta): Promise<boolean> {
    const ended = await this.sessions.revokeById(viewer, sessionId);
    if (ended) this.event('session.revoked', meta, { userId: viewer.publicId, sessionId });
    return ended;
  }

  private async limited(operation: string, meta: RequestMeta, check: () => Promise<void>): Promise<void> {
    try {
      await check();
    } catch (error) {
      if (error instanceof GraphQLError && error.extensions.code === ErrorCode.RATE_LIMITED) {
        this.event('rate_limited', meta, { operation, retryAfter: error.extensions.retryAfter });
      }
      throw error;
    }
  }

  /** One log line per auth event; never a password, hash or token. */
  private event(event: string, meta: RequestMeta, fields: Record<string, unknown>, level: 'info' | 'warn' = 'info'): void {
    this.log[level]({ event, requestId: meta.requestId, ip: meta.clientIp, ...fields }, event);
  }

  private async openSession(user: Viewer, meta: RequestMeta): Promise<AuthResult> {
    const { session, refresh } = await this.sessions.open(user, { ip: meta.clientIp, userAgent: meta.userAgent });
    const access = this.tokens.signAccessToken({ id: user.publicId, role: user.role }, session.publicId);
    return { user, access, refresh, session };
  }
}
