// The pages the emailed links open when APP_URL is the API itself (src/http/recovery-pages.ts), over HTTP:
// served at the paths the default links name, as self-contained HTML under a content-security policy that
// allows their one script and one style by hash and no other origin, never cached, sending no Referer.
// test/browser/recovery-pages.test.ts follows real links to them in chromium.
import { createHash } from 'node:crypto';
import { TOKEN_PLACEHOLDER } from '../../src/config';
import { startTestServer, type TestServer } from '../helpers/server';

const A_TOKEN = 'A'.repeat(43);

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

/** The path of a default link (APP_URL and the page's path), from the config the server runs with. */
function pathOf(template: string): string {
  return new URL(template.split(TOKEN_PLACEHOLDER).join(A_TOKEN)).pathname;
}

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

function directives(csp: string | null): Record<string, string[]> {
  return Object.fromEntries(
    String(csp)
      .split('; ')
      .map((directive) => [directive.split(' ')[0], directive.split(' ').slice(1)]),
  );
}

describe.each([
  ['reset-password', () => server.config.recovery.resetPasswordUrl, 'resetPassword(token: $token, newPassword: $newPassword)'],
  ['verify-email', () => server.config.recovery.verifyEmailUrl, 'verifyEmail(token: $token)'],
])('the %s page', (name, template, call) => {
  let response: Response;
  let html: string;
  beforeAll(async () => {
    // The link as the default APP_URL builds it, on this server.
    const path = pathOf(template());
    expect(path).toBe(`/${name}`);
    response = await fetch(`${server.baseUrl}${path}?token=${A_TOKEN}`, { headers: { accept: 'text/html' } });
    html = await response.text();
  });

  it('is served at the path of the default link, as HTML that calls the API', () => {
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain(call);
  });

  it('is never cached and sends no Referer (the address holds the token)', () => {
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(html).toContain('<meta name="referrer" content="no-referrer" />');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    // The token is read by the page's script, never written into the page.
    expect(html).not.toContain(A_TOKEN);
  });

  it('is allowed exactly its own inline script and style, by hash, and to call this origin only', () => {
    const csp = directives(response.headers.get('content-security-policy'));
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((match) => match[1]);
    const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((match) => match[1]);
    expect(scripts).toHaveLength(1);
    expect(styles).toHaveLength(1);
    expect(csp['default-src']).toEqual(["'none'"]);
    expect(csp['script-src']).toEqual([sha256(scripts[0])]);
    expect(csp['style-src']).toEqual([sha256(styles[0])]);
    expect(csp['connect-src']).toEqual(["'self'"]);
    expect(csp['form-action']).toEqual(["'none'"]);
    expect(csp['base-uri']).toEqual(["'none'"]);
    expect(csp['frame-ancestors']).toEqual(["'none'"]);
    expect(response.headers.get('content-security-policy')).not.toMatch(/unsafe|https?:|\*/);
  });

  it('names no other origin and loads nothing', () => {
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/\b(src|href|action|srcset)\s*=/i);
    expect(html).not.toMatch(/<(link|img|iframe|object|embed)\b/i);
    // Its one call goes to this origin's endpoint, by path, without credentials.
    expect(html).toContain('"endpoint":"/graphql"');
    expect(html).toContain("credentials: 'omit'");
  });

  it('answers HEAD with the headers and no body, and refuses other methods', async () => {
    const head = await fetch(`${server.baseUrl}/${name}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(head.headers.get('cache-control')).toBe('no-store');
    expect(await head.text()).toBe('');
    const post = await fetch(`${server.baseUrl}/${name}`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(404);
  });
});

it('serves the pages whatever APP_URL is (an SPA overriding the links leaves them harmless)', async () => {
  const other = await startTestServer({
    APP_URL: 'https://auth.example.com',
    RESET_PASSWORD_URL: 'https://app.example.com/reset?token={token}',
  });
  try {
    for (const path of ['/reset-password', '/verify-email']) {
      expect((await fetch(`${other.baseUrl}${path}`)).status).toBe(200);
    }
  } finally {
    await other.close();
  }
});
