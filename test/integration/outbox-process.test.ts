// The outbox across processes (the compiled server, dist/main.js): production's mail settings at start-up,
// a message committed by a server SIGKILLed before it could send it, and several senders on one database.
// Messages are queued straight into the database the way a flow queues them (enqueueMail in a transaction).
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readDatabase } from '../../src/config';
import { openDatabase, type Database } from '../../src/db/database';
import { enqueueMail, type OutgoingMail } from '../../src/db/outbox.store';
import { createLogger } from '../../src/shared/logger';
import { createTestDatabase, onPostgres, type TestDatabase } from '../helpers/database';
import { groupEnv, startInstances } from '../helpers/instances';
import { childEnv, MAIN, startServerProcess, stop, type RunningServer } from '../helpers/process';
import { freePort, REDIS, describeWithService } from '../helpers/services';
import { startSmtpServer, type ParsedMail, type TestSmtp } from '../helpers/smtp';
import { waitFor } from '../helpers/wait';

const SECRET = 'p'.repeat(40);
let scratch: string;
beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), 'auth-outbox-'));
});

function mail(n: number, tag: string): OutgoingMail {
  return {
    kind: 'email_verification',
    to: `${tag}-${n}@example.com`,
    subject: `Verify your email (${tag} ${n})`,
    text: `Confirm your address:\n\nhttp://localhost:4000/verify-email?token=${tag}${n}\n`,
    html: `<p><a href="http://localhost:4000/verify-email?token=${tag}${n}">Confirm</a></p>`,
  };
}

/** The test's own connection to a database a server process has migrated (and, on SQLite, locked). */
function connect(database: TestDatabase): Promise<Database> {
  return openDatabase(readDatabase(database.env), createLogger('silent'), { migrate: false, lock: false, cacheSessions: false });
}

async function enqueueAll(db: Database, mails: OutgoingMail[]): Promise<void> {
  await db.sql.transaction(async (tx) => {
    for (const each of mails) await enqueueMail(tx, each, new Date());
  });
}

async function unsent(db: Database): Promise<number> {
  const row = await db.sql.one<{ count: unknown }>('select count(*) as count from mail_outbox where sent_at is null');
  return Number(row?.count);
}

const recipientsOf = (messages: ParsedMail[]) => messages.map((m) => (m.to && !Array.isArray(m.to) ? m.to.value[0].address : undefined));

describe('production settings', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.drop());

  it('refuses to start in production without SMTP_URL, naming it', () => {
    const result = spawnSync(process.execPath, [MAIN], { cwd: scratch, env: childEnv(database, { NODE_ENV: 'production', JWT_SECRET: SECRET }), encoding: 'utf8', timeout: 30_000 });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Configuration error: SMTP_URL: is required in production');
    expect(result.stderr).toContain('MAIL_DISABLED=true');
  });

  it('starts in production with MAIL_DISABLED=true, and says mail is disabled', async () => {
    const server = await startServerProcess(scratch, database, { NODE_ENV: 'production', JWT_SECRET: SECRET, MAIL_DISABLED: 'true' });
    try {
      expect(server.ready.mail).toBe('disabled');
    } finally {
      await stop(server.child);
    }
  });

  it('starts in production with SMTP_URL, and never shows its password', async () => {
    const server = await startServerProcess(scratch, database, { NODE_ENV: 'production', JWT_SECRET: SECRET, SMTP_URL: 'smtp://mailer:s3cret-pass@127.0.0.1:2525' });
    try {
      expect(server.ready.mail).toBe('smtp');
      expect(server.output()).not.toContain('s3cret-pass');
    } finally {
      await stop(server.child);
    }
  });
});

describe('a server SIGKILLed after the commit, before the send', () => {
  let database: TestDatabase;
  let smtp: TestSmtp | undefined;
  let db: Database | undefined;
  const running: RunningServer[] = [];
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    for (const server of running) if (server.child.exitCode === null && server.child.signalCode === null) await stop(server.child);
    await db?.close();
    await smtp?.stop();
    await database.drop();
  });

  it('loses nothing: the next server delivers the message, exactly once', async () => {
    // The first server's mail server is down: what it committed stays unsent, deterministically.
    const downPort = await freePort();
    const first = await startServerProcess(scratch, database, { SMTP_URL: `smtp://127.0.0.1:${downPort}`, LOG_LEVEL: 'info' });
    running.push(first);
    db = await connect(database);
    const message = mail(1, 'killed');
    await enqueueAll(db, [message]);
    // It tried (so it had the message in hand) and failed; its claim is back in the table, not in its memory.
    await first.waitForOutput(/"msg":"mail: not sent; will try again"/, 1);
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));

    smtp = await startSmtpServer();
    const second = await startServerProcess(scratch, database, { SMTP_URL: smtp.url, LOG_LEVEL: 'info' });
    running.push(second);
    const received = await smtp.nextMessage(undefined, 60_000);
    expect(received.subject).toBe(message.subject);
    await waitFor(async () => (await unsent(db!)) === 0, 'the message to be marked sent', { withinMs: 30_000, everyMs: 50 });
    expect(recipientsOf(smtp.messages)).toEqual([message.to]);
    expect(second.output()).not.toContain(message.to);
  }, 180_000);
});

const COUNT = 20;

/** Every message arrived once, and each sender sent some. */
async function expectEachOnce(smtp: TestSmtp, db: Database, servers: RunningServer[], tag: string): Promise<void> {
  await waitFor(async () => (await unsent(db)) === 0, `all ${COUNT} messages to be marked sent`, { withinMs: 120_000, everyMs: 100 });
  const expected = Array.from({ length: COUNT }, (_, i) => mail(i + 1, tag).to).sort();
  expect(recipientsOf(smtp.messages).sort()).toEqual(expected);
  const sentBy = servers.map((server) => server.lines().filter((line) => line.msg === 'mail: sent').map((line) => line.mailId));
  expect(sentBy.flat().length).toBe(COUNT);
  expect(new Set(sentBy.flat()).size).toBe(COUNT);
  for (const ids of sentBy) expect(ids.length).toBeGreaterThan(0);
}

describe('several senders on one database', () => {
  let database: TestDatabase;
  let smtp: TestSmtp;
  let db: Database | undefined;
  beforeAll(async () => {
    database = await createTestDatabase();
    // 100 ms a message: one sender alone would take 2 s, so the others' polls (every second) find work too.
    smtp = await startSmtpServer({ delayMs: 100 });
  });
  afterAll(async () => {
    await db?.close();
    await smtp.stop();
    await database.drop();
  });

  if (onPostgres) {
    describeWithService(REDIS, 'two instances', () => {
      it(`deliver ${COUNT} messages, each exactly once`, async () => {
        const instances = await startInstances(['a', 'b'], groupEnv(database, { SMTP_URL: smtp.url }));
        try {
          db = await connect(database);
          await enqueueAll(db, Array.from({ length: COUNT }, (_, i) => mail(i + 1, 'instances')));
          await expectEachOnce(smtp, db, instances.map((instance) => instance.server), 'instances');
        } finally {
          await Promise.all(instances.map((instance) => instance.stop()));
        }
      }, 180_000);
    });
  } else {
    it(`two cluster workers on one SQLite file deliver ${COUNT} messages, each exactly once`, async () => {
      const server = await startServerProcess(scratch, database, { SMTP_URL: smtp.url, WEB_CONCURRENCY: '2', LOG_LEVEL: 'info' });
      try {
        db = await connect(database);
        await enqueueAll(db, Array.from({ length: COUNT }, (_, i) => mail(i + 1, 'workers')));
        await waitFor(async () => (await unsent(db!)) === 0, `all ${COUNT} messages to be marked sent`, { withinMs: 120_000, everyMs: 100 });
        const expected = Array.from({ length: COUNT }, (_, i) => mail(i + 1, 'workers').to).sort();
        expect(recipientsOf(smtp.messages).sort()).toEqual(expected);
        // Both workers log into the one output: each line names its sender.
        const sent = server.lines().filter((line) => line.msg === 'mail: sent');
        expect(new Set(sent.map((line) => line.mailId)).size).toBe(COUNT);
        expect(sent.length).toBe(COUNT);
        expect(new Set(sent.map((line) => line.sender)).size).toBe(2);
      } finally {
        await stop(server.child);
      }
    }, 180_000);
  }
});
