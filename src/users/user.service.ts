// The rules about users: creating them, listing them a page at a time, changing roles, deleting them.
import { randomUUID } from 'node:crypto';
import type { PasswordHasher } from '../passwords/passwords';
import type { Clock } from '../shared/clock';
import { UniqueViolationError } from '../db/errors';
import type { Credentials, NewUser, UserRecord } from '../db/records';
import type { UserStore } from '../db/users.store';
import { badUserInput, InputReason } from '../shared/errors';
import { UUID_PATTERN } from '../shared/patterns';
import { Role } from '../shared/role';
import { decodeCursor, encodeCursor } from './cursor';
import { validateNewUser, type NewUserInput } from './user.validation';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export interface UserPage {
  users: UserRecord[];
  hasNextPage: boolean;
  endCursor: string | null;
  totalCount: number;
}

/** EMAIL_TAKEN, on the input field that named the address (signup's `email`, changeEmail's `newEmail`). */
export function emailTaken(field = 'email'): Error {
  return badUserInput('This email is already registered', InputReason.EMAIL_TAKEN, { [field]: 'Already registered' });
}

/** The unique index refused the email: EMAIL_TAKEN, as the check before hashing would have said. */
export function rethrowEmailTaken(error: unknown): never {
  throw error instanceof UniqueViolationError ? emailTaken() : error;
}

function notFound(): Error {
  return badUserInput('No user has this id', InputReason.NOT_FOUND, { id: 'No user has this id' });
}

export class UserService {
  constructor(
    private readonly hasher: PasswordHasher,
    private readonly clock: Clock,
    private readonly users: UserStore,
  ) {}

  /** The user with this (normalised) email and their password hash: login's one read. */
  findCredentials(email: string): Promise<Credentials | undefined> {
    return this.users.findCredentialsByEmail(email);
  }

  userExists(publicId: string): Promise<boolean> {
    return this.users.existsByPublicId(publicId);
  }

  findCredentialsById(id: number): Promise<Credentials | undefined> {
    return this.users.findCredentialsById(id);
  }

  /**
   * Validate and hash a new user, ready to store (alone, or with a first session: SessionService.openForNewUser).
   * The email is checked here only to spare a hash: the unique index decides, so races give one user.
   */
  async prepareNewUser(input: NewUserInput, role: Role = Role.USER): Promise<NewUser> {
    const { name, email, password } = validateNewUser(input);
    if (await this.users.emailTaken(email)) throw emailTaken();
    const passwordHash = await this.hasher.hash(password);
    return { publicId: randomUUID(), name, email, passwordHash, role, createdAt: new Date(this.clock.now()) };
  }

  /** Validate, hash and store a new user, with no session (the user:create command). */
  async createUser(input: NewUserInput, role: Role = Role.USER): Promise<UserRecord> {
    const user = await this.prepareNewUser(input, role);
    return this.users.insert(user).catch(rethrowEmailTaken);
  }

  /** Newest first; keyset on (createdAt, publicId), so page N costs the same as page 1. */
  async listUsers(first: number, after?: string | null): Promise<UserPage> {
    if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
      throw badUserInput(`first must be between 1 and ${MAX_PAGE_SIZE}`, InputReason.INVALID_INPUT, {
        first: `Must be between 1 and ${MAX_PAGE_SIZE}`,
      });
    }
    const cursor = after ? decodeCursor(after) : undefined;
    // One row more than asked for says whether there is a next page.
    const [rows, totalCount] = await Promise.all([this.users.page(first + 1, cursor), this.users.count()]);
    const hasNextPage = rows.length > first;
    const users = hasNextPage ? rows.slice(0, first) : rows;
    const last = users.at(-1);
    return { users, hasNextPage, endCursor: last ? encodeCursor(last) : null, totalCount };
  }

  private async find(publicId: string): Promise<UserRecord> {
    const user = UUID_PATTERN.test(publicId) ? await this.users.findByPublicId(publicId) : undefined;
    if (!user) throw notFound();
    return user;
  }

  /** Delete a user; their sessions and refresh tokens go with them. The last ADMIN stays. */
  async deleteUser(publicId: string): Promise<UserRecord> {
    const user = await this.find(publicId);
    const outcome = await this.users.delete(user.id);
    if (outcome === 'last-admin') {
      throw badUserInput('The last ADMIN cannot be deleted', InputReason.LAST_ADMIN, { id: 'The last ADMIN cannot be deleted' });
    }
    if (outcome === 'not-found') throw notFound();
    return user;
  }

  /** Give a user a role; the last ADMIN cannot be demoted (checked and written atomically). */
  async setRole(publicId: string, role: Role): Promise<UserRecord> {
    const user = await this.find(publicId);
    const change = await this.users.setRole(user.id, role, new Date(this.clock.now()));
    if (change.kind === 'last-admin') {
      throw badUserInput('The last ADMIN cannot be demoted', InputReason.LAST_ADMIN, { role: 'The last ADMIN cannot be demoted' });
    }
    if (change.kind === 'not-found') throw notFound();
    return change.user;
  }

  /** Store a new password hash (a re-hash at a higher cost, or a password change). */
  async replacePasswordHash(user: Pick<UserRecord, 'id'>, passwordHash: string): Promise<void> {
    await this.users.setPasswordHash(user.id, passwordHash, new Date(this.clock.now()));
  }
}
