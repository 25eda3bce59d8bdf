import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/core';
import { User } from './user.entity';
import { COLUMN_LIMITS } from '../records';

/** One login: opened by signup or login, kept alive by refreshes, ended by logout, a password change, reuse detection or an admin. */
@Entity({ tableName: 'sessions' })
@Index({ name: 'sessions_user_id_index', properties: ['user'] })
export class Session {
  /** Database row id: internal. */
  @PrimaryKey({ type: 'integer', autoincrement: true })
  id!: number;

  /** The id clients see (GraphQL `Session.id`, access-token `sid`). */
  @Property({ type: 'uuid', unique: true })
  publicId!: string;

  @ManyToOne(() => User, { deleteRule: 'cascade' })
  user!: User;

  @Property({ type: 'Date' })
  createdAt!: Date;

  /** Last login or refresh (not every request: that would be a write per request). */
  @Property({ type: 'Date' })
  lastUsedAt!: Date;

  /** When the current refresh token expires: moves forward with each refresh (sliding), never past absoluteExpiresAt. */
  @Property({ type: 'Date' })
  expiresAt!: Date;

  /** SESSION_MAX_AGE after login, whatever the refreshes. */
  @Property({ type: 'Date' })
  absoluteExpiresAt!: Date;

  @Property({ type: 'string', length: COLUMN_LIMITS.userAgent, nullable: true })
  userAgent?: string | null;

  @Property({ type: 'string', length: COLUMN_LIMITS.ip })
  ip!: string;

  @Property({ type: 'Date', nullable: true })
  revokedAt?: Date | null;

  /** Authenticator assurance level: aal1 (a password), aal2 (and a second factor, proven by verifyMfa or an enrollment). */
  @Property({ type: 'string', default: 'aal1' })
  aal!: string;

  /** The methods proven, comma-separated (pwd, otp, recovery): the access token's amr claim. */
  @Property({ type: 'string', default: 'pwd' })
  amr!: string;
}

/** A refresh token: only its SHA-256 hash is stored. All tokens of one session form its rotation family. */
@Entity({ tableName: 'refresh_tokens' })
@Index({ name: 'refresh_tokens_session_id_index', properties: ['session'] })
export class RefreshToken {
  @PrimaryKey({ type: 'integer', autoincrement: true })
  id!: number;

  @ManyToOne(() => Session, { deleteRule: 'cascade' })
  session!: Session;

  /** base64url SHA-256 of the token. */
  @Property({ type: 'string', length: COLUMN_LIMITS.tokenHash, unique: true })
  tokenHash!: string;

  @Property({ type: 'Date' })
  createdAt!: Date;

  @Property({ type: 'Date' })
  expiresAt!: Date;

  /** When it was exchanged for its successor; a spent token presented after the grace interval is a reuse. */
  @Property({ type: 'Date', nullable: true })
  rotatedAt?: Date | null;
}
