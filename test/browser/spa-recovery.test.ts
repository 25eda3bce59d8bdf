// Account recovery in the SPA example, in a real browser (Debian's chromium via playwright-core) against the
// real API in cookie mode and a real SMTP server: "forgot password?" asks for a link, the link comes by email
// and opens the SPA's reset page, the new password logs the user in (with the second factor still owed by a
// user who has one), and the old password, the old sessions and the used link are refused. The verification
// link of the signup email opens the SPA's verify page.
import type { Server } from 'node:http';
import { type BrowserContext, type Page } from 'playwright-core';
import { MeDocument } from '../../src/client/graphql';
import { describeWithChromium, serveSpa, textOf, waitForText, launchChromium } from '../helpers/browser';
import { errorOf, signUp, startTestServer, TEST_PASSWORD, type TestServer } from '../helpers/server';
import { isTo, nextMail, SUBJECTS } from '../helpers/recovery';
import { startSmtpServer, type TestSmtp } from '../helpers/smtp';
import { enrollTotp } from '../helpers/totp';

const NEW_PASSWORD = 'a new horse battery staple';
/** How long a reset link lasts in this test: the default, named so that the clock can pass it. */
const RESET_TTL_SECONDS = 1800;

describeWithChromium('account recovery in the SPA example, in chromium (cookie mode, real SMTP)', (executablePath) => {
  let api: TestServer;
  let smtp: TestSmtp;
  let spa: { server: Server; origin: string };
  let context: BrowserContext;
  let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;

  beforeAll(async () => {
    spa = await serveSpa();
    smtp = await startSmtpServer();
    api = await startTestServer({
      AUTH_COOKIE_MODE: 'true',
      AUTH_COOKIE_SECURE: 'false',
      CORS_ORIGINS: spa.origin,
      SMTP_URL: smtp.url,
      MAIL_FROM: 'auth@example.com',
      // The links open the SPA's pages, which call the API.
      RESET_PASSWORD_URL: `${spa.origin}/reset-password?token={token}`,
      VERIFY_EMAIL_URL: `${spa.origin}/verify-email?token={token}`,
      PASSWORD_RESET_TTL: String(RESET_TTL_SECONDS),
      RATE_LIMIT_RECOVERY_IP: '100000/1m',
    });
    browser = await launchChromium(executablePath, 'spa-recovery');
    context = browser.context;
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await smtp?.stop();
    await new Promise((done) => spa?.server.close(done));
  });

  /** The SPA's home page, pointed at the test API (which it remembers for the links' pages). */
  async function openSpa(): Promise<Page> {
    // Each test starts with no session: the browser's profile is shared by the tests of this file.
    await context.clearCookies();
    const page = await context.newPage();
    await page.goto(`${spa.origin}/?api=${encodeURIComponent(api.url)}`);
    await waitForText(page, 'status', 'logged out');
    return page;
  }

  async function askForReset(page: Page, email: string): Promise<void> {
    if (!(await page.isVisible('#forgot'))) await page.click('#forgot-section summary');
    await page.fill('#forgot [name=email]', email);
    await page.click('#forgot button');
    await waitForText(page, 'notice', 'If an account has that address, a link to reset its password is on its way');
  }

  async function askForResetLink(page: Page, email: string): Promise<string> {
    await askForReset(page, email);
    return smtp.linkIn(await nextMail(smtp, email, SUBJECTS.passwordReset));
  }

  async function setNewPassword(page: Page, password: string): Promise<void> {
    await page.fill('#reset-password [name=newPassword]', password);
    await page.click('#reset-password button');
  }

  async function logIn(page: Page, email: string, password: string): Promise<void> {
    await page.fill('#login [name=email]', email);
    await page.fill('#login [name=password]', password);
    await page.click('#login button');
  }

  it('emails a reset link that opens the SPA, sets the new password there and logs in; the old password, old sessions and the used link are refused', async () => {
    const ada = await signUp(api, { name: 'Ada', email: 'ada@example.com' });
    const page = await openSpa();

    const link = await askForResetLink(page, ada.email);
    expect(link).toMatch(new RegExp(`^${spa.origin}/reset-password\\?token=[\\w-]{43}$`));
    await page.goto(link);
    expect(await page.isVisible('#reset-section')).toBe(true);
    // The token is taken out of the address bar (and the history) as soon as the page has read it.
    expect(page.url()).not.toContain('token=');

    // A weak password is refused and said so; the link still works afterwards.
    await setNewPassword(page, 'short');
    await waitForText(page, 'error', 'BAD_USER_INPUT');
    expect(await textOf(page, 'error')).toContain('newPassword:');
    await setNewPassword(page, NEW_PASSWORD);
    await waitForText(page, 'status', 'logged in as ada@example.com');
    await waitForText(page, 'notice', 'Your password has been changed');
    expect(await page.isVisible('#reset-section')).toBe(false);
    expect(await page.isVisible('#mfa-verify')).toBe(false);
    await page.click('#me-button');
    await waitForText(page, 'me', 'ada@example.com');
    // In cookie mode the new session's refresh token came as a cookie: a reload stays logged in.
    await page.reload();
    await waitForText(page, 'me', 'ada@example.com');

    // The session from before the reset has ended.
    expect(errorOf(await api.execute(MeDocument, {}, { token: ada.token }))).toEqual({ code: 'UNAUTHENTICATED', reason: 'TOKEN_REVOKED' });

    // The old password is refused, the new one accepted.
    await page.click('#logout-button');
    await waitForText(page, 'status', 'logged out');
    await logIn(page, ada.email, TEST_PASSWORD);
    await waitForText(page, 'error', 'UNAUTHENTICATED / INVALID_CREDENTIALS');
    expect(await textOf(page, 'status')).toBe('logged out');
    await logIn(page, ada.email, NEW_PASSWORD);
    await waitForText(page, 'status', 'logged in as ada@example.com');

    // The link worked once.
    await page.goto(link);
    await setNewPassword(page, 'yet another horse battery');
    await waitForText(page, 'error', 'BAD_USER_INPUT / LINK_INVALID');
    await waitForText(page, 'notice', 'This link does not work');
    await page.close();
  });

  it('answers an unknown address as it answers a known one, and sends nothing', async () => {
    const page = await openSpa();
    const before = smtp.messages.length;
    await askForReset(page, 'nobody@example.com');
    expect(await textOf(page, 'error')).toBe('');
    // A known address asked for afterwards is delivered; nothing came for the unknown one before it.
    const grace = await signUp(api, { name: 'Grace', email: 'grace@example.com' });
    await askForResetLink(page, grace.email);
    expect(smtp.messages.slice(before).filter((mail) => isTo(mail, 'nobody@example.com'))).toEqual([]);
    await page.close();
  });

  it('says so when the link has expired', async () => {
    const linus = await signUp(api, { name: 'Linus', email: 'linus@example.com' });
    const page = await openSpa();
    const link = await askForResetLink(page, linus.email);
    api.clock.advance(RESET_TTL_SECONDS + 1);
    await page.goto(link);
    await setNewPassword(page, NEW_PASSWORD);
    await waitForText(page, 'error', 'BAD_USER_INPUT / LINK_EXPIRED');
    await waitForText(page, 'notice', 'This link has expired');
    expect(await textOf(page, 'status')).toBe('logged out');
    await page.close();
  });

  it('after a reset, a user with two-factor is logged in owing the second factor, as after a login', async () => {
    const barbara = await signUp(api, { name: 'Barbara', email: 'barbara@example.com' });
    await enrollTotp(api, barbara.token);
    const page = await openSpa();
    await page.goto(await askForResetLink(page, barbara.email));
    await setNewPassword(page, NEW_PASSWORD);
    await waitForText(page, 'status', 'second factor required for barbara@example.com');
    expect(await page.isVisible('#mfa-verify')).toBe(true);
    await page.close();
  });

  it('opens the verification link of the signup email and verifies the address', async () => {
    const margaret = await signUp(api, { name: 'Margaret', email: 'margaret@example.com' });
    const link = smtp.linkIn(await nextMail(smtp, margaret.email, SUBJECTS.emailVerification));
    expect(link).toMatch(new RegExp(`^${spa.origin}/verify-email\\?token=[\\w-]{43}$`));
    const page = await openSpa();
    await page.goto(link);
    await waitForText(page, 'notice', 'Your email address margaret@example.com is verified.');
    expect(page.url()).not.toContain('token=');
    expect((await api.execute(MeDocument, {}, { token: margaret.token })).body.data?.me.emailVerified).toBe(true);
    // The same link again is refused, and the page says what to do.
    await page.goto(link);
    await waitForText(page, 'error', 'BAD_USER_INPUT / LINK_INVALID');
    await waitForText(page, 'notice', 'This link does not work');
    await page.close();
  });
});
