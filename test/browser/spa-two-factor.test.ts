// Two-factor in the SPA example, in a real browser (Debian's chromium via playwright-core) against the real
// API in cookie mode: turn TOTP on (the QR code shown, the recovery codes shown once), then log in again and
// pass the second-factor step with a code from the authenticator app, and with a recovery code.
import type { Server } from 'node:http';
import { type BrowserContext, type Page } from 'playwright-core';
import { describeWithChromium, serveSpa, textOf, waitForText, launchChromium } from '../helpers/browser';
import { startTestServer, type TestServer } from '../helpers/server';
import { STEP_MS, totpCode } from '../helpers/totp';

const PASSWORD = 'correct horse battery';

describeWithChromium('two-factor in the SPA example, in chromium (cookie mode)', (executablePath) => {
  let api: TestServer;
  let spa: { server: Server; origin: string };
  let context: BrowserContext;
  let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;

  beforeAll(async () => {
    spa = await serveSpa();
    // The authenticator app of this test computes codes from the API's test clock, which only the test moves.
    api = await startTestServer({ AUTH_COOKIE_MODE: 'true', AUTH_COOKIE_SECURE: 'false', CORS_ORIGINS: spa.origin });
    browser = await launchChromium(executablePath, 'spa-mfa');
    context = browser.context;
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await new Promise((done) => spa?.server.close(done));
  });

  const visible = (page: Page, selector: string) => page.isVisible(selector);

  async function logIn(page: Page, email: string): Promise<void> {
    await page.fill('#login [name=email]', email);
    await page.fill('#login [name=password]', PASSWORD);
    await page.click('#login button');
  }

  async function logOut(page: Page): Promise<void> {
    await page.click('#logout-button');
    await waitForText(page, 'status', 'logged out');
  }

  it('enrolls with the QR code, then asks for the second factor at login and accepts a code or a recovery code', async () => {
    const page = await context.newPage();
    await page.goto(`${spa.origin}/?api=${encodeURIComponent(api.url)}`);
    await waitForText(page, 'error', 'REFRESH_TOKEN_MISSING');
    await page.fill('#signup [name=name]', 'Ada');
    await page.fill('#signup [name=email]', 'ada@example.com');
    await page.fill('#signup [name=password]', PASSWORD);
    await page.click('#signup button');
    await waitForText(page, 'status', 'logged in as ada@example.com');

    // Enrollment: the QR code is drawn (an SVG image the browser decoded), and the secret is shown for typing.
    await page.click('#mfa-start-button');
    await page.waitForSelector('#mfa-enrollment:not([hidden])', { timeout: 15_000 });
    expect(await page.getAttribute('#mfa-qr', 'src')).toMatch(/^data:image\/svg\+xml,%3Csvg/);
    await page.waitForFunction(`document.querySelector('#mfa-qr').complete && document.querySelector('#mfa-qr').naturalWidth > 0`, undefined, { timeout: 15_000 });
    const secret = await textOf(page, 'mfa-secret');
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    await page.fill('#mfa-confirm [name=code]', totpCode(secret, api.clock.now()));
    await page.click('#mfa-confirm button');
    await page.waitForFunction(`(document.querySelector('#recovery-codes')?.textContent ?? '').split(' ').length === 10`, undefined, { timeout: 15_000 });
    const recoveryCodes = (await textOf(page, 'recovery-codes')).split(' ');
    expect(await visible(page, '#mfa-enrollment')).toBe(false);

    // A new login: the session owes the second factor, and a reload (through the refresh cookie) still does.
    await logOut(page);
    await logIn(page, 'ada@example.com');
    await waitForText(page, 'status', 'second factor required for ada@example.com');
    expect(await visible(page, '#mfa-verify')).toBe(true);
    await page.reload();
    await waitForText(page, 'status', 'second factor required for ada@example.com');

    // The next step's code from the app: the same session, raised, with a new refresh cookie.
    api.clock.advance(STEP_MS / 1000);
    await page.fill('#mfa-verify [name=code]', totpCode(secret, api.clock.now()));
    await page.click('#mfa-verify button');
    await waitForText(page, 'status', 'logged in as ada@example.com');
    expect(await visible(page, '#mfa-verify')).toBe(false);
    await page.reload();
    await waitForText(page, 'status', 'logged in as ada@example.com');
    await page.click('#me-button');
    await waitForText(page, 'me', 'ada@example.com');

    // Without the phone: a recovery code instead.
    await logOut(page);
    await logIn(page, 'ada@example.com');
    await waitForText(page, 'status', 'second factor required for ada@example.com');
    await page.fill('#mfa-verify [name=code]', recoveryCodes[0]);
    await page.click('#mfa-verify button');
    await waitForText(page, 'status', 'logged in as ada@example.com');
  });
});
