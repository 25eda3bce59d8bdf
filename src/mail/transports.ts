// How a message leaves: over SMTP (nodemailer), or in development without SMTP_URL as an .eml file a
// developer can open. Either way the caller gets no address or body back in an error it might log.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTransport } from 'nodemailer';
import { ensurePrivateDir } from '../shared/private-files';

export interface Envelope {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface MailTransport {
  /** Deliver one message; `name` names its file, if it makes one. Resolves with that file's path, if any. */
  send(message: Envelope, name: string): Promise<string | undefined>;
  close(): void;
}

// Well inside the claim's lease (LEASE_MS): a send that hangs fails and is retried, rather than being taken
// over by another sender while this one may still deliver it.
const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000, dnsTimeout: 10_000 };

/**
 * A connection reused for the messages of a burst (the sender sends one at a time, so one is enough), closed
 * once idle for this long. A new connection per message cost ~110 ms here against ~5 ms on a kept one: the
 * soak's 600-900 verification emails took most of a minute to leave.
 */
const SMTP_POOL = { pool: true, maxConnections: 1, maxMessages: 100, idleTimeout: 10_000 } as const;

/** SMTP at `url` (smtp://user:pass@host:port, smtps:// for TLS), over one kept connection (SMTP_POOL). */
export function smtpTransport(url: string): MailTransport {
  const transport = createTransport({ url, ...SMTP_POOL, ...SMTP_TIMEOUTS });
  return {
    async send(message) {
      await transport.sendMail(message);
      return undefined;
    },
    close: () => transport.close(),
  };
}

/** Each message as `dir/name.eml` (mode 0600: it carries a token), written by nodemailer's own composer. */
export function fileTransport(dir: string): MailTransport {
  const transport = createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    async send(message, name) {
      const info = await transport.sendMail(message);
      ensurePrivateDir(dir);
      const path = join(dir, `${name}.eml`);
      writeFileSync(path, info.message as Buffer, { mode: 0o600 });
      return path;
    },
    close: () => transport.close(),
  };
}

/**
 * What may be logged or stored of a failed send: nodemailer's error code and the server's reply code
 * ("EENVELOPE 550"), never its message, which can quote the address.
 */
export function describeSendError(error: unknown): string {
  const { code, responseCode } = (error ?? {}) as { code?: unknown; responseCode?: unknown };
  const name = typeof code === 'string' && /^[A-Z_]+$/.test(code) ? code : error instanceof Error ? error.name : 'Error';
  return typeof responseCode === 'number' ? `${name} ${responseCode}` : name;
}
