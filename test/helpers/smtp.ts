// A real SMTP server for the tests (smtp-server, from the nodemailer project), on 127.0.0.1, that keeps
// every message it receives parsed by mailparser. Stop it and start it again on the same port to take the
// mail server "down" and bring it "up later".
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export type { ParsedMail };

export interface TestSmtp {
  port: number;
  /** smtp://127.0.0.1:PORT, for SMTP_URL. */
  url: string;
  /** Every message received, in order. */
  messages: ParsedMail[];
  /**
   * The first message, received already or later, that matches `predicate` and no earlier call returned;
   * rejects when none arrives within `withinMs`.
   */
  nextMessage(predicate?: (m: ParsedMail) => boolean, withinMs?: number): Promise<ParsedMail>;
  /** The first http(s) URL on a line of its own in the message's text part. */
  linkIn(m: ParsedMail): string;
  stop(): Promise<void>;
}

export interface SmtpOptions {
  /** Listen on this port (to come back where a stopped one was); default: any free port. */
  port?: number;
  /** Accept each message only after this many ms: a slow mail server, so that concurrent senders overlap. */
  delayMs?: number;
}

const DEFAULT_WITHIN_MS = 15_000;

export async function startSmtpServer(options: SmtpOptions = {}): Promise<TestSmtp> {
  const messages: ParsedMail[] = [];
  const taken = new Set<ParsedMail>();
  const waiting = new Set<() => void>();

  const server = new SMTPServer({
    secure: false,
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    // A sender that keeps its connection open must not hold stop() for the default 30 s.
    closeTimeout: 1000,
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then(async (parsed) => {
          if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
          messages.push(parsed);
          for (const notify of waiting) notify();
          callback();
        })
        .catch((error: Error) => callback(error));
    },
  });

  const port = await new Promise<number>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.server.off('error', reject);
      resolve((server.server.address() as { port: number }).port);
    });
  });

  function take(predicate: (m: ParsedMail) => boolean): ParsedMail | undefined {
    const found = messages.find((m) => !taken.has(m) && predicate(m));
    if (found) taken.add(found);
    return found;
  }

  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages,
    nextMessage(predicate = () => true, withinMs = DEFAULT_WITHIN_MS) {
      const found = take(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(check);
          reject(new Error(`no matching message arrived at the test SMTP server within ${withinMs} ms (${messages.length} received)`));
        }, withinMs);
        function check(): void {
          const arrived = take(predicate);
          if (!arrived) return;
          clearTimeout(timer);
          waiting.delete(check);
          resolve(arrived);
        }
        waiting.add(check);
      });
    },
    linkIn(m) {
      const line = (m.text ?? '').split(/\r?\n/).map((each) => each.trim()).find((each) => /^https?:\/\/\S+$/.test(each));
      if (line === undefined) throw new Error('the message has no link on a line of its own in its text part');
      return line;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
