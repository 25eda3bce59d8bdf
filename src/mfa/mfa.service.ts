// The second factor: TOTP enrollment (a pending secret, then a confirming code), checking a code (TOTP within
// one step of drift and never the same step twice, or an unused recovery code), new recovery codes, turning
// it off; and the rule that holds a session back until it has proven the factor. Sessions, tokens, limits and
// the audit log are the auth service's: this module knows the factor only.
import type { Config } from '../config';
import type { MfaStore } from '../db/mfa.store';
import type { SessionWithUser, UserRecord } from '../db/records';
import { Aal, AuthMethod, withSecondFactor, type Assurance } from '../shared/assurance';
import type { Clock } from '../shared/clock';
import { badUserInput, InputReason, notConfigured, SessionRestriction, UnavailableReason } from '../shared/errors';
import { hashRecoveryCode, newRecoveryCodes } from './recovery-codes';
import { createSecretBox, type SecretBox } from './secret-box';
import { isTotpCode, matchTotp, newTotpSecret, otpauthUrl, qrCodeSvg } from './totp';

export interface TotpEnrollment {
  /** base32 */
  secret: string;
  otpauthUrl: string;
  /** The otpauthUrl as a QR code: SVG markup. */
  qrCodeSvg: string;
}

export interface ConfirmedEnrollment {
  /** Shown once: only their hashes are kept. */
  recoveryCodes: string[];
  /** What the calling session was raised to. */
  assurance: Assurance;
  sessionsEnded: number;
}

const MFA_NOT_ENABLED = 'Two-factor authentication is not turned on for this account';
const ENROLLMENT_NOT_STARTED = 'No TOTP enrollment is pending: call startTotpEnrollment first';
export const MFA_CODE_INVALID = 'The code is wrong, was already used, or has expired';

/** Whether a session of `user` at this level still owes a second factor: the one predicate behind MFA_REQUIRED and mfaRequired. */
export function needsSecondFactor(user: Pick<UserRecord, 'mfaEnabled'>, session: { aal: Aal }): boolean {
  return user.mfaEnabled && session.aal !== Aal.AAL2;
}

/** The RestrictionRule of sessions/session.service.ts: a user with TOTP on, in a session that has not proven it. */
export function mfaRestriction(found: SessionWithUser): SessionRestriction | undefined {
  return needsSecondFactor(found.user, found.session) ? SessionRestriction.MFA_REQUIRED : undefined;
}

export const codeInvalid = () => badUserInput(MFA_CODE_INVALID, InputReason.MFA_CODE_INVALID, { code: MFA_CODE_INVALID });
export const mfaNotEnabled = () => badUserInput(MFA_NOT_ENABLED, InputReason.MFA_NOT_ENABLED);

/** The associated data a user's sealed secrets are bound to. */
const sealContext = (user: Pick<UserRecord, 'publicId'>) => `totp:${user.publicId}`;

export class MfaService {
  private readonly box: SecretBox | undefined;

  constructor(
    private readonly settings: Config['mfa'],
    private readonly clock: Clock,
    private readonly store: MfaStore,
  ) {
    this.box = settings.encryptionKey ? createSecretBox(settings.encryptionKey) : undefined;
  }

  /** Without MFA_ENCRYPTION_KEY no secret can be stored or read. */
  get configured(): boolean {
    return this.box !== undefined;
  }

  private now(): Date {
    return new Date(this.clock.now());
  }

  private requireBox(): SecretBox {
    if (!this.box) throw notConfigured(UnavailableReason.MFA_NOT_CONFIGURED);
    return this.box;
  }

  /** A new pending secret (replacing any earlier pending one), and how to put it into an authenticator app. */
  async startEnrollment(user: UserRecord): Promise<TotpEnrollment> {
    const box = this.requireBox();
    const secret = newTotpSecret();
    await this.store.savePending(user.id, box.seal(secret, sealContext(user)), this.now());
    const url = otpauthUrl(secret, this.settings.totpIssuer, user.email);
    return { secret, otpauthUrl: url, qrCodeSvg: await qrCodeSvg(url) };
  }

  /**
   * With a current code of the pending secret: TOTP on (that code's step counts as used), new recovery codes,
   * `session` raised to aal2 and the user's other sessions ended. Undefined for a wrong code.
   */
  async confirmEnrollment(user: UserRecord, code: string, session: { id: number } & Assurance): Promise<ConfirmedEnrollment | undefined> {
    const box = this.requireBox();
    const factor = await this.store.findTotp(user.id);
    if (!factor?.pendingSecret) throw badUserInput(ENROLLMENT_NOT_STARTED, InputReason.MFA_ENROLLMENT_NOT_STARTED);
    const step = matchTotp(box.open(factor.pendingSecret, sealContext(user)), code.trim(), this.clock.now());
    if (step === undefined) return undefined;
    const recoveryCodes = newRecoveryCodes();
    const assurance = withSecondFactor(session, AuthMethod.OTP);
    const { enabled, sessionsEnded } = await this.store.enable({
      userId: user.id,
      pendingSecret: factor.pendingSecret,
      step,
      codeHashes: recoveryCodes.map(hashRecoveryCode),
      sessionId: session.id,
      assurance,
      now: this.now(),
    });
    // Another confirmation of the same enrollment (or a new start) got there first.
    if (!enabled) throw badUserInput(ENROLLMENT_NOT_STARTED, InputReason.MFA_ENROLLMENT_NOT_STARTED);
    return { recoveryCodes, assurance, sessionsEnded };
  }

  /** Which second factor `code` proves: a TOTP code of a step not used before, or an unused recovery code (spent now); undefined for neither. */
  async verify(user: UserRecord, code: string): Promise<AuthMethod | undefined> {
    if (!user.mfaEnabled) throw mfaNotEnabled();
    const factor = await this.store.findTotp(user.id);
    if (!factor?.secret) throw mfaNotEnabled();
    const typed = code.trim();
    if (isTotpCode(typed)) {
      const secret = this.requireBox().open(factor.secret, sealContext(user));
      const step = matchTotp(secret, typed, this.clock.now(), factor.lastUsedStep ?? undefined);
      // The conditional update settles a race between two requests with the same code: one wins.
      return step !== undefined && (await this.store.useStep(user.id, step, this.now())) ? AuthMethod.OTP : undefined;
    }
    return (await this.store.useRecoveryCode(user.id, hashRecoveryCode(typed), this.now())) ? AuthMethod.RECOVERY : undefined;
  }

  /** Ten new recovery codes; every earlier one stops working. */
  async regenerateRecoveryCodes(user: UserRecord): Promise<string[]> {
    const codes = newRecoveryCodes();
    if (!(await this.store.replaceRecoveryCodes(user.id, codes.map(hashRecoveryCode), this.now()))) throw mfaNotEnabled();
    return codes;
  }

  /** TOTP off: the secret and the recovery codes are deleted. */
  async disable(user: UserRecord): Promise<void> {
    if (!(await this.store.disable(user.id, this.now()))) throw mfaNotEnabled();
  }

  /** At start-up: how many users have TOTP on. */
  countEnabled(): Promise<number> {
    return this.store.countEnabled();
  }
}
