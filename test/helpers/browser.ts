// Debian's chromium, driven by playwright-core. Where it is not installed the browser tests are skipped
// with a loud message, so `npm test` passes on a laptop; under CI=true a missing browser is a failure.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { describeWhenAvailable } from './services';

/** The chromium binary on PATH, or undefined. */
export function findChromium(): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], { encoding: 'utf8' }).stdout.trim();
  return found.split('\n')[0] || undefined;
}

/** The flags the browser tests run chromium with (no sandbox: CI runs as root in a container). */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];

/** A chromium with a fresh profile of its own; close() also removes the profile. */
export async function launchChromium(executablePath: string, name: string): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const userDataDir = mkdtempSync(join(tmpdir(), `${name}-chromium-`));
  const context = await chromium.launchPersistentContext(userDataDir, { executablePath, headless: true, args: CHROMIUM_ARGS });
  return {
    context,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

export function describeWithChromium(title: string, body: (executablePath: string) => void): void {
  const executablePath = findChromium();
  describeWhenAvailable(Boolean(executablePath), 'chromium is not installed (apt-get install -y chromium)', title, () => body(executablePath ?? ''));
}

// ---- The SPA example (examples/spa), for the browser tests that drive it ----

const SPA_DIR = resolve(__dirname, '../../examples/spa');
const PAGE = { file: 'index.html', type: 'text/html; charset=utf-8' };
const FILES: Record<string, { file: string; type: string }> = {
  '/': PAGE,
  // The pages the API's emailed links open, as examples/spa/serve.js serves them.
  '/reset-password': PAGE,
  '/verify-email': PAGE,
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
};
const WAIT = { timeout: 15_000 };

/** Serves examples/spa, plus a blank page under /graphql: cookies ignore ports, so a page there is in the refresh cookie's scope. */
export async function serveSpa(): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === '/graphql/probe') {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>probe</title>');
      return;
    }
    const entry = FILES[path];
    if (!entry) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': entry.type }).end(readFileSync(join(SPA_DIR, entry.file)));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

export async function textOf(page: Page, id: string): Promise<string> {
  return (await page.textContent(`#${id}`)) ?? '';
}

export async function waitForText(page: Page, id: string, expected: string): Promise<void> {
  // A string expression: it runs in the page, where `document` exists (this file is type-checked without the DOM).
  await page.waitForFunction(`(document.querySelector(${JSON.stringify(`#${id}`)})?.textContent ?? '').includes(${JSON.stringify(expected)})`, undefined, WAIT);
}
