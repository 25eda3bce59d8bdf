// The totp_factors and recovery_codes tables, and the users.mfa_enabled flag they go with: every statement
// that reads or writes them. Secrets arrive encrypted (mfa/secret-box.ts) and recovery codes hashed.
import type { Assurance } from '../shared/assurance';
import type { TotpRecord } from './records';
import { revokeAllBut, setAssurance } from './sessions.store';
import { toCount, type SqlDatabase } from './sql';

/** Turning TOTP on: what is stored, and the session that did it. */
export interface Enablement {
  userId: number;
  /** The pending secret as read when the code was checked: the enablement applies only if it is still the pending one. */
  pendingSecret: string;
  /** The time step the confirming code matched: it counts as used. */
  step: number;
  codeHashes: readonly string[];
  /** The calling session: raised to `assurance`; every other session of the user is ended. */
  sessionId: number;
  assurance: Assurance;
  now: Date;
}

export interface MfaStore {
  findTotp(userId: number): Promise<TotpRecord | undefined>;
  /** Start an enrollment: `pendingSecret` replaces any earlier pending one (a confirmed secret stays until confirmed over). */
  savePending(userId: number, pendingSecret: string, now: Date): Promise<void>;
  /**
   * In one transaction: the pending secret becomes the secret, the step counts as used, the recovery codes are
   * replaced, users.mfa_enabled is set, the calling session is raised and the user's other sessions are ended.
   * False (and nothing written) when the pending secret changed or went since it was read.
   */
  enable(enablement: Enablement): Promise<{ enabled: boolean; sessionsEnded: number }>;
  /** Record `step` as used if it is later than the last one used: true for exactly one of concurrent callers. */
  useStep(userId: number, step: number, now: Date): Promise<boolean>;
  /** Spend an unused recovery code: true for exactly one of concurrent callers. */
  useRecoveryCode(userId: number, codeHash: string, now: Date): Promise<boolean>;
  /** Replace every recovery code of the user, used or not; false when TOTP is not on. */
  replaceRecoveryCodes(userId: number, codeHashes: readonly string[], now: Date): Promise<boolean>;
  /** TOTP off: the factor, its codes and the flag go, in one transaction; false when it was not on. */
  disable(userId: number, now: Date): Promise<boolean>;
  /** How many users have TOTP on (start-up refuses to run without the key that decrypts their secrets). */
  countEnabled(): Promise<number>;
}

// user_id is the primary key of totp_factors; recovery_codes is found by its (user_id, code_hash) unique index.
const FIND_TOTP_SQL = 'select user_id, secret, pending_secret, last_used_step from totp_factors where user_id = ?';
const INSERT_PENDING_SQL = 'insert into totp_factors (user_id, secret, pending_secret, last_used_step, updated_at) values (?, null, ?, null, ?)';
const SET_PENDING_SQL = 'update totp_factors set pending_secret = ?, updated_at = ? where user_id = ?';
// The conditional update is the confirmation: of concurrent confirmations of one enrollment, exactly one changes a row.
const CONFIRM_SQL = `update totp_factors set secret = pending_secret, pending_secret = null, last_used_step = ?, updated_at = ?
  where user_id = ? and pending_secret = ?`;
const USE_STEP_SQL = `update totp_factors set last_used_step = ?, updated_at = ?
  where user_id = ? and secret is not null and (last_used_step is null or last_used_step < ?)`;
const USE_CODE_SQL = 'update recovery_codes set used_at = ? where user_id = ? and code_hash = ? and used_at is null';
const DELETE_CODES_SQL = 'delete from recovery_codes where user_id = ?';
const INSERT_CODE_SQL = 'insert into recovery_codes (user_id, code_hash, created_at, used_at) values (?, ?, ?, null)';
const SET_ENABLED_SQL = 'update users set mfa_enabled = ?, updated_at = ? where id = ?';
// Conditional updates of the user's row, not reads: on PostgreSQL the row lock orders a regeneration and a
// disabling of the same user, which would otherwise interleave under READ COMMITTED.
const LOCK_IF_ENABLED_SQL = 'update users set updated_at = ? where id = ? and mfa_enabled = ?';
const TURN_OFF_SQL = 'update users set mfa_enabled = ?, updated_at = ? where id = ? and mfa_enabled = ?';
const DELETE_TOTP_SQL = 'delete from totp_factors where user_id = ?';
const COUNT_ENABLED_SQL = 'select count(*) as count from users where mfa_enabled = ?';

interface TotpRow {
  user_id: number;
  secret: string | null;
  pending_secret: string | null;
  last_used_step: unknown;
}

const totpFromRow = (row: TotpRow): TotpRecord => ({
  userId: Number(row.user_id),
  secret: row.secret,
  pendingSecret: row.pending_secret,
  lastUsedStep: row.last_used_step === null || row.last_used_step === undefined ? null : Number(row.last_used_step),
});

export function createMfaStore(db: SqlDatabase): MfaStore {
  return {
    async findTotp(userId) {
      const row = await db.one<TotpRow>(FIND_TOTP_SQL, [userId]);
      return row && totpFromRow(row);
    },

    savePending(userId, pendingSecret, now) {
      return db.transaction(async (tx) => {
        if ((await tx.run(SET_PENDING_SQL, [pendingSecret, now, userId])) === 0) await tx.run(INSERT_PENDING_SQL, [userId, pendingSecret, now]);
      });
    },

    enable({ userId, pendingSecret, step, codeHashes, sessionId, assurance, now }) {
      return db.transaction(async (tx) => {
        if ((await tx.run(CONFIRM_SQL, [step, now, userId, pendingSecret])) === 0) return { enabled: false, sessionsEnded: 0 };
        await tx.run(DELETE_CODES_SQL, [userId]);
        for (const hash of codeHashes) await tx.run(INSERT_CODE_SQL, [userId, hash, now]);
        await tx.run(SET_ENABLED_SQL, [true, now, userId]);
        await setAssurance(tx, sessionId, assurance);
        return { enabled: true, sessionsEnded: await revokeAllBut(tx, userId, now, sessionId) };
      });
    },

    async useStep(userId, step, now) {
      return (await db.run(USE_STEP_SQL, [step, now, userId, step])) === 1;
    },

    async useRecoveryCode(userId, codeHash, now) {
      return (await db.run(USE_CODE_SQL, [now, userId, codeHash])) === 1;
    },

    replaceRecoveryCodes(userId, codeHashes, now) {
      return db.transaction(async (tx) => {
        if ((await tx.run(LOCK_IF_ENABLED_SQL, [now, userId, true])) === 0) return false;
        await tx.run(DELETE_CODES_SQL, [userId]);
        for (const hash of codeHashes) await tx.run(INSERT_CODE_SQL, [userId, hash, now]);
        return true;
      });
    },

    disable(userId, now) {
      return db.transaction(async (tx) => {
        if ((await tx.run(TURN_OFF_SQL, [false, now, userId, true])) === 0) return false;
        await tx.run(DELETE_TOTP_SQL, [userId]);
        await tx.run(DELETE_CODES_SQL, [userId]);
        return true;
      });
    },

    async countEnabled() {
      return toCount((await db.one<{ count: unknown }>(COUNT_ENABLED_SQL, [true]))?.count);
    },
  };
}
