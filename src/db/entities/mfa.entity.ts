import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/core';
import { COLUMN_LIMITS } from '../records';
import { User } from './user.entity';

/** A user's TOTP factor. Both secrets are sealed by the app (AES-256-GCM, mfa/secret-box.ts), never stored in clear. */
@Entity({ tableName: 'totp_factors' })
export class TotpFactor {
  @ManyToOne(() => User, { primary: true, deleteRule: 'cascade' })
  user!: User;

  /** The confirmed secret; null until an enrollment is confirmed. */
  @Property({ type: 'text', nullable: true })
  secret?: string | null;

  /** A started enrollment's secret, until it is confirmed or replaced. */
  @Property({ type: 'text', nullable: true })
  pendingSecret?: string | null;

  /** The last TOTP time step accepted: a code is never accepted twice. */
  @Property({ type: 'integer', nullable: true })
  lastUsedStep?: number | null;

  @Property({ type: 'Date' })
  updatedAt!: Date;
}

/** A single-use recovery code: only its SHA-256 hash is stored. */
@Entity({ tableName: 'recovery_codes' })
@Index({ name: 'recovery_codes_user_id_code_hash_unique', properties: ['user', 'codeHash'] })
export class RecoveryCode {
  @PrimaryKey({ type: 'integer', autoincrement: true })
  id!: number;

  @ManyToOne(() => User, { deleteRule: 'cascade' })
  user!: User;

  /** base64url SHA-256 of the code without its hyphens, upper case. */
  @Property({ type: 'string', length: COLUMN_LIMITS.tokenHash })
  codeHash!: string;

  @Property({ type: 'Date' })
  createdAt!: Date;

  @Property({ type: 'Date', nullable: true })
  usedAt?: Date | null;
}
