// Signup, login, refresh, logout, password change and the second factor: the rules that turn credentials
// into a session and a token pair (a short access token and a rotating refresh token).
import { AuthReason, badUserInput, ErrorCode, forbidden, InputReason, isDomainError, SessionRestriction, unauthenticated } from '../shared/errors';
import { Aal, PASSWORD_ONLY, withSecondFactor, type Assurance } from '../shared/assurance';
import { codeInvalid, mfaNotEnabled, needsSecondFactor, type MfaService, type TotpEnrollment } from '../mfa/mfa.service';
import type { Logger } from '../shared/logger';
import type { AuthLimits, PasswordAttempt } from '../limits/limits';
import type { RotationKey } from '../sessions/refresh-tokens';
import type { Credentials, UserRecord as Viewer } from '../db/records';
import type { Role } from '../shared/role';
import type { CurrentSession, IssuedRefresh, OpenedSession, SessionService } from '../sessions/session.service';
import { rethrowEmailTaken, type UserService } from '../users/user.service';
import { isPasswordTooLong, normalizeEmail, PASSWORD_TOO_LONG, passwordProblem, type NewUserInput } from '../users/user.validation';
import type { DeviceTokens, IssuedDevice } from './device-tokens';
import type { PasswordHasher } from '../passwords/passwords';
import type { IssuedToken, SignOptions, TokenService } from '../tokens/access-tokens';

export interface AuthResult {
  user: Viewer;
  access: IssuedToken;
  refresh: IssuedRefresh;
  session: CurrentSession;
  /** The session still owes a second factor (the user has TOTP on, the session is aal1): only me, verifyMfa and logout until verifyMfa. */
  mfaRequired: boolean;
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

/** Something done after each signup (the verification email): its failure is logged, and never fails the signup. */
export type SignupListener = (user: Viewer, meta: RequestMeta) => Promise<void>;

export class AuthService {
  private readonly signupListeners: SignupListener[] = [];

  constructor(
    private readonly users: UserService,
    private readonly hasher: PasswordHasher,
    private readonly tokens: TokenService,
    private readonly limits: AuthLimits,
    private readonly sessions: SessionService,
    private readonly rotation: RotationKey,
    private readonly devices: DeviceTokens,
    private readonly mfa: MfaService,
    private readonly log: Logger,
  ) {}

  async signup(input: NewUserInput, meta: RequestMeta): Promise<AuthResult> {
    await this.limited('signup', meta, () => this.limits.consumeIp('signup', meta.clientIp));
    const newUser = await this.users.prepareNewUser(input);
    const { user, ...opened } = await this.sessions
      .openForNewUser(newUser, { ip: meta.clientIp, userAgent: meta.userAgent })
      .catch(rethrowEmailTaken);
    const result = this.pair(user, opened);
    this.event('signup', meta, { userId: user.publicId, sessionId: result.session.publicId });
    for (const listener of this.signupListeners) {
      await listener(user, meta).catch((error: unknown) =>
        this.event('signup.listener_failed', meta, { userId: user.publicId, error: error instanceof Error ? error.name : typeof error }, 'warn'),
      );
    }
    // Whoever chose the password knows it: this client is trusted like after a login.
    return { ...result, device: this.devices.issue(newUser) };
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
    this.event('login.success', meta, { userId: user.publicId, sessionId: result.session.publicId, ...(result.mfaRequired ? { mfaRequired: true } : {}) });
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
    const current = { id: session.id, publicId: session.publicId, aal: session.aal, amr: session.amr };
    const result = this.pair(user, { session: current, refresh: rotation.refresh }, { issuedAtMs: rotation.rotatedAtMs, jti: this.rotation.jtiFor(rotation.refresh.token) });
    this.event('refresh', meta, { userId: user.publicId, sessionId: session.publicId, ...(rotation.kind === 'grace' ? { grace: true } : {}) });
    return result;
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
    session: Assurance,
    input: { currentPassword: string; newPassword: string },
    meta: RequestMeta,
  ): Promise<AuthResult> {
    await this.limited('changePassword', meta, () => this.limits.consumeIp('changePassword', meta.clientIp));
    const problem = passwordProblem(input.newPassword);
    if (problem) throw badUserInput(problem, InputReason.INVALID_INPUT, { newPassword: problem });
    const { user, device } = await this.reauthenticate('changePassword', { event: 'password.change_failed' }, viewer, input.currentPassword, meta);
    const passwordHash = await this.hasher.hash(input.newPassword);
    await this.users.replacePasswordHash(user, passwordHash);
    const ended = await this.sessions.revokeAllOf(user);
    // The new session keeps what this one proved: a second factor is not asked for again.
    const result = await this.openSession(user, meta, session);
    this.event('password.changed', meta, { userId: user.publicId, sessionId: result.session.publicId, sessionsEnded: ended });
    return { ...result, device: this.devices.issue({ publicId: user.publicId, passwordHash }, device) };
  }

  /** Run `listener` after every signup (wired once, in app.ts). */
  onSignup(listener: SignupListener): void {
    this.signupListeners.push(listener);
  }

  /**
   * A new session after a password reset (recovery/): through openSession like every other, so a user with
   * TOTP gets a session that still owes the second factor (the link proved the address, not the factor).
   */
  async openSessionAfterReset(user: Viewer, meta: RequestMeta): Promise<AuthResult> {
    return this.openSession(user, meta);
  }

  /**
   * The current password again, for an operation of another module (changeEmail): with the same limits as
   * login on the same account; a wrong one is INVALID_CREDENTIALS and counts as a failed login.
   */
  async confirmPassword(operation: string, failureEvent: string, viewer: Viewer, password: string, meta: RequestMeta): Promise<void> {
    await this.reauthenticate(operation, { event: failureEvent }, viewer, password, meta);
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

  /**
   * Start a TOTP enrollment: a new pending secret, its otpauth:// URL and QR code. With TOTP already on, only
   * from a session that has proven it.
   */
  async startTotpEnrollment(viewer: Viewer, session: CurrentSession, meta: RequestMeta): Promise<TotpEnrollment> {
    if (viewer.mfaEnabled) this.requireSecondFactor(session);
    const enrollment = await this.mfa.startEnrollment(viewer);
    this.event('mfa.enrollment_started', meta, { userId: viewer.publicId, sessionId: session.publicId });
    return enrollment;
  }

  /**
   * Confirm the pending enrollment with a current code: TOTP on, this session raised to aal2 (its access token
   * gets full access at once: the session row is read per request), the user's other sessions ended, and ten
   * recovery codes returned, once.
   */
  async confirmTotpEnrollment(viewer: Viewer, session: CurrentSession, code: string, meta: RequestMeta): Promise<string[]> {
    await this.limited('confirmTotpEnrollment', meta, () => this.limits.consumeIp('mfa', meta.clientIp));
    if (viewer.mfaEnabled) this.requireSecondFactor(session);
    const confirmed = await this.secondFactorAttempt('confirmTotpEnrollment', viewer, session, meta, () =>
      this.mfa.confirmEnrollment(viewer, code, session),
    );
    this.event('mfa.enabled', meta, { userId: viewer.publicId, sessionId: session.publicId, sessionsEnded: confirmed.sessionsEnded });
    return confirmed.recoveryCodes;
  }

  /**
   * Prove the second factor on this session (a TOTP code or a recovery code): the same session is raised to
   * aal2, and gets a new pair; the refresh tokens it had stop working.
   */
  async verifyMfa(viewer: Viewer, session: CurrentSession, code: string, meta: RequestMeta): Promise<AuthResult> {
    await this.limited('verifyMfa', meta, () => this.limits.consumeIp('mfa', meta.clientIp));
    const method = await this.secondFactorAttempt('verifyMfa', viewer, session, meta, () => this.mfa.verify(viewer, code));
    const raised = await this.sessions.raise(session, withSecondFactor(session, method));
    this.event('mfa.verified', meta, { userId: viewer.publicId, sessionId: session.publicId, method });
    return this.pair(viewer, raised);
  }

  /** TOTP off: needs the current password and a session that has proven the second factor. */
  async disableTotp(viewer: Viewer, session: CurrentSession, currentPassword: string, meta: RequestMeta): Promise<void> {
    await this.provenWithPassword('disableTotp', viewer, session, currentPassword, meta);
    await this.mfa.disable(viewer);
    this.event('mfa.disabled', meta, { userId: viewer.publicId, sessionId: session.publicId });
  }

  /** Ten new recovery codes (the earlier ones stop working): needs the current password and a session that has proven the second factor. */
  async regenerateRecoveryCodes(viewer: Viewer, session: CurrentSession, currentPassword: string, meta: RequestMeta): Promise<string[]> {
    await this.provenWithPassword('regenerateRecoveryCodes', viewer, session, currentPassword, meta);
    const codes = await this.mfa.regenerateRecoveryCodes(viewer);
    this.event('mfa.recovery_codes_regenerated', meta, { userId: viewer.publicId, sessionId: session.publicId });
    return codes;
  }

  /** A session of a user with TOTP on that has not proven it may not manage the factor. */
  private requireSecondFactor(session: Assurance): void {
    if (session.aal !== Aal.AAL2) throw forbidden(SessionRestriction.MFA_REQUIRED);
  }

  private async provenWithPassword(operation: string, viewer: Viewer, session: CurrentSession, password: string, meta: RequestMeta): Promise<void> {
    // Nothing to manage: said before any password work.
    if (!viewer.mfaEnabled) throw mfaNotEnabled();
    this.requireSecondFactor(session);
    await this.reauthenticate(operation, { event: 'mfa.password_failed', fields: { operation } }, viewer, password, meta);
  }

  /**
   * One second-factor code, counted on the account before it is checked (MFA_MAX_FAILURES, then backoff like
   * failed logins); a wrong code is MFA_CODE_INVALID, a right one forgets the failures.
   */
  private async secondFactorAttempt<T>(operation: string, viewer: Viewer, session: CurrentSession, meta: RequestMeta, check: () => Promise<T | undefined>): Promise<T> {
    const attempt = await this.limited(operation, meta, () => this.limits.beginSecondFactorAttempt(viewer.publicId));
    const result = await this.checked(attempt, check);
    if (result === undefined) {
      await attempt.failed();
      this.event('mfa.failure', meta, { userId: viewer.publicId, sessionId: session.publicId, operation });
      throw codeInvalid();
    }
    await attempt.succeeded();
    return result;
  }

  /**
   * The current password again, with the same limits as login on the same account (a stolen session must not
   * make guessing the password cheaper); a wrong one is INVALID_CREDENTIALS and counts as a failed login.
   */
  private async reauthenticate(
    operation: string,
    failure: { event: string; fields?: Record<string, unknown> },
    viewer: Viewer,
    password: string,
    meta: RequestMeta,
  ): Promise<{ user: Credentials; device?: string }> {
    if (isPasswordTooLong(password)) throw unauthenticated(AuthReason.INVALID_CREDENTIALS);
    const user = await this.users.findCredentialsById(viewer.id);
    if (!user) throw unauthenticated(AuthReason.USER_NOT_FOUND);
    const device = this.devices.verify(meta.deviceToken, user);
    const attempt = await this.limited(operation, meta, () => this.limits.beginPasswordAttempt(user.email, { ip: meta.clientIp, device }));
    if (!(await this.checked(attempt, () => this.hasher.verify(password, user.passwordHash)))) {
      await attempt.failed();
      this.event(failure.event, meta, { userId: user.publicId, ...failure.fields });
      throw unauthenticated(AuthReason.INVALID_CREDENTIALS);
    }
    await attempt.succeeded();
    return { user, device };
  }

  /** Check within a counted attempt: when the check itself fails (a busy pool, an error), nothing stays counted. */
  private async checked<T>(attempt: PasswordAttempt, check: () => Promise<T>): Promise<T> {
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

  /**
   * THE place a session is opened, by every path that opens one (login, changePassword, and any later one such
   * as a password reset): a password login, aal1 with amr [pwd], unless `assurance` says more; the pair and
   * mfaRequired come from pair().
   */
  private async openSession(user: Viewer, meta: RequestMeta, assurance: Assurance = PASSWORD_ONLY): Promise<AuthResult> {
    return this.pair(user, await this.sessions.open(user, { ip: meta.clientIp, userAgent: meta.userAgent }, assurance));
  }

  /**
   * The one place a pair is made for a session (opened, signed up, rotated or raised): the access token carries
   * the session's aal and amr, and mfaRequired says whether the session still owes a second factor.
   */
  private pair(user: Viewer, { session, refresh }: OpenedSession, sign: SignOptions = {}): AuthResult {
    const access = this.tokens.signAccessToken({ id: user.publicId, role: user.role }, session.publicId, { ...sign, assurance: session });
    return { user, access, refresh, session, mfaRequired: needsSecondFactor(user, session) };
  }
}
