// Locking someone else out, and guessing in parallel: the login backoff counts per (account, client
// network or device), a device that has logged in before passes what others triggered, the account-wide
// ceiling still slows a guess spread over many networks, and a backoff window admits exactly one attempt.
import { ChangePasswordDocument, LoginDocument } from '../../src/client/graphql';
import { LogCapture, errorOf, signUp, TEST_PASSWORD, type GraphQLResponse, type TestServer } from '../helpers/server';
import { DEFAULT_LIMITS, startAttackedServer } from './harness';

const NEW_PASSWORD = 'a new long passphrase';
const ACCOUNT_CEILING = 10;
const DEVICE_COOKIE = /^device_token=([A-Za-z0-9_.-]+); Max-Age=31536000; Path=\/graphql; HttpOnly; Secure; SameSite=Strict$/;

let server: TestServer;
const logs = new LogCapture();
beforeAll(async () => {
  // A real server with the deployed backoff, behind a trusted proxy so that each test can be many clients.
  server = await startAttackedServer(
    {
      ...DEFAULT_LIMITS,
      RATE_LIMIT_LOGIN_IP: '1000/1m',
      RATE_LIMIT_SIGNUP_IP: '1000/1m',
      RATE_LIMIT_CHANGE_PASSWORD_IP: '1000/1m',
      LOGIN_ACCOUNT_MAX_FAILURES: `${ACCOUNT_CEILING}/1h`,
      TRUSTED_PROXIES: '127.0.0.1',
      LOG_LEVEL: 'info',
    },
    logs,
  );
});
afterAll(() => server.close());

let network = 0;
/** A client on a network of its own. */
function client(): Record<string, string> {
  network += 1;
  return { 'x-forwarded-for': `198.51.100.${network}` };
}

const login = (email: string, password: string, headers: Record<string, string>) => server.execute(LoginDocument, { input: { email, password } }, { headers });

/** The device token a response set, as the Cookie header a browser would send back. */
function deviceCookieOf(res: GraphQLResponse<unknown>): string {
  const cookie = res.headers.getSetCookie().find((each) => each.startsWith('device_token='));
  const value = cookie && DEVICE_COOKIE.exec(cookie)?.[1];
  if (!value) throw new Error(`no device cookie in ${JSON.stringify(res.headers.getSetCookie())}`);
  return `device_token=${value}`;
}

async function failFiveTimes(email: string, from: Record<string, string>): Promise<void> {
  for (let i = 0; i < 5; i++) expect(errorOf(await login(email, 'wrong password', from))).toEqual({ code: 'UNAUTHENTICATED', reason: 'INVALID_CREDENTIALS' });
}

describe('the backoff belongs to the client that failed', () => {
  it("failures from an attacker's network do not refuse the owner, with the right password, on theirs", async () => {
    const { email } = await signUp(server);
    const attacker = client();
    await failFiveTimes(email, attacker);
    expect(errorOf(await login(email, 'wrong password', attacker)).code).toBe('RATE_LIMITED');
    const owner = await login(email, TEST_PASSWORD, client());
    expect(owner.body.errors).toBeUndefined();
  });

  it("the attacker's own network stays backed off, even for the right password", async () => {
    const { email } = await signUp(server);
    const attacker = client();
    await failFiveTimes(email, attacker);
    const right = await login(email, TEST_PASSWORD, attacker);
    expect(right.status).toBe(429);
    expect(errorOf(right).code).toBe('RATE_LIMITED');
  });

  it('failed logins elsewhere do not stop the owner from changing their password', async () => {
    const { email, token } = await signUp(server);
    await failFiveTimes(email, client());
    const res = await server.execute(ChangePasswordDocument, { currentPassword: TEST_PASSWORD, newPassword: NEW_PASSWORD }, { token, headers: client() });
    expect(res.body.errors).toBeUndefined();
  });
});

describe('a device that has logged in before', () => {
  it('gets a device cookie on login: HttpOnly, on /graphql only, for a year, without cookie mode', async () => {
    const { email } = await signUp(server);
    const res = await login(email, TEST_PASSWORD, client());
    expect(res.headers.getSetCookie()).toEqual([expect.stringMatching(DEVICE_COOKIE)]);
  });

  it('passes the backoff that failures from its own network started (a shared NAT), where other clients are refused', async () => {
    const { email } = await signUp(server);
    const nat = client();
    const device = deviceCookieOf(await login(email, TEST_PASSWORD, nat));
    await failFiveTimes(email, nat);
    expect(errorOf(await login(email, TEST_PASSWORD, nat)).code).toBe('RATE_LIMITED');
    const known = await login(email, TEST_PASSWORD, { ...nat, cookie: device });
    expect(known.body.errors).toBeUndefined();
  });

  it('passes it for changePassword too', async () => {
    const { email, token } = await signUp(server);
    const nat = client();
    const device = deviceCookieOf(await login(email, TEST_PASSWORD, nat));
    await failFiveTimes(email, nat);
    const refused = await server.execute(ChangePasswordDocument, { currentPassword: TEST_PASSWORD, newPassword: NEW_PASSWORD }, { token, headers: nat });
    expect(errorOf(refused).code).toBe('RATE_LIMITED');
    const res = await server.execute(ChangePasswordDocument, { currentPassword: TEST_PASSWORD, newPassword: NEW_PASSWORD }, { token, headers: { ...nat, cookie: device } });
    expect(res.body.errors).toBeUndefined();
    expect(deviceCookieOf(res)).not.toBe(device);
  });

  it("is limited by its own failures: a stolen device cookie buys no more guesses than the owner's device has", async () => {
    const { email } = await signUp(server);
    const device = deviceCookieOf(await login(email, TEST_PASSWORD, client()));
    const thief = { ...client(), cookie: device };
    await failFiveTimes(email, thief);
    expect(errorOf(await login(email, TEST_PASSWORD, thief)).code).toBe('RATE_LIMITED');
  });

  it("does not help with another account, and a tampered token does not help at all", async () => {
    const alice = await signUp(server);
    const bob = await signUp(server);
    const nat = client();
    const alicesDevice = deviceCookieOf(await login(alice.email, TEST_PASSWORD, nat));
    const bobsDevice = deviceCookieOf(await login(bob.email, TEST_PASSWORD, nat));
    await failFiveTimes(bob.email, nat);
    expect(errorOf(await login(bob.email, TEST_PASSWORD, { ...nat, cookie: alicesDevice })).code).toBe('RATE_LIMITED');
    // One character of the MAC changed, and (the same bytes, another spelling) the spare bits of its last one.
    const flip = (char: string) => (char === 'A' ? 'B' : 'A');
    const tampered = bobsDevice.slice(0, -10) + flip(bobsDevice.at(-10)!) + bobsDevice.slice(-9);
    const respelled = bobsDevice.slice(0, -1) + flip(bobsDevice.at(-1)!);
    for (const cookie of [tampered, respelled]) {
      expect(errorOf(await login(bob.email, TEST_PASSWORD, { ...nat, cookie })).code).toBe('RATE_LIMITED');
    }
  });

  it('loses its trust when the password changes', async () => {
    const { email, token } = await signUp(server);
    const nat = client();
    const oldDevice = deviceCookieOf(await login(email, TEST_PASSWORD, nat));
    const changed = await server.execute(ChangePasswordDocument, { currentPassword: TEST_PASSWORD, newPassword: NEW_PASSWORD }, { token, headers: client() });
    expect(changed.body.errors).toBeUndefined();
    await failFiveTimes(email, nat);
    expect(errorOf(await login(email, NEW_PASSWORD, { ...nat, cookie: oldDevice })).code).toBe('RATE_LIMITED');
  });
});

describe('the account ceiling', () => {
  it(`refuses clients without a device token once ${ACCOUNT_CEILING} failures came from many networks, until the window ends; a known device still logs in`, async () => {
    const { email } = await signUp(server);
    const device = deviceCookieOf(await login(email, TEST_PASSWORD, client()));
    for (let i = 0; i < ACCOUNT_CEILING; i++) expect(errorOf(await login(email, 'wrong password', client())).reason).toBe('INVALID_CREDENTIALS');

    const stranger = await login(email, TEST_PASSWORD, client());
    expect(stranger.status).toBe(429);
    expect(errorOf(stranger).code).toBe('RATE_LIMITED');
    const windowLeft = 3600 - (Math.floor(server.clock.now() / 1000) % 3600);
    expect(stranger.body.errors?.[0].extensions?.retryAfter).toBe(windowLeft);

    expect((await login(email, TEST_PASSWORD, { ...client(), cookie: device })).body.errors).toBeUndefined();
    server.clock.advance(windowLeft);
    expect((await login(email, TEST_PASSWORD, client())).body.errors).toBeUndefined();
  });
});

describe('parallel guesses', () => {
  // A real bcrypt cost and one hash thread, kept busy while the burst arrives: every attempt of the burst
  // reaches the limits before any password check of it can finish, as in a real storm.
  let slow: TestServer;
  const slowLogs = new LogCapture();
  beforeAll(async () => {
    slow = await startAttackedServer(
      { ...DEFAULT_LIMITS, RATE_LIMIT_LOGIN_IP: '1000/1m', RATE_LIMIT_CHANGE_PASSWORD_IP: '1000/1m', BCRYPT_COST: '10', HASH_WORKERS: '1', HASH_QUEUE_MAX: '64', LOG_LEVEL: 'info' },
      slowLogs,
    );
  });
  afterAll(() => slow.close());

  /** The requests of a burst whose password was really checked, from the audit log. */
  const checked = (burst: string, events: string[]) =>
    slowLogs.lines.filter((line) => String(line.requestId).startsWith(burst) && events.includes(String(line.event))).map((line) => line.requestId);

  /** Five wrong passwords, then wait out the 1 s backoff they started. */
  async function backedOffAndExpired(email: string): Promise<void> {
    for (let i = 0; i < 5; i++) expect(errorOf(await slow.execute(LoginDocument, { input: { email, password: 'wrong password' } })).reason).toBe('INVALID_CREDENTIALS');
    slow.clock.advance(1);
  }

  /** Keep the hash thread busy with real hashes while `burst` runs. */
  async function whileHashingIsBusy<T>(burst: () => Promise<T>): Promise<T> {
    const busy = Promise.all(Array.from({ length: 3 }, () => slow.app.hasher.hash('keeps the hash thread busy')));
    const result = await burst();
    await busy;
    return result;
  }

  it('after a backoff ends, 25 simultaneous logins (24 wrong, 1 right) get one password check, not 25', async () => {
    const { email } = await signUp(slow);
    await backedOffAndExpired(email);
    const burst = await whileHashingIsBusy(() =>
      Promise.all(
        Array.from({ length: 25 }, (_, i) =>
          slow.execute(LoginDocument, { input: { email, password: i === 12 ? TEST_PASSWORD : `wrong password ${i}` } }, { headers: { 'x-request-id': `login-burst-${i}` } }),
        ),
      ),
    );
    const checks = checked('login-burst-', ['login.failure', 'login.success']);
    expect(checks).toHaveLength(1);
    expect(burst.filter((res) => errorOf(res).code === 'RATE_LIMITED')).toHaveLength(24);
    // The right password got in only if it was the one checked.
    const succeeded = burst.findIndex((res) => res.body.errors === undefined);
    expect(succeeded === -1 ? checks[0] !== 'login-burst-12' : checks[0] === 'login-burst-12').toBe(true);
  });

  it('the same for changePassword', async () => {
    const { email, token } = await signUp(slow);
    await backedOffAndExpired(email);
    await whileHashingIsBusy(() =>
      Promise.all(
        Array.from({ length: 25 }, (_, i) =>
          slow.execute(ChangePasswordDocument, { currentPassword: i === 12 ? TEST_PASSWORD : `wrong password ${i}`, newPassword: NEW_PASSWORD }, {
            token,
            headers: { 'x-request-id': `change-burst-${i}` },
          }),
        ),
      ),
    );
    expect(checked('change-burst-', ['password.change_failed', 'password.changed'])).toHaveLength(1);
  });
});
