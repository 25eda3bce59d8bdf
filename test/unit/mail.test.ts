// The mail settings (config.mail) and the outbox's retry schedule, on their own.
import { loadConfig } from '../../src/config';
import { afterFailure, FIRST_RETRY_MS, GIVE_UP_AFTER_MS, MAX_RETRY_MS, retryDelayMs } from '../../src/mail/retry';
import { describeSendError } from '../../src/mail/transports';
import { configErrorOf } from '../helpers/config-error';

const SECRET = 'x'.repeat(32);
const configError = (env: Record<string, string>) => configErrorOf(() => loadConfig(env));

describe('mail settings', () => {
  it('default to .eml files under ./data/outbox, from a no-reply address, enabled', () => {
    expect(loadConfig({ JWT_SECRET: SECRET }).mail).toEqual({ from: 'Auth <no-reply@localhost>', disabled: false, outboxDir: 'data/outbox' });
  });

  it('put the development outbox under DATA_DIR', () => {
    expect(loadConfig({ JWT_SECRET: SECRET, DATA_DIR: '/var/lib/auth/' }).mail.outboxDir).toBe('/var/lib/auth/outbox');
  });

  it('accept smtp:// and smtps:// URLs', () => {
    expect(loadConfig({ JWT_SECRET: SECRET, SMTP_URL: 'smtps://user:pass@mail.example.com:465' }).mail.smtpUrl).toBe('smtps://user:pass@mail.example.com:465');
    expect(loadConfig({ JWT_SECRET: SECRET, SMTP_URL: 'smtp://127.0.0.1:2525' }).mail.smtpUrl).toBe('smtp://127.0.0.1:2525');
  });

  it.each(['http://mail.example.com', 'mail.example.com:25', 'smtp:relay'])('refuse SMTP_URL=%s without repeating it', (url) => {
    const error = configError({ JWT_SECRET: SECRET, SMTP_URL: url });
    expect(error.variable).toBe('SMTP_URL');
    expect(error.message).not.toContain(url);
  });

  it('never repeat the SMTP password in a refusal', () => {
    expect(configError({ JWT_SECRET: SECRET, SMTP_URL: 'imap://user:hunter2-secret@mail.example.com' }).message).not.toContain('hunter2');
  });

  it('refuse production without SMTP_URL, naming it and the way out', () => {
    const error = configError({ JWT_SECRET: SECRET, NODE_ENV: 'production' });
    expect(error.variable).toBe('SMTP_URL');
    expect(error.message).toMatch(/required in production.*MAIL_DISABLED=true/);
  });

  it('accept production with MAIL_DISABLED=true, or with SMTP_URL', () => {
    expect(loadConfig({ JWT_SECRET: SECRET, NODE_ENV: 'production', MAIL_DISABLED: 'true' }).mail.disabled).toBe(true);
    expect(loadConfig({ JWT_SECRET: SECRET, NODE_ENV: 'production', SMTP_URL: 'smtp://mail.internal:587' }).mail.disabled).toBe(false);
  });
});

describe('the retry schedule', () => {
  it('waits 5 s after the first failure, doubling each time, up to 5 minutes', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 20, 100].map(retryDelayMs)).toEqual([5, 10, 20, 40, 80, 160, 300, 300, 300, 300].map((s) => s * 1000));
    expect(retryDelayMs(1)).toBe(FIRST_RETRY_MS);
    expect(retryDelayMs(1000)).toBe(MAX_RETRY_MS);
  });

  it('retries a failure before 24 h, and gives up at 24 h', () => {
    const queued = new Date(Date.UTC(2026, 0, 1));
    const justBefore = new Date(queued.getTime() + GIVE_UP_AFTER_MS - 1);
    expect(afterFailure(3, queued, justBefore)).toEqual({ giveUp: false, retryAt: new Date(justBefore.getTime() + 20_000) });
    expect(afterFailure(3, queued, new Date(queued.getTime() + GIVE_UP_AFTER_MS))).toEqual({ giveUp: true });
  });
});

describe('a failed send, as logged and stored', () => {
  it('is the error code and the server reply code, never the message (which can quote the address)', () => {
    const refused = Object.assign(new Error("Can't send mail - all recipients were rejected: 550 <someone@example.com>: no such user"), { code: 'EENVELOPE', responseCode: 550 });
    expect(describeSendError(refused)).toBe('EENVELOPE 550');
    expect(describeSendError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:2525'), { code: 'ESOCKET' }))).toBe('ESOCKET');
    expect(describeSendError(Object.assign(new Error('x'), { code: 'some@example.com' }))).toBe('Error');
  });
});
