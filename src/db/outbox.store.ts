// The mail_outbox table: the queue of messages to send. A service writes a message with enqueueMail inside
// the same transaction as the token it carries, so both commit or neither does; the background sender
// (mail/) claims, sends and marks them. Addresses and bodies are never logged, and last_error never holds them.
import { toDate, type Dialect, type SqlDatabase, type SqlRunner } from './sql';

export const MAIL_KINDS = ['password_reset', 'email_verification', 'email_change', 'email_change_notice'] as const;
export type MailKind = (typeof MAIL_KINDS)[number];

/** One message, as the flow that needs it writes it. */
export interface OutgoingMail {
  kind: MailKind;
  to: string;
  subject: string;
  /** The plain-text part. */
  text: string;
  html: string;
}

/** A message claimed for sending. */
export interface QueuedMail extends OutgoingMail {
  id: number;
  /** Attempts started, this one included. */
  attempts: number;
  createdAt: Date;
}

export interface OutboxStore {
  /**
   * Claim the most overdue message that is due at `now` and not claimed by a live lease: for `leaseMs` no other
   * sender takes it. Of concurrent claimers, exactly one gets each message. Undefined when none is due.
   */
  claim(sender: string, now: Date, leaseMs: number): Promise<QueuedMail | undefined>;
  /** The message went out: it is never sent again, and its bodies (which carry a token) are blanked. */
  markSent(id: number, now: Date): Promise<void>;
  /** The attempt failed: due again at `retryAt`. False when `sender` no longer holds the claim. */
  reschedule(id: number, sender: string, retryAt: Date, error: string): Promise<boolean>;
  /** No more attempts: kept for the record, bodies blanked. False when `sender` no longer holds the claim. */
  giveUp(id: number, sender: string, now: Date, error: string): Promise<boolean>;
  /** Drop `sender`'s claims on unsent messages, so that another sender takes them at once. Returns how many. */
  release(sender: string): Promise<number>;
}

const ENQUEUE_SQL = `insert into mail_outbox (kind, recipient, subject, text_body, html_body, created_at, next_attempt_at, attempts)
  values (?, ?, ?, ?, ?, ?, ?, 0)`;

/**
 * Queue `mail`, due at once. A plain insert: call it with the `tx` of any store's `sql.transaction`, so the
 * message commits with what it announces. Wake the sender (MailSender.wake) after the commit.
 */
export async function enqueueMail(tx: SqlRunner, mail: OutgoingMail, now: Date): Promise<void> {
  await tx.run(ENQUEUE_SQL, [mail.kind, mail.to, mail.subject, mail.text, mail.html, now, now]);
}

// Due: not sent, not given up, its time has come, and no live lease on it (parameters: now, now).
const DUE = 'sent_at is null and failed_at is null and next_attempt_at <= ? and (claimed_until is null or claimed_until <= ?)';
const COLUMNS = 'id, kind, recipient, subject, text_body, html_body, attempts, created_at';
// Served by the partial index mail_outbox_due_index.
const NEXT_DUE_SQL = `select id from mail_outbox where ${DUE} order by next_attempt_at, id limit 1`;
// One statement, atomic on both databases: the outer condition re-checks the row the inner query chose, so
// of concurrent claimers one changes it. PostgreSQL's claimers also skip the rows another has locked,
// instead of queueing behind it.
const claimSql = (lock: string) => `update mail_outbox set claimed_by = ?, claimed_until = ?, attempts = attempts + 1
  where id = (select id from mail_outbox where ${DUE} order by next_attempt_at, id limit 1${lock}) and ${DUE}
  returning ${COLUMNS}`;
const CLAIM_SQL: Record<Dialect, string> = { sqlite: claimSql(''), postgresql: claimSql(' for update skip locked') };
const MARK_SENT_SQL = `update mail_outbox set sent_at = ?, claimed_by = null, claimed_until = null, last_error = null, text_body = '', html_body = ''
  where id = ? and sent_at is null`;
const RESCHEDULE_SQL = `update mail_outbox set next_attempt_at = ?, last_error = ?, claimed_by = null, claimed_until = null
  where id = ? and claimed_by = ? and sent_at is null and failed_at is null`;
const GIVE_UP_SQL = `update mail_outbox set failed_at = ?, last_error = ?, claimed_by = null, claimed_until = null, text_body = '', html_body = ''
  where id = ? and claimed_by = ? and sent_at is null and failed_at is null`;
const RELEASE_SQL = 'update mail_outbox set claimed_by = null, claimed_until = null where claimed_by = ? and sent_at is null and failed_at is null';

/**
 * Every statement the background sender runs, each a single statement (no transaction): the tests that pin
 * the statements of a request leave these out, since the sender runs them whenever it polls.
 */
export const SENDER_STATEMENTS: readonly string[] = [NEXT_DUE_SQL, ...Object.values(CLAIM_SQL), MARK_SENT_SQL, RESCHEDULE_SQL, GIVE_UP_SQL, RELEASE_SQL];

interface QueuedRow {
  id: unknown;
  kind: MailKind;
  recipient: string;
  subject: string;
  text_body: string;
  html_body: string;
  attempts: unknown;
  created_at: unknown;
}

const queuedFromRow = (row: QueuedRow): QueuedMail => ({
  id: Number(row.id),
  kind: row.kind,
  to: row.recipient,
  subject: row.subject,
  text: row.text_body,
  html: row.html_body,
  attempts: Number(row.attempts),
  createdAt: toDate(row.created_at),
});

export function createOutboxStore(db: SqlDatabase): OutboxStore {
  return {
    async claim(sender, now, leaseMs) {
      // A plain read first, so that an idle poll writes nothing (on SQLite, takes no write lock).
      if (!(await db.one(NEXT_DUE_SQL, [now, now]))) return undefined;
      const row = await db.one<QueuedRow>(CLAIM_SQL[db.dialect], [sender, new Date(now.getTime() + leaseMs), now, now, now, now]);
      return row && queuedFromRow(row);
    },

    async markSent(id, now) {
      await db.run(MARK_SENT_SQL, [now, id]);
    },

    async reschedule(id, sender, retryAt, error) {
      return (await db.run(RESCHEDULE_SQL, [retryAt, error, id, sender])) === 1;
    },

    async giveUp(id, sender, now, error) {
      return (await db.run(GIVE_UP_SQL, [now, error, id, sender])) === 1;
    },

    release(sender) {
      return db.run(RELEASE_SQL, [sender]);
    },
  };
}
