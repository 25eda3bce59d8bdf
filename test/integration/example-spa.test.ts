// npm run example:spa: one command serves examples/spa on its own origin and starts the API in cookie
// mode with that origin allowed, and prints the URL to open. (test/browser/spa.test.ts drives the page.)
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { print } from 'graphql';
import { simpleParser } from 'mailparser';
import { RequestPasswordResetDocument, SignupDocument, type SignupMutation } from '../../src/client/graphql';
import { TEST_PASSWORD } from '../helpers/server';
import { waitFor } from '../helpers/wait';

const SERVE = resolve(__dirname, '../../examples/spa/serve.js');

let child: ChildProcess;
let scratch: string;
let spaUrl: URL;
let apiUrl: string;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'example-spa-'));
  child = spawn(process.execPath, [SERVE, '--port', '0', '--api-port', '0'], {
    cwd: scratch,
    env: { PATH: process.env.PATH, NODE_ENV: 'development', JWT_SECRET: 's'.repeat(40), DB_PATH: join(scratch, 'app.db'), BCRYPT_COST: '4', LOG_LEVEL: 'warn' },
  });
  let output = '';
  const opened = await new Promise<string>((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL printed:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /open (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolvePromise(match[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => reject(new Error(`example:spa exited with ${code}:\n${output}`)));
  });
  spaUrl = new URL(opened);
  apiUrl = spaUrl.searchParams.get('api') ?? '';
}, 30_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    child.removeAllListeners('exit');
    await new Promise((done) => {
      child.once('exit', done);
      child.kill('SIGTERM');
    });
  }
  rmSync(scratch, { recursive: true, force: true });
});

it('prints a URL of the SPA that names the API to use', () => {
  expect(spaUrl.origin).toMatch(/^http:\/\/localhost:\d+$/);
  expect(apiUrl).toMatch(/^http:\/\/localhost:\d+\/graphql$/);
  expect(new URL(apiUrl).origin).not.toBe(spaUrl.origin);
});

it('serves the page and its script on that origin', async () => {
  const page = await fetch(spaUrl);
  expect(await page.text()).toContain('<script src="app.js"></script>');
  const script = await fetch(new URL('/app.js', spaUrl));
  expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
});

it("serves the same page where the API's emailed links point", async () => {
  for (const path of ['/reset-password?token=abc', '/verify-email?token=abc']) {
    const page = await fetch(new URL(path, spaUrl));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script src="app.js"></script>');
  }
});

it('runs the API in cookie mode, allowing the SPA origin with credentials', async () => {
  const res = await fetch(apiUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: spaUrl.origin },
    body: JSON.stringify({
      query: print(SignupDocument),
      variables: { input: { name: 'Spa', email: 'spa@example.com', password: TEST_PASSWORD } },
    }),
  });
  const body = (await res.json()) as { data?: SignupMutation; errors?: unknown };
  expect(body.errors).toBeUndefined();
  expect(body.data?.signup.refreshToken).toBeNull();
  expect(res.headers.get('access-control-allow-origin')).toBe(spaUrl.origin);
  expect(res.headers.get('access-control-allow-credentials')).toBe('true');
  // Plain http on this machine: no Secure attribute, or the browser would never send it back.
  expect(res.headers.getSetCookie()[0]).toMatch(/^refresh_token=[\w-]+; Max-Age=\d+; Path=\/graphql; HttpOnly; SameSite=Strict$/);
});

/** The text part of the one development .eml file of `kind` the API wrote (no SMTP_URL: DATA_DIR/outbox, DATA_DIR = ./data). */
async function writtenMail(kind: string): Promise<string> {
  const outbox = join(scratch, 'data', 'outbox');
  const named = () => (existsSync(outbox) ? readdirSync(outbox).filter((name) => name.endsWith(`-${kind}.eml`)) : []);
  await waitFor(() => named().length > 0, `a ${kind} .eml file in ${outbox}`, { withinMs: 15_000, everyMs: 50 });
  return (await simpleParser(readFileSync(join(outbox, named()[0])))).text ?? '';
}

it("points the API's emailed links at the SPA's pages", async () => {
  // The signup of the test above was sent a verification link.
  expect(await writtenMail('email_verification')).toContain(`\n${spaUrl.origin}/verify-email?token=`);
  const res = await fetch(apiUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: print(RequestPasswordResetDocument), variables: { email: 'spa@example.com' } }),
  });
  expect(await res.json()).toEqual({ data: { requestPasswordReset: true } });
  expect(await writtenMail('password_reset')).toContain(`\n${spaUrl.origin}/reset-password?token=`);
});
