// The recovery_tokens table and users.email_verified: every statement of the links sent by email (a password
// reset, an email verification, an email change). Tokens arrive hashed; a link is spent by a conditional
// update in the same transaction as what it does, so of concurrent uses of one link exactly one does anything.
import type { RecoveryPurpose, RecoveryTokenRecord } from './records';
import { enqueueMail, type OutgoingMail } from './outbox.store';
import { revokeAll, revokeAllBut } from './sessions.store';
import { toDate, toDateOrNull, type SqlDatabase, type SqlRunner } from './sql';

export interface NewRecoveryToken {
  userId: number;
  purpose: RecoveryPurpose;
  tokenHash: string;
  /** The address the link is sent to (for an email change, the new address). */
  email: string;
  createdAt: Date;
  expiresAt: Date;
}

export interface RecoveryStore {
  /**
   * In one transaction: the user's earlier unspent links of the same purpose are superseded, this one is
   * stored, and the mails are enqueued (the outbox), so a link and the message carrying it commit together.
   */
  issue(token: NewRecoveryToken, mails: readonly OutgoingMail[]): Promise<void>;
  findByHash(tokenHash: string): Promise<RecoveryTokenRecord | undefined>;
  /**
   * Spend a password-reset link and apply it, in one transaction: the new password hash, the address marked
   * verified (the link proved it), every session ended and every other unspent link of the user superseded.
   * False (nothing written) when the link was spent, superseded or expired meanwhile, or the address changed.
   */
  resetPassword(tokenId: number, userId: number, passwordHash: string, now: Date): Promise<boolean>;
  /** Spend an email-verification link and mark the address verified; false as for resetPassword. */
  verifyEmail(tokenId: number, userId: number, now: Date): Promise<boolean>;
  /**
   * Spend an email-change link and switch the address (verified), ending every session of the user but
   * `keepSessionId` and superseding the user's other unspent links. Undefined when the link was spent,
   * superseded or expired meanwhile; throws UniqueViolationError when the new address is taken (nothing written).
   */
  changeEmail(tokenId: number, userId: number, now: Date, keepSessionId?: number): Promise<{ sessionsEnded: number } | undefined>;
}

const RECOVERY_COLUMNS = 'id, user_id, purpose, email, created_at, expires_at, used_at, superseded_at';
// token_hash is unique: its index finds the row.
const FIND_SQL = `select ${RECOVERY_COLUMNS} from recovery_tokens where token_hash = ?`;
const INSERT_SQL = 'insert into recovery_tokens (user_id, purpose, token_hash, email, created_at, expires_at) values (?, ?, ?, ?, ?, ?)';
const SUPERSEDE_PURPOSE_SQL = 'update recovery_tokens set superseded_at = ? where user_id = ? and purpose = ? and used_at is null and superseded_at is null';
const SUPERSEDE_ALL_SQL = 'update recovery_tokens set superseded_at = ? where user_id = ? and used_at is null and superseded_at is null';
// The spend: conditional, so one of concurrent uses changes the row. A reset or verification link also needs
// the address it was sent to to be the user's address still.
const SPEND_SQL = 'update recovery_tokens set used_at = ? where id = ? and used_at is null and superseded_at is null and expires_at > ?';
const SPEND_FOR_CURRENT_ADDRESS_SQL = `${SPEND_SQL} and email = (select u.email from users u where u.id = recovery_tokens.user_id)`;
const SET_PASSWORD_VERIFIED_SQL = 'update users set password_hash = ?, email_verified = ?, updated_at = ? where id = ?';
const SET_VERIFIED_SQL = 'update users set email_verified = ?, updated_at = ? where id = ?';
const SET_EMAIL_SQL = 'update users set email = (select t.email from recovery_tokens t where t.id = ?), email_verified = ?, updated_at = ? where id = ?';

interface RecoveryRow {
  id: number;
  user_id: number;
  purpose: RecoveryPurpose;
  email: string;
  created_at: unknown;
  expires_at: unknown;
  used_at: unknown;
  superseded_at: unknown;
}

const recoveryFromRow = (row: RecoveryRow): RecoveryTokenRecord => ({
  id: Number(row.id),
  userId: Number(row.user_id),
  purpose: row.purpose,
  email: row.email,
  createdAt: toDate(row.created_at),
  expiresAt: toDate(row.expires_at),
  usedAt: toDateOrNull(row.used_at),
  supersededAt: toDateOrNull(row.superseded_at),
});

const spend = async (tx: SqlRunner, sql: string, tokenId: number, now: Date) => (await tx.run(sql, [now, tokenId, now])) === 1;

export function createRecoveryStore(db: SqlDatabase): RecoveryStore {
  return {
    issue(token, mails) {
      return db.transaction(async (tx) => {
        await tx.run(SUPERSEDE_PURPOSE_SQL, [token.createdAt, token.userId, token.purpose]);
        await tx.run(INSERT_SQL, [token.userId, token.purpose, token.tokenHash, token.email, token.createdAt, token.expiresAt]);
        for (const mail of mails) await enqueueMail(tx, mail, token.createdAt);
      });
    },

    async findByHash(tokenHash) {
      const row = await db.one<RecoveryRow>(FIND_SQL, [tokenHash]);
      return row && recoveryFromRow(row);
    },

    resetPassword(tokenId, userId, passwordHash, now) {
      return db.transaction(async (tx) => {
        if (!(await spend(tx, SPEND_FOR_CURRENT_ADDRESS_SQL, tokenId, now))) return false;
        await tx.run(SET_PASSWORD_VERIFIED_SQL, [passwordHash, true, now, userId]);
        await revokeAll(tx, userId, now);
        // A pending email change asked for with the old password dies with it.
        await tx.run(SUPERSEDE_ALL_SQL, [now, userId]);
        return true;
      });
    },

    verifyEmail(tokenId, userId, now) {
      return db.transaction(async (tx) => {
        if (!(await spend(tx, SPEND_FOR_CURRENT_ADDRESS_SQL, tokenId, now))) return false;
        await tx.run(SET_VERIFIED_SQL, [true, now, userId]);
        return true;
      });
    },

    changeEmail(tokenId, userId, now, keepSessionId) {
      return db.transaction(async (tx) => {
        if (!(await spend(tx, SPEND_SQL, tokenId, now))) return undefined;
        await tx.run(SET_EMAIL_SQL, [tokenId, true, now, userId]);
        const sessionsEnded = keepSessionId === undefined ? await revokeAll(tx, userId, now) : await revokeAllBut(tx, userId, now, keepSessionId);
        // Links sent to the old address stop working.
        await tx.run(SUPERSEDE_ALL_SQL, [now, userId]);
        return { sessionsEnded };
      });
    },
  };
}
