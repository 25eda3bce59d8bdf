// What the services see of mail: a sender to wake once a transaction that queued a message (db/outbox.store.ts
// enqueueMail) has committed. Waking is a hint: the sender also polls the outbox, so a missed wake delays a
// message by at most a poll interval and loses nothing.
export interface MailSender {
  /** Send what is due now, off the caller's path: returns at once. */
  wake(): void;
}

/** For MAIL_DISABLED and for wiring that sends nothing. */
export const idleMailSender: MailSender = { wake: () => undefined };
