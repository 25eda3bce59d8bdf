// Account recovery by email: a password reset, an email verification, an email change. Each sends a
// single-use link (links.ts) through the outbox, in the same transaction as the link's token, and wakes the
// sender once that has committed; following a link spends it in the same transaction as what it does
// (db/recovery.store.ts). Sessions, passwords and their limits are the auth service's: a reset opens its
// session through AuthService, and changeEmail checks the current password there.
import type { AuthResult, AuthService, RequestMeta } from '../auth/auth.service';
import type { Config } from '../config';
import type { OutgoingMail } from '../db/outbox.store';
import type { RecoveryPurpose, RecoveryTokenRecord, SessionWithUser, UserRecord } from '../db/records';
import type { RecoveryStore } from '../db/recovery.store';
import type { AuthLimits, EmailKind } from '../limits/limits';
import type { PasswordHasher } from '../passwords/passwords';
import type { Clock } from '../shared/clock';
import {
  badUserInput,
  ErrorCode,
  InputReason,
  isDomainError,
  notConfigured,
  SessionRestriction,
  UnavailableReason,
} from '../shared/errors';
import type { Logger } from '../shared/logger';
import type { MailSender } from '../mail/mail-sender';
import { emailTaken, rethrowEmailTaken, type UserService } from '../users/user.service';
import { emailProblem, normalizeEmail, passwordProblem } from '../users/user.validation';
import { hashLinkToken, isLinkTokenFormat, linkFor, newLinkToken } from './links';
import { emailChangeMessage, emailChangeNotice, emailVerificationMessage, passwordResetMessage } from './messages';

export type RecoverySettings = Config['recovery'] & {
  /** MAIL_DISABLED: no email can be sent, and the recovery operations answer SERVICE_UNAVAILABLE. */
  readonly mailDisabled: boolean;
};

const LINK_INVALID = 'This link is not valid: it was already used, a newer one was sent, or it never existed';
const LINK_EXPIRED = 'This link has expired: ask for a new one';
const SAME_ADDRESS = 'This is already your email address';

const linkInvalid = () => badUserInput(LINK_INVALID, InputReason.LINK_INVALID, { token: LINK_INVALID });
const linkExpired = () => badUserInput(LINK_EXPIRED, InputReason.LINK_EXPIRED, { token: LINK_EXPIRED });

/** The RestrictionRule of REQUIRE_EMAIL_VERIFICATION: read per request, so verifying frees the same session at once. */
export function emailVerificationRestriction(found: SessionWithUser): SessionRestriction | undefined {
  return found.user.emailVerified ? undefined : SessionRestriction.EMAIL_NOT_VERIFIED;
}

/** Who follows a link, when an access token accompanies it. */
export interface Caller {
  user: Pick<UserRecord, 'id'>;
  session: { id: number };
}

export class RecoveryService {
  /** Work scheduled after answering (requestPasswordReset): awaited by drain() before the app closes. */
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly settings: RecoverySettings,
    private readonly clock: Clock,
    private readonly store: RecoveryStore,
    private readonly users: UserService,
    private readonly auth: AuthService,
    private readonly hasher: PasswordHasher,
    private readonly limits: AuthLimits,
    private readonly mail: MailSender,
    private readonly log: Logger,
  ) {}

  private now(): Date {
    return new Date(this.clock.now());
  }

  /**
   * Always the same answer, in the same time, for a known address and an unknown one: the look-up, the limit
   * and the email happen after the answer, off the request path.
   */
  async requestPasswordReset(email: string, meta: RequestMeta): Promise<void> {
    await this.admit('requestPasswordReset', meta);
    const address = normalizeEmail(email);
    this.afterAnswering('password_reset.requested', meta, async () => {
      const user = emailProblem(address) ? undefined : await this.users.findCredentials(address);
      if (!user) return { outcome: 'unknown' };
      const sent = await this.send('password_reset', user, address, this.settings.passwordResetTtlSeconds, (link) => [
        { kind: 'password_reset', to: address, ...passwordResetMessage(link, this.settings.passwordResetTtlSeconds) },
      ]);
      return { outcome: sent ? 'sent' : 'limited', userId: user.publicId };
    });
  }

  /**
   * With a valid link: the new password (signup's rules), the address verified, every session ended, and a
   * new session whose pair is returned (a user with TOTP still owes the second factor in it).
   */
  async resetPassword(token: string, newPassword: string, meta: RequestMeta): Promise<AuthResult> {
    await this.admit('resetPassword', meta);
    const problem = passwordProblem(newPassword);
    if (problem) throw badUserInput(problem, InputReason.INVALID_INPUT, { newPassword: problem });
    const link = await this.usableLink(token, ['password_reset']);
    const passwordHash = await this.hasher.hash(newPassword);
    if (!(await this.store.resetPassword(link.id, link.userId, passwordHash, this.now()))) throw await this.whyUnusable(token);
    const user = await this.users.findCredentialsById(link.userId);
    if (!user) throw linkInvalid();
    const result = await this.auth.openSessionAfterReset(user, meta);
    this.event('password.reset', meta, { userId: user.publicId, sessionId: result.session.publicId });
    return result;
  }

  /** A fresh verification link to the viewer's address; nothing when it is verified already or over its limit (the answer is the same). */
  async requestEmailVerification(viewer: UserRecord, meta: RequestMeta): Promise<void> {
    await this.admit('requestEmailVerification', meta);
    if (viewer.emailVerified) return;
    await this.sendVerification(viewer, meta);
  }

  /** Signup's verification email (AuthService.onSignup): counts against the address's limit. */
  async welcome(user: UserRecord, meta: RequestMeta): Promise<void> {
    if (this.settings.mailDisabled) return;
    await this.sendVerification(user, meta);
  }

  /**
   * Follow a verification link (the address is verified) or an email-change link (the address becomes the new
   * one, verified, and every session of the user ends except the caller's, when its access token came along).
   */
  async verifyEmail(token: string, caller: Caller | undefined, meta: RequestMeta): Promise<UserRecord> {
    await this.admit('verifyEmail', meta);
    const link = await this.usableLink(token, ['email_verification', 'email_change']);
    const now = this.now();
    if (link.purpose === 'email_verification') {
      if (!(await this.store.verifyEmail(link.id, link.userId, now))) throw await this.whyUnusable(token);
      const user = await this.userOf(link);
      this.event('email.verified', meta, { userId: user.publicId });
      return user;
    }
    if (await this.users.findCredentials(link.email)) throw emailTaken();
    const keep = caller && caller.user.id === link.userId ? caller.session.id : undefined;
    const changed = await this.store.changeEmail(link.id, link.userId, now, keep).catch(rethrowEmailTaken);
    if (!changed) throw await this.whyUnusable(token);
    const user = await this.userOf(link);
    this.event('email.changed', meta, { userId: user.publicId, sessionsEnded: changed.sessionsEnded });
    return user;
  }

  /**
   * Ask to change the address: needs the current password (counted like a login). Nothing changes yet: a
   * confirmation link goes to the new address, and a notice to the old one.
   */
  async changeEmail(viewer: UserRecord, input: { newEmail: string; currentPassword: string }, meta: RequestMeta): Promise<void> {
    await this.admit('changeEmail', meta);
    const address = normalizeEmail(input.newEmail);
    const problem = emailProblem(address) ?? (address === viewer.email ? SAME_ADDRESS : undefined);
    if (problem) throw badUserInput(problem, InputReason.INVALID_INPUT, { newEmail: problem });
    await this.auth.confirmPassword('changeEmail', 'email.change_failed', viewer, input.currentPassword, meta);
    if (await this.users.findCredentials(address)) throw emailTaken('newEmail');
    const ttl = this.settings.emailVerifyTtlSeconds;
    const sent = await this.send('email_change', viewer, address, ttl, (link) => [
      { kind: 'email_change', to: address, ...emailChangeMessage(link, ttl) },
      { kind: 'email_change_notice', to: viewer.email, ...emailChangeNotice() },
    ]);
    this.event('email.change_requested', meta, { userId: viewer.publicId, outcome: sent ? 'sent' : 'limited' });
  }

  /** Resolves when the work scheduled after answering has finished (before the app closes the database). */
  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.all(this.pending);
  }

  private async sendVerification(user: UserRecord, meta: RequestMeta): Promise<void> {
    const ttl = this.settings.emailVerifyTtlSeconds;
    const sent = await this.send('email_verification', user, user.email, ttl, (link) => [
      { kind: 'email_verification', to: user.email, ...emailVerificationMessage(link, ttl) },
    ]);
    this.event('email.verification_requested', meta, { userId: user.publicId, outcome: sent ? 'sent' : 'limited' });
  }

  /**
   * A new link of `purpose` for `user`, sent to `address` (past the address's limit for this kind: nothing,
   * and false). The link's token and its mails commit together; then the sender is woken.
   */
  private async send(
    purpose: RecoveryPurpose & EmailKind,
    user: Pick<UserRecord, 'id'>,
    address: string,
    ttlSeconds: number,
    mails: (link: string) => OutgoingMail[],
  ): Promise<boolean> {
    if (!(await this.limits.consumeEmail(purpose, address))) return false;
    const token = newLinkToken();
    const now = this.now();
    const template = purpose === 'password_reset' ? this.settings.resetPasswordUrl : this.settings.verifyEmailUrl;
    await this.store.issue(
      { userId: user.id, purpose, tokenHash: hashLinkToken(token), email: address, createdAt: now, expiresAt: new Date(now.getTime() + ttlSeconds * 1000) },
      mails(linkFor(template, token)),
    );
    this.mail.wake();
    return true;
  }

  /** The link of `token` if it can be used for one of `purposes` now; otherwise LINK_INVALID or LINK_EXPIRED. */
  private async usableLink(token: string, purposes: readonly RecoveryPurpose[]): Promise<RecoveryTokenRecord> {
    const link = isLinkTokenFormat(token) ? await this.store.findByHash(hashLinkToken(token)) : undefined;
    if (!link || !purposes.includes(link.purpose)) throw linkInvalid();
    const refusal = await this.refusalOf(link);
    if (refusal) throw refusal;
    return link;
  }

  /** After a spend changed nothing (another request spent it, or it expired meanwhile): why, read afresh. */
  private async whyUnusable(token: string): Promise<Error> {
    const link = await this.store.findByHash(hashLinkToken(token));
    return (link && (await this.refusalOf(link))) ?? linkInvalid();
  }

  private async refusalOf(link: RecoveryTokenRecord): Promise<Error | undefined> {
    if (link.usedAt || link.supersededAt) return linkInvalid();
    if (this.now() >= link.expiresAt) return linkExpired();
    // A reset or verification link is for the address it was sent to, while that is still the user's.
    if (link.purpose !== 'email_change') {
      const user = await this.users.findCredentialsById(link.userId);
      if (!user || user.email !== link.email) return linkInvalid();
    }
    return undefined;
  }

  private async userOf(link: RecoveryTokenRecord): Promise<UserRecord> {
    const user = await this.users.findCredentialsById(link.userId);
    if (!user) throw linkInvalid();
    const { passwordHash: _passwordHash, ...record } = user;
    return record;
  }

  /** Every recovery operation: MAIL_DISABLED answers SERVICE_UNAVAILABLE; then the per-network limit. */
  private async admit(operation: string, meta: RequestMeta): Promise<void> {
    if (this.settings.mailDisabled) throw notConfigured(UnavailableReason.MAIL_DISABLED);
    try {
      await this.limits.consumeIp('recovery', meta.clientIp);
    } catch (error) {
      if (isDomainError(error, ErrorCode.RATE_LIMITED)) this.event('rate_limited', meta, { operation, retryAfter: error.retryAfter });
      throw error;
    }
  }

  /** Run `work` after the answer has gone; its outcome is logged (never the address), and so is a failure. */
  private afterAnswering(event: string, meta: RequestMeta, work: () => Promise<Record<string, unknown>>): void {
    const task = new Promise<void>((resolve) => setImmediate(resolve))
      .then(work)
      .then(
        (fields) => this.event(event, meta, fields),
        (error: unknown) => this.log.error({ event: `${event}.failed`, requestId: meta.requestId, error: error instanceof Error ? error.name : typeof error }, `${event} failed`),
      )
      .finally(() => this.pending.delete(task));
    this.pending.add(task);
  }

  /** One log line per event; never an address or a token. */
  private event(event: string, meta: RequestMeta, fields: Record<string, unknown>, level: 'info' | 'warn' = 'info'): void {
    this.log[level]({ event, requestId: meta.requestId, ip: meta.clientIp, ...fields }, event);
  }
}
