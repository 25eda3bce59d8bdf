import { Entity, Enum, Index, PrimaryKey, Property } from '@mikro-orm/core';
import { Role } from '../../shared/role';
import { COLUMN_LIMITS } from '../records';

@Entity({ tableName: 'users' })
// Keyset pagination walks (created_at, public_id); this index makes each page an index range scan.
@Index({ name: 'users_created_at_public_id_index', properties: ['createdAt', 'publicId'] })
export class User {
  /** Database row id: internal, never exposed to clients. */
  @PrimaryKey({ type: 'integer', autoincrement: true })
  id!: number;

  /** The id clients see (GraphQL `User.id`, token `sub`). */
  @Property({ type: 'uuid', unique: true })
  publicId!: string;

  @Property({ type: 'string', length: COLUMN_LIMITS.userName })
  name!: string;

  /** Stored normalised (trimmed, lower-case); the unique index makes it case-insensitively unique. */
  @Property({ type: 'string', length: COLUMN_LIMITS.email, unique: true })
  email!: string;

  /** bcrypt hash. Lazy: loaded only where a password is checked; hidden from serialisation. */
  @Property({ type: 'string', length: COLUMN_LIMITS.passwordHash, lazy: true, hidden: true })
  passwordHash!: string;

  @Enum({ items: () => Role, type: 'string' })
  role: Role = Role.USER;

  @Property({ type: 'Date' })
  createdAt!: Date;

  @Property({ type: 'Date' })
  updatedAt!: Date;

  /** TOTP is on (the secret is in totp_factors): read with the user by the per-request statement. */
  @Property({ type: 'boolean', default: false })
  mfaEnabled: boolean = false;

  /** The address is proven (a link sent to it was followed): read with the user by the per-request statement. */
  @Property({ type: 'boolean', default: false })
  emailVerified: boolean = false;
}
