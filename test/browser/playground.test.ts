// The playground in a real browser (Debian's chromium via playwright-core), with every request to
// another origin blocked: it renders under its content-security policy, signup signs the page in, me
// runs with the kept token and no header typed, a typed header wins, and sign-out forgets the token.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, describeWithChromium } from '../helpers/browser';
import { errorOf, startTestServer, type TestServer } from '../helpers/server';

const OUTPUT_DIR = resolve(__dirname, '../../test-output/playground');
const WAIT = { timeout: 20_000 };
/** The variables or headers editor, whichever is open. */
const VISIBLE_TOOL_EDITOR = '.graphiql-editor-tool .graphiql-editor:not(.hidden)';

describeWithChromium('the playground in chromium', (executablePath) => {
  let api: TestServer;
  let browser: Browser;
  let page: Page;
  let keptToken = '';
  const leftTheOrigin: string[] = [];
  const consoleErrors: string[] = [];
  /** Each request to the endpoint: its operation name and whether it carried an Authorization header. */
  const sent: { operationName: string | undefined; authorization: string | undefined }[] = [];

  beforeAll(async () => {
    api = await startTestServer();
    browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const origin = new URL(api.url).origin;
    await page.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.origin === origin || url.protocol === 'data:' || url.protocol === 'blob:') return route.continue();
      leftTheOrigin.push(url.href);
      return route.abort();
    });
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('request', (request) => {
      if (request.url() !== api.url || request.method() !== 'POST') return;
      const body = JSON.parse(request.postData() ?? '{}') as { operationName?: string };
      sent.push({ operationName: body.operationName, authorization: request.headers().authorization });
    });
    // Runs before the page's own scripts, outside its policy: records every violation of it.
    await page.addInitScript(
      "window.__violations = []; document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));",
    );
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  /** Run one named operation of the open document, through the ▶ button's menu. */
  async function run(operationName: string): Promise<void> {
    await page.click('.graphiql-execute-button');
    await page.getByRole('menuitem', { name: operationName, exact: true }).click();
  }

  async function waitForText(selector: string, expected: string): Promise<void> {
    // A locator, not waitForFunction: that one evaluates a string in the page, which the page's policy refuses.
    await page.locator(selector, { hasText: expected }).first().waitFor(WAIT);
  }

  it('renders from this origin alone, with no content-security-policy violation', async () => {
    await page.goto(api.url);
    await page.waitForSelector('.graphiql-container', WAIT);
    await waitForText('.graphiql-query-editor', 'mutation Signup');
    await waitForText('.graphiql-editor-tool', '"signup"');
    await page.waitForSelector('#playground-session-text', WAIT);
    expect(await page.textContent('#playground-session-text')).toBe('Not signed in: run signup or login');
    expect(await page.evaluate('window.__violations')).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });

  it('signs the page in when signup runs, and shows who', async () => {
    await run('Signup');
    await waitForText('.graphiql-response', 'accessToken');
    await waitForText('#playground-session-text', 'Signed in as ada@example.com (USER)');
    expect(sent.find((request) => request.operationName === 'Signup')?.authorization).toBeUndefined();
  });

  it('runs me with the kept token, no header typed by hand', async () => {
    await run('Me');
    await waitForText('.graphiql-response', 'ada@example.com');
    // The editor renders spaces as no-break spaces.
    expect((await page.textContent('.graphiql-response'))?.replace(/\s+/g, ' ')).toContain('"name": "Ada Lovelace"');
    expect(sent.filter((request) => request.operationName === 'Me').map((request) => request.authorization)).toEqual([
      expect.stringMatching(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/),
    ]);
    keptToken = (sent.find((request) => request.operationName === 'Me')?.authorization ?? '').replace('Bearer ', '');
    mkdirSync(OUTPUT_DIR, { recursive: true });
    await page.screenshot({ path: resolve(OUTPUT_DIR, 'signed-in-me.png') });
  });

  it('lets a header typed by hand win over the kept token', async () => {
    await page.click('.graphiql-editor-tools button[data-name="headers"]');
    await page.click(VISIBLE_TOOL_EDITOR);
    await page.keyboard.insertText('{ "Authorization": "Bearer typed.by.hand" }');
    await run('Me');
    await waitForText('.graphiql-response', 'TOKEN_INVALID');
    expect(sent.at(-1)).toEqual({ operationName: 'Me', authorization: 'Bearer typed.by.hand' });
    // Clear it again for the next test.
    await page.click(VISIBLE_TOOL_EDITOR);
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
  });

  it('signs out: the session ends on the server, and me runs without a token', async () => {
    await page.click('#playground-sign-out');
    await waitForText('#playground-session-text', 'Not signed in');
    await run('Me');
    await waitForText('.graphiql-response', 'TOKEN_MISSING');
    expect(sent.at(-1)).toEqual({ operationName: 'Me', authorization: undefined });
    expect(sent.map((request) => request.operationName)).toContain('PlaygroundSignOut');
    const old = await api.graphql('{ me { id } }', {}, { token: keptToken });
    expect(errorOf(old)).toEqual({ code: 'UNAUTHENTICATED', reason: 'TOKEN_REVOKED' });
  });

  it('sent no request to another origin, and the page raised no error', async () => {
    expect(leftTheOrigin).toEqual([]);
    expect(await page.evaluate('window.__violations')).toEqual([]);
    // The browser reports the 401s of the two refused `me` above; nothing else.
    expect(consoleErrors.filter((text) => !text.includes('status of 401'))).toEqual([]);
  });
});
