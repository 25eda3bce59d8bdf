import { randomUUID } from 'node:crypto';
// The rules about users: creating them, listing them a page at a time, changing roles.
import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/knex';
import type { PasswordHasher } from '../auth/passwords';
import type { Clock } from '../clock';
import type { RawDb } from '../db/raw';
import { badUserInput, InputReason } from '../errors';
import { decodeCursor, encodeCursor } from './cursor';
import { Role } from './role';
import { User } from './user.entity';
import { validateNewUser, type NewUserInput } from './user.validation';
import { VIEWER_COLUMNS, viewerFromRow, type Viewer, type ViewerRow } from './viewer';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface UserPage {
  users: User[];
  hasNextPage: boolean;
  endCursor: string | null;
  totalCount: number;
}

function emailTaken(): Error {
  return badUserInput('This email is already registered', InputReason.EMAIL_TAKEN, { email: 'Already registered' });
}

/** A user with the password hash, for checking a password: what login reads. */
export type Credentials = Viewer & { passwordHash: string };

// users.email is unique: its index finds the row.
export const CREDENTIALS_SQL = `select ${VIEWER_COLUMNS}, u.password_hash from users u where u.email = ?`;

export class UserService {
  constructor(
    private readonly hasher: PasswordHasher,
    private readonly clock: Clock,
    private readonly db: RawDb,
  ) {}

  /** The user with this (normalised) email and their password hash: one raw statement, as login is on the hot path. */
  async findCredentials(email: string): Promise<Credentials | undefined> {
    const row = await this.db((sql) => sql.get<ViewerRow & { password_hash: string }>(CREDENTIALS_SQL, email));
    return row && { ...viewerFromRow(row), passwordHash: row.password_hash };
  }

  /** Validate, hash and store a new user. Email uniqueness is enforced by the unique index, so races give one user. */
  async createUser(em: EntityManager, input: NewUserInput, role: Role = Role.USER): Promise<User> {
    const { name, email, password } = validateNewUser(input);
    if ((await em.count(User, { email })) > 0) throw emailTaken();
    const now = new Date(this.clock.now());
    const user = em.create(User, {
      publicId: randomUUID(),
      name,
      email,
      passwordHash: await this.hasher.hash(password),
      role,
      createdAt: now,
      updatedAt: now,
    });
    try {
      await em.persistAndFlush(user);
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw emailTaken();
      throw error;
    }
    return user;
  }

  /** Newest first; keyset on (createdAt, publicId), so page N costs the same as page 1. */
  async listUsers(em: EntityManager, first: number, after?: string | null): Promise<UserPage> {
    if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
      throw badUserInput(`first must be between 1 and ${MAX_PAGE_SIZE}`, InputReason.INVALID_INPUT, {
        first: `Must be between 1 and ${MAX_PAGE_SIZE}`,
      });
    }
    const [rows, totalCount] = await Promise.all([this.pageQuery(em, first, after).getResult(), em.count(User)]);
    const hasNextPage = rows.length > first;
    const users = hasNextPage ? rows.slice(0, first) : rows;
    const last = users.at(-1);
    return { users, hasNextPage, endCursor: last ? encodeCursor(last) : null, totalCount };
  }

  /**
   * One page, newest first: `first + 1` rows (the extra one says whether there is a next page) after the cursor.
   * The row-value comparison is what lets the (created_at, public_id) index seek straight to the cursor;
   * a test checks the plan with EXPLAIN QUERY PLAN.
   */
  pageQuery(em: EntityManager, first: number, after?: string | null) {
    // The database is an SQL one (MikroORM's knex-based drivers); the query builder is how to say a row-value comparison.
    const qb = (em as SqlEntityManager).createQueryBuilder(User).select('*');
    if (after) {
      const cursor = decodeCursor(after);
      qb.where('(created_at, public_id) < (?, ?)', [em.getPlatform().processDateProperty(cursor.createdAt), cursor.publicId]);
    }
    return qb.orderBy({ createdAt: 'desc', publicId: 'desc' }).limit(first + 1);
  }

  private async find(em: EntityManager, publicId: string): Promise<User> {
    const user = UUID.test(publicId) ? await em.findOne(User, { publicId }) : null;
    if (!user) throw badUserInput('No user has this id', InputReason.NOT_FOUND, { id: 'No user has this id' });
    return user;
  }

  /** Delete a user; their sessions and refresh tokens go with them (on delete cascade). */
  async deleteUser(em: EntityManager, publicId: string): Promise<boolean> {
    const user = await this.find(em, publicId);
    if (user.role === Role.ADMIN && (await em.count(User, { role: Role.ADMIN })) <= 1) {
      throw badUserInput('The last ADMIN cannot be deleted', InputReason.LAST_ADMIN, { id: 'The last ADMIN cannot be deleted' });
    }
    const deleted = await em.nativeDelete(User, { id: user.id });
    return deleted > 0;
  }

  async setRole(em: EntityManager, publicId: string, role: Role): Promise<User> {
    const user = await this.find(em, publicId);
    if (user.role === Role.ADMIN && role !== Role.ADMIN && (await em.count(User, { role: Role.ADMIN })) <= 1) {
      throw badUserInput('The last ADMIN cannot be demoted', InputReason.LAST_ADMIN, { role: 'The last ADMIN cannot be demoted' });
    }
    user.role = role;
    user.updatedAt = new Date(this.clock.now());
    await em.flush();
    return user;
  }

  /** Store a new password hash (a re-hash at a higher cost, or a password change). */
  async replacePasswordHash(em: EntityManager, user: Pick<User, 'id'>, passwordHash: string): Promise<void> {
    await em.nativeUpdate(User, { id: user.id }, { passwordHash, updatedAt: new Date(this.clock.now()) });
  }
}
