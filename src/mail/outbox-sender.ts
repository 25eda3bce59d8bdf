// The background sender: in every server process, it claims due messages from the outbox (a lease, so that
// one of several instances sends each, and another takes over from one that died), sends them, and marks
// them sent, or reschedules them (mail/retry.ts). Woken after a commit that queued mail; polls otherwise.
// The table is the queue: a restart loses nothing. Logs name a message by id and kind, never its address.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { MailSettings } from '../config';
import type { OutboxStore, QueuedMail } from '../db/outbox.store';
import type { Clock } from '../shared/clock';
import type { Logger } from '../shared/logger';
import type { MailSender } from './mail-sender';
import { afterFailure, LEASE_MS, POLL_MS } from './retry';
import { describeSendError, fileTransport, smtpTransport, type MailTransport } from './transports';

/** How long stop() waits for a send in flight before it lets go of the claims regardless. */
const STOP_WAIT_MS = 30_000;

export interface OutboxSenderOptions {
  store: OutboxStore;
  transport: MailTransport;
  from: string;
  clock: Clock;
  logger: Logger;
  /** What this sender's claims are written as; unique per sender. */
  senderId?: string;
  leaseMs?: number;
  pollMs?: number;
}

export class OutboxSender implements MailSender {
  readonly senderId: string;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private wokenWhileRunning = false;
  private stopped = false;

  constructor(private readonly options: OutboxSenderOptions) {
    this.senderId = options.senderId ?? `${hostname()}/${process.pid}/${randomBytes(4).toString('hex')}`;
    this.leaseMs = options.leaseMs ?? LEASE_MS;
    this.pollMs = options.pollMs ?? POLL_MS;
  }

  start(): void {
    this.schedule(0);
  }

  wake(): void {
    if (this.stopped) return;
    if (this.running) this.wokenWhileRunning = true;
    else this.schedule(0);
  }

  /** Stop claiming, let a send in flight finish (bounded), then release this sender's unsent claims for others. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.running) {
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_WAIT_MS)));
      await Promise.race([this.running, bound]);
      clearTimeout(timer);
    }
    try {
      const released = await this.options.store.release(this.senderId);
      if (released > 0) this.options.logger.info({ released }, 'mail: claims released for another sender');
    } catch (error) {
      this.options.logger.warn({ err: error }, 'mail: claims could not be released; their lease will expire');
    }
    this.options.transport.close();
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.run(), ms);
  }

  private run(): void {
    if (this.running || this.stopped) return;
    this.wokenWhileRunning = false;
    this.running = this.drain().finally(() => {
      this.running = undefined;
      if (!this.stopped) this.schedule(this.wokenWhileRunning ? 0 : this.pollMs);
    });
  }

  /** Send everything due, one message at a time, until nothing is due or the sender stops. */
  private async drain(): Promise<void> {
    while (!this.stopped) {
      let mail: QueuedMail | undefined;
      try {
        mail = await this.options.store.claim(this.senderId, this.now(), this.leaseMs);
      } catch (error) {
        this.options.logger.warn({ err: error }, 'mail: the outbox could not be read; trying again shortly');
        return;
      }
      if (!mail) return;
      await this.deliver(mail);
    }
  }

  private async deliver(mail: QueuedMail): Promise<void> {
    const { logger, transport, store, from } = this.options;
    const fields = { mailId: mail.id, kind: mail.kind, attempts: mail.attempts, sender: this.senderId };
    let path: string | undefined;
    try {
      path = await transport.send({ from, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html }, `${mail.createdAt.getTime()}-${mail.id}-${mail.kind}`);
    } catch (error) {
      await this.failed(mail, describeSendError(error));
      return;
    }
    try {
      await store.markSent(mail.id, this.now());
    } catch (error) {
      // Sent but not marked: when the lease ends it is sent again. Twice is better than never.
      logger.error({ ...fields, err: error }, 'mail: sent, but could not be marked sent; it may be sent again');
      return;
    }
    if (path) logger.info({ ...fields, path }, 'mail: written to a file (no SMTP_URL); open it to follow its link');
    else logger.info(fields, 'mail: sent');
  }

  private async failed(mail: QueuedMail, error: string): Promise<void> {
    const { logger, store } = this.options;
    const fields = { mailId: mail.id, kind: mail.kind, attempts: mail.attempts, sender: this.senderId, error };
    const now = this.now();
    const next = afterFailure(mail.attempts, mail.createdAt, now);
    try {
      if (next.giveUp) {
        if (await store.giveUp(mail.id, this.senderId, now, error)) logger.error(fields, 'mail: given up after 24 hours of failed attempts');
      } else if (await store.reschedule(mail.id, this.senderId, next.retryAt, error)) {
        logger.warn({ ...fields, retryInMs: next.retryAt.getTime() - now.getTime() }, 'mail: not sent; will try again');
      }
    } catch (storeError) {
      logger.warn({ ...fields, err: storeError }, 'mail: not sent, and the failure could not be recorded; the lease will expire');
    }
  }

  private now(): Date {
    return new Date(this.options.clock.now());
  }
}

/** The sender config.mail asks for: SMTP when SMTP_URL is set, .eml files otherwise. MAIL_DISABLED: none. */
export function createOutboxSender(settings: MailSettings, store: OutboxStore, clock: Clock, logger: Logger): OutboxSender | undefined {
  if (settings.disabled) return undefined;
  const transport = settings.smtpUrl ? smtpTransport(settings.smtpUrl) : fileTransport(settings.outboxDir);
  return new OutboxSender({ store, transport, from: settings.from, clock, logger });
}
