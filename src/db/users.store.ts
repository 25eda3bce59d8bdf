// The users table: every statement that reads or writes it.
import { isRole, Role } from '../shared/role';
import type { Credentials, NewUser, UserRecord } from './records';
import { toBoolean, toCount, toDate, type SqlDatabase, type SqlRunner } from './sql';

export interface UserPageCursor {
  createdAt: Date;
  publicId: string;
}

export type RoleChange = { kind: 'changed'; user: UserRecord } | { kind: 'last-admin' } | { kind: 'not-found' };
export type Deletion = 'deleted' | 'last-admin' | 'not-found';

export interface UserStore {
  /** Login's read: by the unique email index. */
  findCredentialsByEmail(email: string): Promise<Credentials | undefined>;
  findCredentialsById(id: number): Promise<Credentials | undefined>;
  findByPublicId(publicId: string): Promise<UserRecord | undefined>;
  existsByPublicId(publicId: string): Promise<boolean>;
  emailTaken(email: string): Promise<boolean>;
  /** Throws UniqueViolationError when the email (or public id) is taken. */
  insert(user: NewUser): Promise<UserRecord>;
  count(): Promise<number>;
  /** Newest first, `limit` rows after the cursor: keyset on (created_at, public_id), an index range scan. */
  page(limit: number, after?: UserPageCursor): Promise<UserRecord[]>;
  setPasswordHash(id: number, passwordHash: string, now: Date): Promise<void>;
  /** Atomic: an ADMIN is demoted only if another ADMIN remains, whatever runs at the same moment. */
  setRole(id: number, role: Role, now: Date): Promise<RoleChange>;
  /** Atomic like setRole: the last ADMIN is not deleted. Sessions and refresh tokens go with the user (on delete cascade). */
  delete(id: number): Promise<Deletion>;
}

/** The users columns a UserRecord is read from, for a select from `users u`. */
export const USER_COLUMNS = 'u.id as user_id, u.public_id as user_public_id, u.name, u.email, u.role, u.created_at, u.mfa_enabled, u.email_verified';

export interface UserRow {
  user_id: number;
  user_public_id: string;
  name: string;
  email: string;
  role: string;
  created_at: unknown;
  /** SQLite: 0/1; PostgreSQL: a boolean. */
  mfa_enabled: unknown;
  email_verified: unknown;
}

export function userFromRow(row: UserRow): UserRecord {
  if (!isRole(row.role)) throw new Error(`Unknown role in the database for user ${row.user_public_id}`);
  return {
    id: Number(row.user_id),
    publicId: row.user_public_id,
    name: row.name,
    email: row.email,
    role: row.role,
    createdAt: toDate(row.created_at),
    mfaEnabled: toBoolean(row.mfa_enabled),
    emailVerified: toBoolean(row.email_verified),
  };
}

type CredentialsRow = UserRow & { password_hash: string };

const credentialsFromRow = (row: CredentialsRow): Credentials => ({ ...userFromRow(row), passwordHash: row.password_hash });

// users.email is unique: its index finds the row.
export const CREDENTIALS_BY_EMAIL_SQL = `select ${USER_COLUMNS}, u.password_hash from users u where u.email = ?`;
const CREDENTIALS_BY_ID_SQL = `select ${USER_COLUMNS}, u.password_hash from users u where u.id = ?`;
const BY_ID_SQL = `select ${USER_COLUMNS} from users u where u.id = ?`;
const BY_PUBLIC_ID_SQL = `select ${USER_COLUMNS} from users u where u.public_id = ?`;
const EXISTS_SQL = 'select 1 as found from users where public_id = ?';
export const EMAIL_TAKEN_SQL = 'select 1 as found from users where email = ?';
export const INSERT_USER_SQL = `insert into users (public_id, name, email, password_hash, role, created_at, updated_at)
  values (?, ?, ?, ?, ?, ?, ?) returning id`;
const COUNT_SQL = 'select count(*) as count from users';
export const FIRST_PAGE_SQL = `select ${USER_COLUMNS} from users u order by u.created_at desc, u.public_id desc limit ?`;
// The row-value comparison is what lets the (created_at, public_id) index seek straight to the cursor.
export const NEXT_PAGE_SQL = `select ${USER_COLUMNS} from users u where (u.created_at, u.public_id) < (?, ?)
  order by u.created_at desc, u.public_id desc limit ?`;
const SET_PASSWORD_SQL = 'update users set password_hash = ?, updated_at = ? where id = ?';
const ROLE_OF_SQL = 'select role from users where id = ?';
const ADMIN_COUNT_SQL = `select count(*) as count from users where role = '${Role.ADMIN}'`;
const SET_ROLE_SQL = 'update users set role = ?, updated_at = ? where id = ?';
const DELETE_SQL = 'delete from users where id = ?';
// PostgreSQL runs transactions side by side (READ COMMITTED): the rules that count ADMINs before they
// write take this transaction-level lock first, so two of them run one after the other. On SQLite,
// BEGIN IMMEDIATE has already serialised every writer.
const ADMIN_RULE_LOCK_SQL = 'select pg_advisory_xact_lock(720431560)';

/** Insert a user (on the database, or inside a transaction): shared with sessions.store.ts, which signs up in one transaction. */
export async function insertUser(runner: SqlRunner, user: NewUser): Promise<UserRecord> {
  const row = await runner.one<{ id: number }>(INSERT_USER_SQL, [user.publicId, user.name, user.email, user.passwordHash, user.role, user.createdAt, user.createdAt]);
  return { id: Number(row!.id), publicId: user.publicId, name: user.name, email: user.email, role: user.role, createdAt: user.createdAt, mfaEnabled: false, emailVerified: false };
}

export function createUserStore(db: SqlDatabase): UserStore {
  const lockAdminRule = async (tx: Pick<SqlDatabase, 'one'>) => {
    if (db.dialect === 'postgresql') await tx.one(ADMIN_RULE_LOCK_SQL);
  };

  return {
    async findCredentialsByEmail(email) {
      const row = await db.one<CredentialsRow>(CREDENTIALS_BY_EMAIL_SQL, [email]);
      return row && credentialsFromRow(row);
    },

    async findCredentialsById(id) {
      const row = await db.one<CredentialsRow>(CREDENTIALS_BY_ID_SQL, [id]);
      return row && credentialsFromRow(row);
    },

    async findByPublicId(publicId) {
      const row = await db.one<UserRow>(BY_PUBLIC_ID_SQL, [publicId]);
      return row && userFromRow(row);
    },

    async existsByPublicId(publicId) {
      return (await db.one(EXISTS_SQL, [publicId])) !== undefined;
    },

    async emailTaken(email) {
      return (await db.one(EMAIL_TAKEN_SQL, [email])) !== undefined;
    },

    async insert(user) {
      return insertUser(db, user);
    },

    async count() {
      return toCount((await db.one<{ count: unknown }>(COUNT_SQL))?.count);
    },

    async page(limit, after) {
      const rows = after
        ? await db.all<UserRow>(NEXT_PAGE_SQL, [after.createdAt, after.publicId, limit])
        : await db.all<UserRow>(FIRST_PAGE_SQL, [limit]);
      return rows.map(userFromRow);
    },

    async setPasswordHash(id, passwordHash, now) {
      await db.run(SET_PASSWORD_SQL, [passwordHash, now, id]);
    },

    setRole(id, role, now) {
      return db.transaction(async (tx): Promise<RoleChange> => {
        await lockAdminRule(tx);
        const current = await tx.one<{ role: string }>(ROLE_OF_SQL, [id]);
        if (!current) return { kind: 'not-found' };
        if (current.role === Role.ADMIN && role !== Role.ADMIN && toCount((await tx.one<{ count: unknown }>(ADMIN_COUNT_SQL))?.count) <= 1) {
          return { kind: 'last-admin' };
        }
        await tx.run(SET_ROLE_SQL, [role, now, id]);
        const row = await tx.one<UserRow>(BY_ID_SQL, [id]);
        return { kind: 'changed', user: userFromRow(row!) };
      });
    },

    delete(id) {
      return db.transaction(async (tx): Promise<Deletion> => {
        await lockAdminRule(tx);
        const current = await tx.one<{ role: string }>(ROLE_OF_SQL, [id]);
        if (!current) return 'not-found';
        if (current.role === Role.ADMIN && toCount((await tx.one<{ count: unknown }>(ADMIN_COUNT_SQL))?.count) <= 1) return 'last-admin';
        return (await tx.run(DELETE_SQL, [id])) > 0 ? 'deleted' : 'not-found';
      });
    },
  };
}
