// What the stores hand to the layers above: plain, typed records. Dates are Dates, ids are numbers, and
// nothing here says which database the row came from.
import type { Aal, AuthMethod } from '../shared/assurance';
import type { Role } from '../shared/role';

/**
 * Column limits, stated once: the entities and migrations' column lengths, and the input rules that keep
 * values within them (users/user.validation.ts, sessions/session.service.ts).
 */
export const COLUMN_LIMITS = {
  userName: 100,
  /** RFC 5321's longest forward path. */
  email: 254,
  /** A bcrypt hash. */
  passwordHash: 60,
  userAgent: 512,
  ip: 64,
  /** base64url of a SHA-256 digest. */
  tokenHash: 43,
} as const;

export interface UserRecord {
  /** Database row id: internal, never shown to clients. */
  id: number;
  /** The id clients see (GraphQL `User.id`, token `sub`). */
  publicId: string;
  name: string;
  /** Stored normalised (trimmed, lower-case). */
  email: string;
  role: Role;
  createdAt: Date;
  /** TOTP is turned on: a session proves it before it gets full access (mfa/). */
  mfaEnabled: boolean;
  /** The address is proven: a link sent to it was followed (recovery/). */
  emailVerified: boolean;
}

/** A user with their password hash: only what login and password checks read. */
export type Credentials = UserRecord & { passwordHash: string };

export interface NewUser {
  publicId: string;
  name: string;
  email: string;
  passwordHash: string;
  role: Role;
  createdAt: Date;
}

export interface SessionRecord {
  id: number;
  /** The id clients see (GraphQL `Session.id`, access-token `sid`). */
  publicId: string;
  userId: number;
  createdAt: Date;
  lastUsedAt: Date;
  expiresAt: Date;
  absoluteExpiresAt: Date;
  userAgent: string | null;
  ip: string;
  revokedAt: Date | null;
  /** How the session was authenticated (shared/assurance.ts): the truth the per-request check reads. */
  aal: Aal;
  amr: readonly AuthMethod[];
}

/** The per-request read: an access token's session with its user. */
export interface SessionWithUser {
  session: Pick<SessionRecord, 'id' | 'publicId' | 'revokedAt' | 'expiresAt' | 'absoluteExpiresAt' | 'aal' | 'amr'>;
  user: UserRecord;
}

export interface NewSession {
  publicId: string;
  userId: number;
  createdAt: Date;
  expiresAt: Date;
  absoluteExpiresAt: Date;
  userAgent: string | null;
  ip: string;
  /** Its first refresh token's hash. */
  refreshTokenHash: string;
  aal: Aal;
  amr: readonly AuthMethod[];
}

export interface RefreshTokenRecord {
  id: number;
  sessionId: number;
  tokenHash: string;
  createdAt: Date;
  expiresAt: Date;
  rotatedAt: Date | null;
}

/** A user's TOTP factor: secrets as the app encrypted them (mfa/secret-box.ts), never in clear. */
export interface TotpRecord {
  userId: number;
  /** The confirmed secret; null until an enrollment is confirmed. */
  secret: string | null;
  /** A started enrollment's secret, until it is confirmed or replaced. */
  pendingSecret: string | null;
  /** The last TOTP time step accepted: no code of it or before it is accepted again. */
  lastUsedStep: number | null;
}

export type RecoveryPurpose = 'password_reset' | 'email_verification' | 'email_change';

/** A single-use link sent by email: only its hash is stored. */
export interface RecoveryTokenRecord {
  id: number;
  userId: number;
  purpose: RecoveryPurpose;
  /** The address the link was sent to: for an email change, the new address. */
  email: string;
  createdAt: Date;
  expiresAt: Date;
  usedAt: Date | null;
  /** A newer link of the same purpose was sent. */
  supersededAt: Date | null;
}
