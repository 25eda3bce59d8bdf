// Cookie mode for SPAs: the refresh token only in an HttpOnly cookie; CSRF and CORS around it.
// Cookie attributes are asserted from the raw Set-Cookie header.
import { print } from 'graphql';
import { ChangePasswordDocument, LoginDocument, LogoutDocument, MeDocument, RefreshTokenDocument, SignupDocument } from '../../src/client/graphql';
import { errorOf, signUp, startTestServer, TEST_PASSWORD, type TestServer } from '../helpers/server';

const APP = 'https://app.example.test';
const EVIL = 'https://evil.example.test';
const COOKIE = /^refresh_token=([A-Za-z0-9_-]{43}); Max-Age=(\d+); Path=\/graphql; HttpOnly; Secure; SameSite=Strict$/;

/** refreshToken with no token argument: in cookie mode the token is the cookie. */
const refresh = (headers: Record<string, string>) => server.execute(RefreshTokenDocument, {}, { headers });

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ AUTH_COOKIE_MODE: 'true', CORS_ORIGINS: `${APP}, http://localhost:5173` });
});
afterAll(() => server.close());

/** The refresh cookie a response set, from the raw header (the device cookie is test/security/lockout.test.ts's). */
function refreshCookie(headers: Headers): string {
  const cookies = headers.getSetCookie().filter((cookie) => cookie.startsWith('refresh_token='));
  expect(cookies).toHaveLength(1);
  return cookies[0];
}

function cookieValue(setCookie: string): string {
  const match = COOKIE.exec(setCookie);
  if (!match) throw new Error(`unexpected Set-Cookie: ${setCookie}`);
  return match[1];
}

async function loggedIn() {
  const user = await signUp(server);
  const res = await server.execute(LoginDocument, { input: { email: user.email, password: TEST_PASSWORD } });
  return { user, res, cookie: cookieValue(refreshCookie(res.headers)), accessToken: res.body.data!.login.accessToken };
}

function fromBrowser(cookie: string, origin = APP): Record<string, string> {
  return { cookie: `theme=dark; refresh_token=${cookie}`, origin };
}

describe('the cookie', () => {
  it('login sets it HttpOnly, Secure, SameSite=Strict, on the GraphQL path, for the refresh lifetime; the body has no refresh token', async () => {
    const { res } = await loggedIn();
    const setCookie = refreshCookie(res.headers);
    expect(setCookie).toMatch(COOKIE);
    expect(setCookie).toContain(`Max-Age=${30 * 24 * 3600}`);
    expect(res.body.data?.login).toMatchObject({ accessToken: expect.any(String), refreshToken: null, refreshExpiresIn: 30 * 24 * 3600 });
  });

  it('signup sets it too', async () => {
    const res = await server.execute(SignupDocument, { input: { name: 'C', email: 'cookie-signup@example.com', password: TEST_PASSWORD } });
    expect(refreshCookie(res.headers)).toMatch(COOKIE);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data?.signup.refreshToken).toBeNull();
  });

  it('leaves out Secure with AUTH_COOKIE_SECURE=false, for local http development', async () => {
    const local = await startTestServer({ AUTH_COOKIE_MODE: 'true', AUTH_COOKIE_SECURE: 'false', CORS_ORIGINS: 'http://localhost:5173' });
    try {
      const res = await local.execute(SignupDocument, { input: { name: 'L', email: 'local@example.com', password: TEST_PASSWORD } });
      expect(refreshCookie(res.headers)).toMatch(/^refresh_token=[A-Za-z0-9_-]{43}; Max-Age=2592000; Path=\/graphql; HttpOnly; SameSite=Strict$/);
    } finally {
      await local.close();
    }
  });
});

describe('refreshToken from the cookie', () => {
  it('rotates: a new access token in the body, a new cookie, and the old cookie value is spent', async () => {
    const { cookie } = await loggedIn();
    const res = await refresh(fromBrowser(cookie));
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.refreshToken.refreshToken).toBeNull();
    const next = cookieValue(refreshCookie(res.headers));
    expect(next).not.toBe(cookie);
    const me = await server.execute(MeDocument, {}, { token: res.body.data!.refreshToken.accessToken });
    expect(me.body.errors).toBeUndefined();
    server.clock.advance(11);
    const reused = await refresh(fromBrowser(cookie));
    expect(errorOf(reused)).toEqual({ code: 'UNAUTHENTICATED', reason: 'REFRESH_TOKEN_REUSED' });
    // A refused cookie is cleared.
    expect(refreshCookie(reused.headers)).toBe('refresh_token=; Max-Age=0; Path=/graphql; HttpOnly; Secure; SameSite=Strict');
  });

  it('refuses a forged cross-site request (Origin not in CORS_ORIGINS) with FORBIDDEN / ORIGIN_NOT_ALLOWED, and does not spend the cookie', async () => {
    const { cookie } = await loggedIn();
    const forged = await refresh(fromBrowser(cookie, EVIL));
    expect(forged.status).toBe(403);
    expect(errorOf(forged)).toEqual({ code: 'FORBIDDEN', reason: 'ORIGIN_NOT_ALLOWED' });
    expect(forged.text).not.toContain('accessToken');
    expect(forged.headers.get('access-control-allow-origin')).toBeNull();
    const allowed = await refresh(fromBrowser(cookie));
    expect(allowed.body.errors).toBeUndefined();
  });

  it('refuses a request with the cookie and no Origin at all', async () => {
    const { cookie } = await loggedIn();
    const res = await refresh({ cookie: `refresh_token=${cookie}` });
    expect(errorOf(res)).toEqual({ code: 'FORBIDDEN', reason: 'ORIGIN_NOT_ALLOWED' });
  });

  it('refuses a simple text/plain POST, which a cross-site form could send, before it runs, and says which header to send', async () => {
    const { cookie } = await loggedIn();
    const res = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', ...fromBrowser(cookie) },
      body: JSON.stringify({ query: print(RefreshTokenDocument) }),
    });
    expect(res.status).toBe(415);
    expect(await res.json()).toEqual({
      errors: [{ message: 'Send a GraphQL POST as JSON, with the header Content-Type: application/json', extensions: { code: 'UNSUPPORTED_MEDIA_TYPE' } }],
    });
    expect(res.headers.getSetCookie()).toEqual([]);
    const allowed = await refresh(fromBrowser(cookie));
    expect(allowed.body.errors).toBeUndefined();
  });

  it('says REFRESH_TOKEN_MISSING without a cookie', async () => {
    const res = await refresh({ origin: APP });
    expect(errorOf(res)).toEqual({ code: 'UNAUTHENTICATED', reason: 'REFRESH_TOKEN_MISSING' });
  });
});

describe('logout and changePassword', () => {
  it('logout clears the cookie', async () => {
    const { accessToken } = await loggedIn();
    const res = await server.execute(LogoutDocument, {}, { token: accessToken, headers: { origin: APP } });
    expect(res.body.data).toEqual({ logout: true });
    expect(refreshCookie(res.headers)).toBe('refresh_token=; Max-Age=0; Path=/graphql; HttpOnly; Secure; SameSite=Strict');
  });

  it('changePassword sets a new cookie', async () => {
    const { accessToken, cookie } = await loggedIn();
    const res = await server.execute(ChangePasswordDocument, { currentPassword: TEST_PASSWORD, newPassword: 'another good passphrase' }, { token: accessToken });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data?.changePassword.refreshToken).toBeNull();
    expect(cookieValue(refreshCookie(res.headers))).not.toBe(cookie);
    const old = await refresh(fromBrowser(cookie));
    expect(errorOf(old)).toEqual({ code: 'UNAUTHENTICATED', reason: 'TOKEN_REVOKED' });
  });
});

describe('CORS', () => {
  it('answers a preflight from an allowed origin with that origin and credentials, never *', async () => {
    const res = await fetch(server.url, {
      method: 'OPTIONS',
      headers: { origin: APP, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    expect(res.headers.get('access-control-allow-headers')).toContain('authorization');
    expect(res.headers.get('access-control-allow-headers')).toContain('content-type');
    expect(res.headers.get('vary')).toContain('Origin');
  });

  it('refuses a preflight from any other origin, without allow headers', async () => {
    const res = await fetch(server.url, { method: 'OPTIONS', headers: { origin: EVIL, 'access-control-request-method': 'POST' } });
    expect(res.status).toBe(403);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('adds the allow headers to the actual response for an allowed origin only', async () => {
    const allowed = await server.graphql('{ __typename }', {}, { headers: { origin: 'http://localhost:5173' } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    const other = await server.graphql('{ __typename }', {}, { headers: { origin: EVIL } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('with CORS_ORIGINS=* and bearer tokens only, allows any origin but never with credentials', async () => {
    const open = await startTestServer({ CORS_ORIGINS: '*' });
    try {
      const res = await fetch(open.url, { method: 'OPTIONS', headers: { origin: EVIL, 'access-control-request-method': 'POST' } });
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    } finally {
      await open.close();
    }
  });
});
