// The SPA example in a real browser (Debian's chromium via playwright-core), against the real API in
// cookie mode: sign up, log in, show me, reload and stay logged in through the refresh cookie alone,
// check that JavaScript cannot see that cookie, log out, and see me fail.
import type { Server } from 'node:http';
import { type BrowserContext } from 'playwright-core';
import { describeWithChromium, serveSpa, textOf, waitForText, launchChromium } from '../helpers/browser';
import { startTestServer, type TestServer } from '../helpers/server';

describeWithChromium('the SPA example in chromium (cookie mode)', (executablePath) => {
  let api: TestServer;
  let spa: { server: Server; origin: string };
  let context: BrowserContext;
  let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;

  beforeAll(async () => {
    spa = await serveSpa();
    // Real time: the browser and the API talk on their own; nothing here waits on the clock.
    api = await startTestServer({ AUTH_COOKIE_MODE: 'true', AUTH_COOKIE_SECURE: 'false', CORS_ORIGINS: spa.origin });
    browser = await launchChromium(executablePath, 'spa');
    context = browser.context;
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await new Promise((done) => spa?.server.close(done));
  });

  it('signs up, logs in, stays logged in across a reload through the HttpOnly cookie, and logs out', async () => {
    const page = await context.newPage();
    const url = `${spa.origin}/?api=${encodeURIComponent(api.url)}`;
    await page.goto(url);
    // No cookie yet: the start-up refresh fails and the page says so.
    await waitForText(page, 'error', 'REFRESH_TOKEN_MISSING');
    expect(await textOf(page, 'status')).toBe('logged out');

    await page.fill('#signup [name=name]', 'Ada');
    await page.fill('#signup [name=email]', 'ada@example.com');
    await page.fill('#signup [name=password]', 'correct horse battery');
    await page.click('#signup button');
    await waitForText(page, 'status', 'logged in as ada@example.com');

    await page.fill('#login [name=email]', 'ada@example.com');
    await page.fill('#login [name=password]', 'correct horse battery');
    await page.click('#login button');
    await waitForText(page, 'status', 'logged in as ada@example.com');
    await page.click('#me-button');
    await waitForText(page, 'me', 'ada@example.com');

    // The access token was only in memory: after a reload, the refresh cookie alone logs the page back in.
    await page.reload();
    await waitForText(page, 'me', 'ada@example.com');
    expect(await textOf(page, 'status')).toBe('logged in as ada@example.com');

    // The browser holds the cookies (the refresh token, and the device token that exempts it from others'
    // login failures), HttpOnly and SameSite=Strict on /graphql …
    const cookies = await context.cookies(api.url);
    expect(cookies.map(({ name, httpOnly, sameSite, path }) => ({ name, httpOnly, sameSite, path }))).toEqual([
      { name: 'device_token', httpOnly: true, sameSite: 'Strict', path: '/graphql' },
      { name: 'refresh_token', httpOnly: true, sameSite: 'Strict', path: '/graphql' },
    ]);
    // … and JavaScript cannot see them: not from the app, and not from a page inside the cookies' scope.
    expect(await page.evaluate('document.cookie')).not.toMatch(/refresh_token|device_token/);
    const probe = await context.newPage();
    await probe.goto(`${spa.origin}/graphql/probe`);
    expect((await context.cookies(`${spa.origin}/graphql/probe`)).map((cookie) => cookie.name)).toContain('refresh_token');
    expect(await probe.evaluate('document.cookie')).not.toMatch(/refresh_token|device_token/);
    await probe.close();

    await page.click('#logout-button');
    await waitForText(page, 'status', 'logged out');
    // The session's cookie is gone; the device stays known (it is no credential, only a lighter login limit).
    expect((await context.cookies(api.url)).map((cookie) => cookie.name)).toEqual(['device_token']);
    await page.click('#me-button');
    await waitForText(page, 'error', 'UNAUTHENTICATED');
    expect(await textOf(page, 'me')).toBe('');

    // And the session is gone for good: a reload does not log back in.
    await page.reload();
    await waitForText(page, 'error', 'REFRESH_TOKEN_MISSING');
    expect(await textOf(page, 'status')).toBe('logged out');
  });
});
