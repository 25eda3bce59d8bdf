// Signup, login, refresh, logout and password change: the rules that turn credentials into a session
// and a token pair (a short access token and a rotating refresh token).
import { AuthReason, badUserInput, ErrorCode, InputReason, isDomainError, unauthenticated } from '../shared/errors';
import type { Logger } from '../shared/logger';
import type { AuthLimits, PasswordAttempt } from '../limits/limits';
import type { RotationKey } from '../sessions/refresh-tokens';
import type { UserRecord as Viewer } from '../db/records';
import type { Role } from '../shared/role';
import type { CurrentSession, IssuedRefresh, SessionService } from '../sessions/session.service';
import { rethrowEmailTaken, type UserService } from '../users/user.service';
import { isPasswordTooLong, normalizeEmail, PASSWORD_TOO_LONG, passwordProblem, type NewUserInput } from '../users/user.validation';
import type { DeviceTokens, IssuedDevice } from './device-tokens';
import type { PasswordHasher } from '../passwords/passwords';
import type { IssuedToken, TokenService } from '../tokens/access-tokens';

export interface AuthResult {
  user: Viewer;
  access: IssuedToken;
  refresh: IssuedRefresh;
  session: CurrentSession;
  /** A device token for the client: set on every successful password check (signup, login, password change). */
  device?: IssuedDevice;
}

/** Who is asking: for rate limits, the session record and the audit log. */
export interface RequestMeta {
  requestId: string;
  clientIp: string;
  userAgent?: string;
  /** The device token the client presented, unchecked (the service checks it against the account). */
  deviceToken?: string;
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
    private readonly devices: DeviceTokens,
    private readonly log: Logger,
  ) {}

  async signup(input: NewUserInput, meta: RequestMeta): Promise<AuthResult> {
    await this.limited('signup', meta, () => this.limits.consumeIp('signup', meta.clientIp));
    const newUser = await this.users.prepareNewUser(input);
    const { user, session, refresh } = await this.sessions
      .openForNewUser(newUser, { ip: meta.clientIp, userAgent: meta.userAgent })
      .catch(rethrowEmailTaken);
    const access = this.tokens.signAccessToken({ id: user.publicId, role: user.role }, session.publicId);
    this.event('signup', meta, { userId: user.publicId, sessionId: session.publicId });
    // Whoever chose the password knows it: this client is trusted like after a login.
    return { user, access, refresh, session, device: this.devices.issue(newUser) };
  }

  /**
   * One answer, INVALID_CREDENTIALS, for an unknown email and a wrong password alike, after the same bcrypt work.
   * The attempt is counted before the password is checked, so a limited attempt costs no bcrypt work, reveals
   * nothing about the password, and parallel attempts cannot all slip through one backoff window.
   */
  async login(input: { email: string; password: string }, meta: RequestMeta): Promise<AuthResult> {
    await this.limited('login', meta, () => this.limits.consumeIp('login', meta.clientIp));
    if (isPasswordTooLong(input.password)) {
      // Refused before any hashing: no stored password can be this long.
      throw badUserInput(PASSWORD_TOO_LONG, InputReason.INVALID_INPUT, { password: PASSWORD_TOO_LONG });
    }
    const email = normalizeEmail(input.email);
    const user = await this.users.findCredentials(email);
    const device = user ? this.devices.verify(meta.deviceToken, user) : undefined;
    const attempt = await this.limited('login', meta, () => this.limits.beginPasswordAttempt(email, { ip: meta.clientIp, device }));

    const valid = await this.checked(attempt, () =>
      user ? this.hasher.verify(input.password, user.passwordHash) : this.hasher.verifyDummy(input.password),
    );
    if (!user || !valid) {
      await attempt.failed();
      this.event('login.failure', meta, { userId: user?.publicId });
      throw unauthenticated(AuthReason.INVALID_CREDENTIALS);
    }
    await attempt.succeeded();
    let passwordHash = user.passwordHash;
    if (this.hasher.needsRehash(user.passwordHash)) {
      // The password was right: when the pool is too busy to re-hash, log in anyway and upgrade next time.
      const upgraded = await this.hasher.hash(input.password).catch((error: unknown) => {
        if (isDomainError(error, ErrorCode.SERVICE_UNAVAILABLE)) return undefined;
        throw error;
      });
      if (upgraded) {
        await this.users.replacePasswordHash(user, upgraded);
        passwordHash = upgraded;
      }
    }
    const result = await this.openSession(user, meta);
    this.event('login.success', meta, { userId: user.publicId, sessionId: result.session.publicId });
    return { ...result, device: this.devices.issue({ publicId: user.publicId, passwordHash }, device) };
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
    const problem = passwordProblem(input.newPassword);
    if (problem) throw badUserInput(problem, InputReason.INVALID_INPUT, { newPassword: problem });
    if (isPasswordTooLong(input.currentPassword)) throw unauthenticated(AuthReason.INVALID_CREDENTIALS);

    const user = await this.users.findCredentialsById(viewer.id);
    if (!user) throw unauthenticated(AuthReason.USER_NOT_FOUND);
    // The same limits as login on the same account: a stolen session must not make guessing the password cheaper.
    const device = this.devices.verify(meta.deviceToken, user);
    const attempt = await this.limited('changePassword', meta, () =>
      this.limits.beginPasswordAttempt(user.email, { ip: meta.clientIp, device }),
    );
    if (!(await this.checked(attempt, () => this.hasher.verify(input.currentPassword, user.passwordHash)))) {
      await attempt.failed();
      this.event('password.change_failed', meta, { userId: user.publicId });
      throw unauthenticated(AuthReason.INVALID_CREDENTIALS);
    }
    await attempt.succeeded();
    const passwordHash = await this.hasher.hash(input.newPassword);
    await this.users.replacePasswordHash(user, passwordHash);
    const ended = await this.sessions.revokeAllOf(user);
    const result = await this.openSession(user, meta);
    this.event('password.changed', meta, { userId: user.publicId, sessionId: result.session.publicId, sessionsEnded: ended });
    return { ...result, device: this.devices.issue({ publicId: user.publicId, passwordHash }, device) };
  }

  /**
   * ADMIN: give a user a role. The change ends the user's sessions: a demoted user logs in again with the
   * role they now have, and a promoted one gets it from a fresh login, not from a session opened before.
   */
  async setUserRole(admin: Viewer, targetId: string, role: Role, meta: RequestMeta): Promise<Viewer> {
    const target = await this.users.setRole(targetId, role);
    const ended = await this.sessions.revokeAllOf(target);
    this.event('user.role_changed', meta, { userId: admin.publicId, targetId: target.publicId, role, sessionsEnded: ended });
    return target;
  }

  /** ADMIN: delete a user; their sessions and refresh tokens go with them. The last ADMIN stays. */
  async deleteUser(admin: Viewer, targetId: string, meta: RequestMeta): Promise<void> {
    const target = await this.users.deleteUser(targetId);
    this.event('user.deleted', meta, { userId: admin.publicId, targetId: target.publicId });
  }

  async revokeSession(viewer: Viewer, sessionId: string, meta: RequestMeta): Promise<boolean> {
    const ended = await this.sessions.revokeById(viewer, sessionId);
    if (ended) this.event('session.revoked', meta, { userId: viewer.publicId, sessionId });
    return ended;
  }

  /** Check a password within a counted attempt: when the check itself fails (a busy pool, an error), nothing stays counted. */
  private async checked(attempt: PasswordAttempt, check: () => Promise<boolean>): Promise<boolean> {
    try {
      return await check();
    } catch (error) {
      await attempt.abandoned();
      throw error;
    }
  }

  private async limited<T>(operation: string, meta: RequestMeta, check: () => Promise<T>): Promise<T> {
    try {
      return await check();
    } catch (error) {
      if (isDomainError(error, ErrorCode.RATE_LIMITED)) {
        this.event('rate_limited', meta, { operation, retryAfter: error.retryAfter });
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
