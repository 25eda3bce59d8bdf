// The API's own pages for the emailed links (src/http/recovery-pages.ts), in a real browser (Debian's chromium
// via playwright-core) with every request to another origin blocked: the server's APP_URL is its own origin, as
// the default is for `npm start`, and the links come by real SMTP. The reset link opens a page that sets the new
// password (a weak one is refused and said so) and says to sign in with it; the verification link's page verifies
// on a button press, not on load; the token leaves the address bar, no Referer is sent, nothing is kept.
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { LoginDocument, MeDocument, RequestPasswordResetDocument } from '../../src/client/graphql';
import { CHROMIUM_ARGS, describeWithChromium } from '../helpers/browser';
import { nextMail, SUBJECTS } from '../helpers/recovery';
import { errorOf, logIn, signUp, startTestServer, TEST_PASSWORD, type TestServer } from '../helpers/server';
import { freePort } from '../helpers/services';
import { startSmtpServer, type TestSmtp } from '../helpers/smtp';

const NEW_PASSWORD = 'a new horse battery staple';
const RESET_TTL_SECONDS = 1800;
const WAIT = { timeout: 15_000 };

describeWithChromium('the API’s own pages for the emailed links, in chromium (real SMTP)', (executablePath) => {
  let api: TestServer;
  let smtp: TestSmtp;
  let browser: Browser;
  let origin: string;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    api = await startTestServer({
      PORT: String(port),
      // The default links, pointed at this server: `${APP_URL}/reset-password?token=…`.
      APP_URL: origin,
      SMTP_URL: smtp.url,
      MAIL_FROM: 'auth@example.com',
      PASSWORD_RESET_TTL: String(RESET_TTL_SECONDS),
      // Cookie mode: resetPassword answers with a refresh cookie, which the page must not take.
      AUTH_COOKIE_MODE: 'true',
      AUTH_COOKIE_SECURE: 'false',
    });
    browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await smtp?.stop();
  });

  interface Opened {
    context: BrowserContext;
    page: Page;
    /** Requests that tried to leave the origin (blocked). */
    leftTheOrigin: string[];
    /** The page's calls to the API: their Referer and Cookie headers. */
    calls: { referer: string | undefined; cookie: string | undefined }[];
  }

  /** A fresh browser context with every other origin blocked, and the link opened in it. */
  async function open(link: string): Promise<Opened> {
    const context = await browser.newContext();
    const leftTheOrigin: string[] = [];
    const calls: Opened['calls'] = [];
    await context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.origin === origin) return route.continue();
      leftTheOrigin.push(url.href);
      return route.abort();
    });
    const page = await context.newPage();
    page.on('request', (request) => {
      if (request.method() !== 'POST' || new URL(request.url()).pathname !== '/graphql') return;
      const headers = request.headers();
      calls.push({ referer: headers.referer, cookie: headers.cookie });
    });
    // Runs before the page's own script, outside its policy: records every violation of it.
    await page.addInitScript(
      "window.__violations = []; document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));",
    );
    await page.goto(link);
    return { context, page, leftTheOrigin, calls };
  }

  async function waitForMessage(page: Page, expected: string): Promise<void> {
    // A locator, not waitForFunction: that one evaluates a string in the page, which the page's policy refuses.
    await page.locator('#message', { hasText: expected }).waitFor(WAIT);
  }

  /** What the page keeps: it must keep nothing (no token, no session). */
  async function expectNothingKept({ context, page }: Opened): Promise<void> {
    expect(await page.evaluate('[localStorage.length, sessionStorage.length]')).toEqual([0, 0]);
    expect(await context.cookies()).toEqual([]);
  }

  async function expectCleanRun(opened: Opened): Promise<void> {
    expect(await opened.page.evaluate('window.__violations')).toEqual([]);
    expect(opened.leftTheOrigin).toEqual([]);
    expect(opened.calls.length).toBeGreaterThan(0);
    // No Referer carries the page's address (nor its token) anywhere, and no cookie goes.
    expect(opened.calls).toEqual(opened.calls.map(() => ({ referer: undefined, cookie: undefined })));
  }

  async function resetLink(email: string): Promise<string> {
    const res = await api.execute(RequestPasswordResetDocument, { email });
    expect(res.body.data?.requestPasswordReset).toBe(true);
    return smtp.linkIn(await nextMail(smtp, email, SUBJECTS.passwordReset));
  }

  async function setNewPassword(page: Page, password: string): Promise<void> {
    await page.fill('#new-password', password);
    await page.click('#form button');
  }

  it('opens the emailed reset link, sets the new password there, and the new password logs in (the old one does not)', async () => {
    const ada = await signUp(api, { name: 'Ada', email: 'ada@example.com' });
    const link = await resetLink(ada.email);
    expect(link).toMatch(new RegExp(`^${origin}/reset-password\\?token=[\\w-]{43}$`));

    const opened = await open(link);
    const { page } = opened;
    await page.locator('#new-password').waitFor(WAIT);
    // The token is taken out of the address bar (and the history) as soon as the page has read it.
    expect(page.url()).toBe(`${origin}/reset-password`);

    // A weak password is refused, with the rule it breaks; the link still works afterwards.
    await setNewPassword(page, 'short');
    await waitForMessage(page, 'Password must be at least');
    await setNewPassword(page, NEW_PASSWORD);
    await waitForMessage(page, 'Your password is changed. Sign in with it.');
    expect(await page.isVisible('#form')).toBe(false);
    await expectCleanRun(opened);
    await expectNothingKept(opened);

    // Over HTTP: the new password logs in, the old one is refused, the session from before the reset has ended.
    await logIn(api, ada.email, NEW_PASSWORD);
    expect(errorOf(await api.execute(LoginDocument, { input: { email: ada.email, password: TEST_PASSWORD } }))).toEqual({
      code: 'UNAUTHENTICATED',
      reason: 'INVALID_CREDENTIALS',
    });
    expect(errorOf(await api.execute(MeDocument, {}, { token: ada.token }))).toEqual({ code: 'UNAUTHENTICATED', reason: 'TOKEN_REVOKED' });

    // The link worked once.
    const again = await open(link);
    await setNewPassword(again.page, 'yet another horse battery');
    await waitForMessage(again.page, 'This link does not work');
    expect(await again.page.isVisible('#form')).toBe(false);
    await opened.context.close();
    await again.context.close();
  });

  it('says so when the reset link has expired', async () => {
    const linus = await signUp(api, { name: 'Linus', email: 'linus@example.com' });
    const link = await resetLink(linus.email);
    api.clock.advance(RESET_TTL_SECONDS + 1);
    const opened = await open(link);
    await setNewPassword(opened.page, NEW_PASSWORD);
    await waitForMessage(opened.page, 'This link has expired. Ask for a new link.');
    await opened.context.close();
  });

  it('opens the signup email’s verification link and verifies the address when its button is pressed, not before', async () => {
    const margaret = await signUp(api, { name: 'Margaret', email: 'margaret@example.com' });
    const link = smtp.linkIn(await nextMail(smtp, margaret.email, SUBJECTS.emailVerification));
    expect(link).toMatch(new RegExp(`^${origin}/verify-email\\?token=[\\w-]{43}$`));

    const opened = await open(link);
    const { page } = opened;
    const confirm = page.getByRole('button', { name: 'Confirm my address' });
    await confirm.waitFor(WAIT);
    expect(page.url()).toBe(`${origin}/verify-email`);
    // Opening the link (as a mail scanner would) spends nothing.
    expect(opened.calls).toEqual([]);
    expect((await api.execute(MeDocument, {}, { token: margaret.token })).body.data?.me.emailVerified).toBe(false);

    await confirm.click();
    await waitForMessage(page, 'Your email address margaret@example.com is verified.');
    expect((await api.execute(MeDocument, {}, { token: margaret.token })).body.data?.me.emailVerified).toBe(true);
    await expectCleanRun(opened);
    await expectNothingKept(opened);

    // The same link again is refused, and the page says what to do.
    const again = await open(link);
    await again.page.getByRole('button', { name: 'Confirm my address' }).click();
    await waitForMessage(again.page, 'This link does not work');
    await opened.context.close();
    await again.context.close();
  });

  it('says what is wrong when the address has no token', async () => {
    const opened = await open(`${origin}/verify-email`);
    await waitForMessage(opened.page, 'This address has no token in it');
    expect(await opened.page.isVisible('#form')).toBe(false);
    await opened.context.close();
  });
});
