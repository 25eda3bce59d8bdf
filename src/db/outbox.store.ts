// The mail_outbox table: the queue of messages to send. A service writes a message with enqueueMail inside
// the same transaction as the token it carries, so both commit or neither does; the background sender
// (mail/) claims, sends and marks them. Addresses and bodies are never logged, and last_error never holds them.
import type { SqlRunner } from './sql';

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

const ENQUEUE_SQL = `insert into mail_outbox (kind, recipient, subject, text_body, html_body, created_at, next_attempt_at, attempts)
  values (?, ?, ?, ?, ?, ?, ?, 0)`;

/**
 * Queue `mail`, due at once. A plain insert: call it with the `tx` of any store's `sql.transaction`, so the
 * message commits with what it announces. Wake the sender (MailSender.wake) after the commit.
 */
export async function enqueueMail(tx: SqlRunner, mail: OutgoingMail, now: Date): Promise<void> {
  await tx.run(ENQUEUE_SQL, [mail.kind, mail.to, mail.subject, mail.text, mail.html, now, now]);
}
