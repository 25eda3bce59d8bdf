import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/core';
import { COLUMN_LIMITS, type RecoveryPurpose } from '../records';
import { User } from './user.entity';

/** A single-use link sent by email (password reset, email verification, email change): only its SHA-256 hash is stored. */
@Entity({ tableName: 'recovery_tokens' })
@Index({ name: 'recovery_tokens_user_id_purpose_index', properties: ['user', 'purpose'] })
export class RecoveryToken {
  @PrimaryKey({ type: 'integer', autoincrement: true })
  id!: number;

  @ManyToOne(() => User, { deleteRule: 'cascade' })
  user!: User;

  @Property({ type: 'text' })
  purpose!: RecoveryPurpose;

  /** base64url SHA-256 of the link's token. */
  @Property({ type: 'string', length: COLUMN_LIMITS.tokenHash, unique: true })
  tokenHash!: string;

  /** The address the link was sent to; for an email change, the new address. */
  @Property({ type: 'string', length: COLUMN_LIMITS.email })
  email!: string;

  @Property({ type: 'Date' })
  createdAt!: Date;

  @Property({ type: 'Date' })
  expiresAt!: Date;

  @Property({ type: 'Date', nullable: true })
  usedAt?: Date | null;

  @Property({ type: 'Date', nullable: true })
  supersededAt?: Date | null;
}
