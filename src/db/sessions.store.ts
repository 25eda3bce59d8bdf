// The sessions and refresh_tokens tables: every statement that reads or writes them.
import { Aal, isAal, isAuthMethod, type Assurance, type AuthMethod } from '../shared/assurance';
import type { NewSession, NewUser, RefreshTokenRecord, SessionRecord, SessionWithUser, UserRecord } from './records';
import { toDate, toDateOrNull, type SqlDatabase, type SqlRunner } from './sql';
import { insertUser, USER_COLUMNS, userFromRow, type UserRow } from './users.store';

/** A refresh token as presented, with its session and the session's user: what a refresh decides on. */
export interface PresentedRefresh {
  token: RefreshTokenRecord;
  session: SessionRecord;
  user: UserRecord;
}

/** The statements of one refresh, inside one transaction (see SessionStore.rotate). */
export interface RefreshTransaction {
  find(tokenHash: string): Promise<PresentedRefresh | undefined>;
  /** Mark the token spent, if nobody has yet: true for exactly one of any number of concurrent callers. */
  claim(tokenId: number, now: Date): Promise<boolean>;
  /** When the token was spent (read afresh: another transaction may just have spent it). */
  rotatedAt(tokenId: number): Promise<Date | null>;
  /** Its successor, and the session's new refresh expiry. */
  issueSuccessor(sessionId: number, tokenHash: string, now: Date, expiresAt: Date): Promise<void>;
  revokeSession(sessionId: number, now: Date): Promise<void>;
}

export interface SessionStore {
  /** The session and its first refresh token, in one transaction; resolves with the session's row id. */
  open(session: NewSession): Promise<number>;
  /**
   * Signup: the user, their first session and its refresh token, in one transaction, so that no user is
   * ever stored without the session the client was promised (or the reverse). UniqueViolationError when
   * the email is taken.
   */
  openForNewUser(user: NewUser, session: Omit<NewSession, 'userId'>): Promise<{ user: UserRecord; sessionId: number }>;
  /** The per-request read: one statement by the unique public_id index, joined with the user by primary key. */
  findWithUser(publicId: string): Promise<SessionWithUser | undefined>;
  findByPublicId(publicId: string): Promise<SessionRecord | undefined>;
  /** Not revoked and not expired at `now`, most recently used first. */
  listActive(userId: number, now: Date): Promise<SessionRecord[]>;
  /** True if it was active and is now revoked. */
  revoke(id: number, now: Date): Promise<boolean>;
  /** Revoke every active session of the user, or every one but `exceptId`; resolves with how many. */
  revokeAllOf(userId: number, now: Date, exceptId?: number): Promise<number>;
  /** Run one refresh's reads and writes as one transaction. */
  rotate<T>(work: (tx: RefreshTransaction) => Promise<T>): Promise<T>;
  /**
   * A second factor proven: raise an active session to `assurance` and replace its refresh tokens, spent or
   * not, with one new token (`tokenHash`, expiring at `expiry(session)`), in one transaction, so that no
   * refresh token of the lower level still works. Resolves with that expiry, or undefined when the session is
   * no longer active.
   */
  raise(sessionId: number, assurance: Assurance, tokenHash: string, now: Date, expiry: (session: { absoluteExpiresAt: Date }) => Date): Promise<Date | undefined>;
}

/** How amr is stored: the methods in the order they were used, comma-separated. */
export function encodeAmr(amr: readonly AuthMethod[]): string {
  return amr.join(',');
}

function decodeAmr(value: string): AuthMethod[] {
  return value.split(',').filter(isAuthMethod);
}

/** An unknown level reads as the lowest: it can only restrict. */
function decodeAal(value: unknown): Aal {
  return isAal(value) ? value : Aal.AAL1;
}

const SESSION_COLUMNS =
  's.id as session_id, s.public_id as session_public_id, s.user_id as session_user_id, s.created_at as session_created_at, ' +
  's.last_used_at, s.expires_at, s.absolute_expires_at, s.user_agent, s.ip, s.revoked_at, s.aal, s.amr';

interface SessionRow {
  session_id: number;
  session_public_id: string;
  session_user_id: number;
  session_created_at: unknown;
  last_used_at: unknown;
  expires_at: unknown;
  absolute_expires_at: unknown;
  user_agent: string | null;
  ip: string;
  revoked_at: unknown;
  aal: string;
  amr: string;
}

function sessionFromRow(row: SessionRow): SessionRecord {
  return {
    id: Number(row.session_id),
    publicId: row.session_public_id,
    userId: Number(row.session_user_id),
    createdAt: toDate(row.session_created_at),
    lastUsedAt: toDate(row.last_used_at),
    expiresAt: toDate(row.expires_at),
    absoluteExpiresAt: toDate(row.absolute_expires_at),
    userAgent: row.user_agent,
    ip: row.ip,
    revokedAt: toDateOrNull(row.revoked_at),
    aal: decodeAal(row.aal),
    amr: decodeAmr(row.amr),
  };
}

export type SessionWithUserRow = UserRow & {
  session_id: number;
  session_public_id: string;
  revoked_at: unknown;
  expires_at: unknown;
  absolute_expires_at: unknown;
  aal: string;
  amr: string;
};

/** Frozen: a kept answer is shared by every request of its session (session-cache.ts). */
export function sessionWithUserFromRow(row: SessionWithUserRow): SessionWithUser {
  return Object.freeze({
    session: Object.freeze({
      id: Number(row.session_id),
      publicId: row.session_public_id,
      revokedAt: toDateOrNull(row.revoked_at),
      expiresAt: toDate(row.expires_at),
      absoluteExpiresAt: toDate(row.absolute_expires_at),
      aal: decodeAal(row.aal),
      amr: Object.freeze(decodeAmr(row.amr)),
    }),
    user: Object.freeze(userFromRow(row)),
  });
}

// sessions.public_id is unique (its index finds the row), users.id is the primary key.
export const SESSION_WITH_USER_SQL = `select s.id as session_id, s.public_id as session_public_id, s.revoked_at, s.expires_at,
  s.absolute_expires_at, s.aal, s.amr, ${USER_COLUMNS} from sessions s join users u on u.id = s.user_id where s.public_id = ?`;
export const INSERT_SESSION_SQL = `insert into sessions (public_id, user_id, created_at, last_used_at, expires_at, absolute_expires_at, user_agent, ip, aal, amr)
  values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) returning id`;
export const INSERT_REFRESH_TOKEN_SQL = 'insert into refresh_tokens (session_id, token_hash, created_at, expires_at) values (?, ?, ?, ?)';
const BY_PUBLIC_ID_SQL = `select ${SESSION_COLUMNS} from sessions s where s.public_id = ?`;
const LIST_ACTIVE_SQL = `select ${SESSION_COLUMNS} from sessions s
  where s.user_id = ? and s.revoked_at is null and s.expires_at > ? and s.absolute_expires_at > ?
  order by s.last_used_at desc, s.id desc`;
const REVOKE_SQL = 'update sessions set revoked_at = ? where id = ? and revoked_at is null';
const REVOKE_ALL_SQL = 'update sessions set revoked_at = ? where user_id = ? and revoked_at is null';
const REVOKE_ALL_BUT_SQL = 'update sessions set revoked_at = ? where user_id = ? and revoked_at is null and id <> ?';
export const FIND_REFRESH_SQL = `select t.id as token_id, t.session_id as token_session_id, t.token_hash, t.created_at as token_created_at,
  t.expires_at as token_expires_at, t.rotated_at, ${SESSION_COLUMNS}, ${USER_COLUMNS}
  from refresh_tokens t join sessions s on s.id = t.session_id join users u on u.id = s.user_id where t.token_hash = ?`;
// The conditional update is the spend: of concurrent refreshes with one token, exactly one changes a row.
export const CLAIM_SQL = 'update refresh_tokens set rotated_at = ? where id = ? and rotated_at is null';
const ROTATED_AT_SQL = 'select rotated_at from refresh_tokens where id = ?';
export const EXTEND_SESSION_SQL = 'update sessions set last_used_at = ?, expires_at = ? where id = ?';
const ACTIVE_LIMITS_SQL = 'select absolute_expires_at from sessions where id = ? and revoked_at is null';
const SET_ASSURANCE_SQL = 'update sessions set aal = ?, amr = ? where id = ? and revoked_at is null';
const DELETE_REFRESH_TOKENS_SQL = 'delete from refresh_tokens where session_id = ?';

type RefreshRow = SessionRow &
  UserRow & {
    token_id: number;
    token_session_id: number;
    token_hash: string;
    token_created_at: unknown;
    token_expires_at: unknown;
    rotated_at: unknown;
  };

function refreshTransaction(tx: SqlRunner): RefreshTransaction {
  return {
    async find(tokenHash) {
      const row = await tx.one<RefreshRow>(FIND_REFRESH_SQL, [tokenHash]);
      if (!row) return undefined;
      return {
        token: {
          id: Number(row.token_id),
          sessionId: Number(row.token_session_id),
          tokenHash: row.token_hash,
          createdAt: toDate(row.token_created_at),
          expiresAt: toDate(row.token_expires_at),
          rotatedAt: toDateOrNull(row.rotated_at),
        },
        session: sessionFromRow(row),
        user: userFromRow(row),
      };
    },
    async claim(tokenId, now) {
      return (await tx.run(CLAIM_SQL, [now, tokenId])) === 1;
    },
    async rotatedAt(tokenId) {
      return toDateOrNull((await tx.one<{ rotated_at: unknown }>(ROTATED_AT_SQL, [tokenId]))?.rotated_at);
    },
    async issueSuccessor(sessionId, tokenHash, now, expiresAt) {
      await tx.run(INSERT_REFRESH_TOKEN_SQL, [sessionId, tokenHash, now, expiresAt]);
      await tx.run(EXTEND_SESSION_SQL, [now, expiresAt, sessionId]);
    },
    async revokeSession(sessionId, now) {
      await tx.run(REVOKE_SQL, [now, sessionId]);
    },
  };
}

/** Raise an active session's assurance (inside a transaction of another store too: mfa.store.ts); true if it was active. */
export async function setAssurance(tx: SqlRunner, sessionId: number, assurance: Assurance): Promise<boolean> {
  return (await tx.run(SET_ASSURANCE_SQL, [assurance.aal, encodeAmr(assurance.amr), sessionId])) === 1;
}

/** End every active session of the user but one (inside a transaction of another store too); resolves with how many. */
export function revokeAllBut(tx: SqlRunner, userId: number, now: Date, exceptId: number): Promise<number> {
  return tx.run(REVOKE_ALL_BUT_SQL, [now, userId, exceptId]);
}

/** End every active session of the user (inside a transaction of another store too); resolves with how many. */
export function revokeAll(tx: SqlRunner, userId: number, now: Date): Promise<number> {
  return tx.run(REVOKE_ALL_SQL, [now, userId]);
}

/** The session row and its first refresh token; resolves with the session's row id. */
async function insertSession(tx: SqlRunner, session: NewSession): Promise<number> {
  const row = await tx.one<{ id: number }>(INSERT_SESSION_SQL, [
    session.publicId,
    session.userId,
    session.createdAt,
    session.createdAt,
    session.expiresAt,
    session.absoluteExpiresAt,
    session.userAgent,
    session.ip,
    session.aal,
    encodeAmr(session.amr),
  ]);
  const id = Number(row!.id);
  await tx.run(INSERT_REFRESH_TOKEN_SQL, [id, session.refreshTokenHash, session.createdAt, session.expiresAt]);
  return id;
}

export function createSessionStore(db: SqlDatabase, findWithUser: SessionStore['findWithUser']): SessionStore {
  return {
    open(session) {
      return db.transaction((tx) => insertSession(tx, session));
    },

    openForNewUser(newUser, session) {
      return db.transaction(async (tx) => {
        const user = await insertUser(tx, newUser);
        return { user, sessionId: await insertSession(tx, { ...session, userId: user.id }) };
      });
    },

    findWithUser,

    async findByPublicId(publicId) {
      const row = await db.one<SessionRow>(BY_PUBLIC_ID_SQL, [publicId]);
      return row && sessionFromRow(row);
    },

    async listActive(userId, now) {
      return (await db.all<SessionRow>(LIST_ACTIVE_SQL, [userId, now, now])).map(sessionFromRow);
    },

    async revoke(id, now) {
      return (await db.run(REVOKE_SQL, [now, id])) > 0;
    },

    revokeAllOf(userId, now, exceptId) {
      return exceptId === undefined ? db.run(REVOKE_ALL_SQL, [now, userId]) : revokeAllBut(db, userId, now, exceptId);
    },

    raise(sessionId, assurance, tokenHash, now, expiry) {
      return db.transaction(async (tx) => {
        const row = await tx.one<{ absolute_expires_at: unknown }>(ACTIVE_LIMITS_SQL, [sessionId]);
        if (!row) return undefined;
        // Conditional: a logout committed since the read wins (PostgreSQL runs this beside it).
        if (!(await setAssurance(tx, sessionId, assurance))) return undefined;
        const expiresAt = expiry({ absoluteExpiresAt: toDate(row.absolute_expires_at) });
        await tx.run(DELETE_REFRESH_TOKENS_SQL, [sessionId]);
        await tx.run(INSERT_REFRESH_TOKEN_SQL, [sessionId, tokenHash, now, expiresAt]);
        await tx.run(EXTEND_SESSION_SQL, [now, expiresAt, sessionId]);
        return expiresAt;
      });
    },

    rotate(work) {
      return db.transaction((tx) => work(refreshTransaction(tx)));
    },
  };
}

/** The uncached per-request read. */
export function readSessionWithUser(db: SqlDatabase): SessionStore['findWithUser'] {
  return async (publicId) => {
    const row = await db.one<SessionWithUserRow>(SESSION_WITH_USER_SQL, [publicId]);
    return row && sessionWithUserFromRow(row);
  };
}
