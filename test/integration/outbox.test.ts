// The mail outbox and its background sender, in-process against a real SMTP server (smtp-server) and the
// run's database: delivery, SMTP down and back, the retry schedule on the test clock, the lease, release
// on close, and development's .eml files. The process-level guarantees (a kill between commit and send,
// several instances) are in outbox-process.test.ts.
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { simpleParser } from 'mailparser';
import { readDatabase } from '../../src/config';
import { openDatabase } from '../../src/db/database';
import { enqueueMail, type OutgoingMail } from '../../src/db/outbox.store';
import { createLogger } from '../../src/shared/logger';
import { GIVE_UP_AFTER_MS, LEASE_MS } from '../../src/mail/retry';
import { LogCapture, startTestServer, type TestServer } from '../helpers/server';
import { freePort } from '../helpers/services';
import { startSmtpServer, type TestSmtp } from '../helpers/smtp';
import { TestClock } from '../helpers/clock';
import { createTestDatabase, openTestDatabase } from '../helpers/database';
import { poll } from '../helpers/wait';

let counter = 0;

function message(overrides: Partial<OutgoingMail> = {}): OutgoingMail {
  counter += 1;
  const token = `tok${counter}_${Math.random().toString(36).slice(2)}`;
  return {
    kind: 'password_reset',
    to: `outbox-${counter}@example.com`,
    subject: `Reset your password (${counter})`,
    text: `Someone asked to reset your password.\n\nhttp://localhost:4000/reset-password?token=${token}\n\nIgnore this if it was not you.\n`,
    html: `<p>Someone asked to reset your password.</p><p><a href="http://localhost:4000/reset-password?token=${token}">Reset it</a></p>`,
    ...overrides,
  };
}

/** Queue `mail` as a flow does: inside a transaction, at the server's clock; then wake the sender. */
async function enqueue(server: TestServer, mail: OutgoingMail): Promise<number> {
  await server.app.db.sql.transaction((tx) => enqueueMail(tx, mail, new Date(server.clock.now())));
  server.app.mail.wake();
  return idOf(server, mail.to);
}

interface OutboxRow {
  id: unknown;
  attempts: unknown;
  next_attempt_at: unknown;
  claimed_by: string | null;
  claimed_until: unknown;
  sent_at: unknown;
  failed_at: unknown;
  last_error: string | null;
  text_body: string;
  html_body: string;
}

async function idOf(server: TestServer, recipient: string): Promise<number> {
  const row = await server.app.db.sql.one<{ id: unknown }>('select id from mail_outbox where recipient = ?', [recipient]);
  return Number(row!.id);
}

async function rowOf(server: TestServer, id: number): Promise<OutboxRow> {
  return (await server.app.db.sql.one<OutboxRow>('select * from mail_outbox where id = ?', [id]))!;
}

const ms = (value: unknown): number => (value === null ? NaN : new Date(typeof value === 'string' ? value : Number(value)).getTime());
const toMe = (mail: OutgoingMail) => (m: { to?: unknown }) => JSON.stringify(m.to).includes(mail.to);

describe('claims', () => {
  it('of concurrent claimers, exactly one gets each due message', async () => {
    // A database with no sender of its own: only the claims below take messages.
    const { db, close } = await openTestDatabase();
    try {
      const now = new Date();
      const mails = Array.from({ length: 20 }, () => message());
      await db.sql.transaction(async (tx) => {
        for (const each of mails) await enqueueMail(tx, each, now);
      });
      const claimed: number[] = [];
      for (let round = 0; round < 20; round += 1) {
        const got = (await Promise.all(Array.from({ length: 20 }, (_, i) => db.outbox.claim(`claimer-${i}`, now, LEASE_MS)))).filter((each) => each !== undefined);
        if (got.length === 0) break;
        claimed.push(...got.map((each) => each.id));
      }
      expect(claimed.length).toBe(mails.length);
      expect(new Set(claimed).size).toBe(mails.length);
    } finally {
      await close();
    }
  });
});

describe('with SMTP up', () => {
  let smtp: TestSmtp;
  let server: TestServer;
  beforeAll(async () => {
    smtp = await startSmtpServer();
    server = await startTestServer({ SMTP_URL: smtp.url, MAIL_FROM: 'Auth Tests <auth@example.com>' });
  });
  afterAll(async () => {
    await server?.close();
    await smtp?.stop();
  });

  it('sends a queued message with its text and HTML parts, from MAIL_FROM', async () => {
    const mail = message();
    await enqueue(server, mail);
    const received = await smtp.nextMessage(toMe(mail));
    expect(received.subject).toBe(mail.subject);
    expect(received.from?.value).toEqual([{ name: 'Auth Tests', address: 'auth@example.com' }]);
    expect(smtp.linkIn(received)).toMatch(/^http:\/\/localhost:4000\/reset-password\?token=tok/);
    expect(received.html).toContain('<a href="http://localhost:4000/reset-password?token=');
  });

  it('marks a sent message sent, blanks its bodies (they carry a token) and keeps no error', async () => {
    const mail = message();
    const id = await enqueue(server, mail);
    await smtp.nextMessage(toMe(mail));
    await waitForRow(server, id, (row) => row.sent_at !== null);
    expect(await rowOf(server, id)).toMatchObject({ attempts: 1, claimed_by: null, claimed_until: null, failed_at: null, last_error: null, text_body: '', html_body: '' });
  });

  it('leaves a message claimed by another sender alone while its lease lasts, and takes it over once the lease is over', async () => {
    const held = message();
    // Claimed in the same transaction as it was queued: no chance for the live sender to claim it first.
    await server.app.db.sql.transaction(async (tx) => {
      const now = new Date(server.clock.now());
      await enqueueMail(tx, held, now);
      await tx.run('update mail_outbox set claimed_by = ?, claimed_until = ?, attempts = 1 where recipient = ?', ['a-dead-instance', new Date(now.getTime() + LEASE_MS), held.to]);
    });
    // A later message: once it has arrived, the sender has been past the held one.
    const marker = message();
    await enqueue(server, marker);
    await smtp.nextMessage(toMe(marker));
    expect(smtp.messages.filter(toMe(held))).toEqual([]);

    server.clock.advance(LEASE_MS / 1000 + 1);
    server.app.mail.wake();
    await smtp.nextMessage(toMe(held));
    const row = await waitForRow(server, await idOf(server, held.to), (each) => each.sent_at !== null);
    expect(row).toMatchObject({ attempts: 2, claimed_by: null });
  });
});

describe('with SMTP down', () => {
  let port: number;
  let server: TestServer;
  let smtp: TestSmtp | undefined;
  const logs = new LogCapture();
  beforeAll(async () => {
    port = await freePort();
    server = await startTestServer({ SMTP_URL: `smtp://127.0.0.1:${port}`, LOG_LEVEL: 'info' }, new TestClock(), logs);
  });
  afterAll(async () => {
    await server?.close();
    await smtp?.stop();
  });

  const failure = (id: number, attempts: number) => logs.waitForLine((line) => line.mailId === id && line.attempts === attempts && line.msg === 'mail: not sent; will try again', 30_000);

  it('keeps a message while SMTP is down, and delivers it once SMTP is up on the same port', async () => {
    const mail = message();
    const id = await enqueue(server, mail);
    await failure(id, 1);
    expect(await rowOf(server, id)).toMatchObject({ sent_at: null, claimed_by: null, text_body: mail.text });

    smtp = await startSmtpServer({ port });
    server.clock.advance(5);
    server.app.mail.wake();
    await smtp.nextMessage(toMe(mail));
    expect(await waitForRow(server, id, (row) => row.sent_at !== null)).toMatchObject({ attempts: 2 });
    await smtp.stop();
    smtp = undefined;
  });

  it('retries after 5 s, 10 s, 20 s … up to 5 min, and gives up after 24 h with an error log that names no address', async () => {
    const mail = message({ kind: 'email_verification' });
    const queuedAt = server.clock.now();
    const id = await enqueue(server, mail);
    const waits = [5, 10, 20, 40, 80, 160, 300, 300, 300];
    for (const [i, seconds] of waits.entries()) {
      const line = await failure(id, i + 1);
      expect(line).toMatchObject({ kind: 'email_verification', retryInMs: seconds * 1000 });
      expect(ms((await rowOf(server, id)).next_attempt_at)).toBe(server.clock.now() + seconds * 1000);
      // A second early it is not due: not even another sender could take it.
      server.clock.advance(seconds - 1);
      expect(await server.app.db.outbox.claim('a-probe', new Date(server.clock.now()), LEASE_MS)).toBeUndefined();
      server.clock.advance(1);
      server.app.mail.wake();
    }
    await failure(id, waits.length + 1);
    server.clock.advance((queuedAt + GIVE_UP_AFTER_MS - server.clock.now()) / 1000);
    server.app.mail.wake();

    const gaveUp = await logs.waitForLine((line) => line.mailId === id && line.msg === 'mail: given up after 24 hours of failed attempts', 30_000);
    expect(gaveUp).toMatchObject({ level: 50, kind: 'email_verification', attempts: waits.length + 2 });
    const row = await rowOf(server, id);
    expect(ms(row.failed_at)).toBe(server.clock.now());
    expect(row).toMatchObject({ sent_at: null, claimed_by: null, text_body: '', html_body: '' });
    expect(row.last_error).toMatch(/^[A-Z_]+( \d{3})?$/);
    // Given up is final.
    server.clock.advance(3600);
    expect(await server.app.db.outbox.claim('a-probe', new Date(server.clock.now()), LEASE_MS)).toBeUndefined();
    const written = JSON.stringify(logs.lines);
    expect(written).not.toContain(mail.to);
    expect(written).not.toContain('token=');
  }, 120_000);
});

describe('on close', () => {
  let silent: Server;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    // A mail server that accepts the connection and never greets: a send stays in flight until its timeout.
    silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((done) => silent.listen(0, '127.0.0.1', done));
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((done) => silent.close(done));
  });

  it('lets a send in flight finish, and leaves no claim behind for another sender to wait out', async () => {
    const database = await createTestDatabase();
    try {
      const port = (silent.address() as { port: number }).port;
      const server = await startTestServer({ ...database.env, SMTP_URL: `smtp://127.0.0.1:${port}` });
      const id = await enqueue(server, message());
      await waitForRow(server, id, (row) => row.claimed_by !== null);
      await server.close();

      const db = await openDatabase(readDatabase(database.env), createLogger('silent'), { migrate: false, lock: false, cacheSessions: false });
      try {
        const row = (await db.sql.one<OutboxRow>('select * from mail_outbox where id = ?', [id]))!;
        expect(row).toMatchObject({ claimed_by: null, claimed_until: null, sent_at: null, attempts: 1 });
        expect(row.last_error).toMatch(/^[A-Z_]+$/);
      } finally {
        await db.close();
      }
    } finally {
      await database.drop();
    }
  }, 120_000);
});

describe('in development without SMTP_URL', () => {
  it('writes each message as a private .eml file under DATA_DIR/outbox and logs its path', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'auth-mail-'));
    const logs = new LogCapture();
    const server = await startTestServer({ NODE_ENV: 'development', DATA_DIR: dataDir, LOG_LEVEL: 'info' }, new TestClock(), logs);
    try {
      const mail = message();
      const id = await enqueue(server, mail);
      const line = await logs.waitForLine((each) => each.mailId === id && typeof each.path === 'string', 30_000);
      const path = line.path as string;
      expect(resolve(path).startsWith(resolve(dataDir, 'outbox'))).toBe(true);
      expect(path).toMatch(/\.eml$/);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      const parsed = await simpleParser(readFileSync(path));
      expect(parsed.subject).toBe(mail.subject);
      expect(JSON.stringify(parsed.to)).toContain(mail.to);
      expect(parsed.text).toBe(mail.text);
      expect(await waitForRow(server, id, (row) => row.sent_at !== null)).toMatchObject({ text_body: '' });
      expect(JSON.stringify(logs.lines)).not.toContain(mail.to);
    } finally {
      await server.close();
    }
  });
});

/** The row once `until` holds: the sender's writes announce themselves by no event a test can await. */
async function waitForRow(server: TestServer, id: number, until: (row: OutboxRow) => boolean): Promise<OutboxRow> {
  const { value, met } = await poll(() => rowOf(server, id), until, { withinMs: 30_000, everyMs: 20 });
  if (!met) throw new Error(`outbox row ${id} never reached the expected state: ${JSON.stringify(value)}`);
  return value;
}
