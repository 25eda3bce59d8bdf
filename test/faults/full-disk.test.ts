// A full disk under the SQLite database (issue 17, item 3): the server process's database on a small tmpfs that
// the test fills. Writes (signup, login, refresh, logout) answer SERVICE_UNAVAILABLE with 503 and one warning line that
// names the driver code, with nothing internal in the answer; reads (`me` for open sessions) keep working; once
// the filler is deleted the same process serves writes again, nothing acknowledged is lost, and
// PRAGMA integrity_check answers ok. Mounting needs root: where it is refused the test is skipped, loudly (the
// issue's one allowed skip). SQLite by nature: the PostgreSQL run says so and runs nothing.
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LoginDocument, LogoutDocument, MeDocument, RefreshTokenDocument, SignupDocument } from '../../src/client/graphql';
import { onPostgres } from '../helpers/database';
import { recordFigures } from '../helpers/fault-figures';
import { groupEnv, startInstance, type Instance } from '../helpers/instances';
import { errorOf, TEST_PASSWORD, type GraphQLResponse } from '../helpers/server';
import { poll } from '../helpers/wait';

/** Big enough for the migrated database and its WAL, small enough to fill in a moment. */
const DISK_SIZE = '16m';
const UNAVAILABLE_LINE = 'database unavailable: answered 503';
/** What an answer must never show: driver codes, paths, stack frames. */
const INTERNALS = /sqlite|\/tmp\/|\.js:\d+|\bat \w+ \(|stack/i;

function mount(dir: string, size: string): string | undefined {
  const result = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { encoding: 'utf8' });
  return result.status === 0 ? undefined : `mount -t tmpfs failed (${(result.stderr || result.error?.message || '').trim()})`;
}

function unmount(dir: string): void {
  if (spawnSync('umount', [dir]).status !== 0) spawnSync('umount', ['-l', dir]);
}

/** Why a tmpfs cannot be mounted here, or undefined when it can (tried once, on a throwaway directory). */
function mountingRefused(): string | undefined {
  if (process.getuid?.() !== 0) return 'mounting a small filesystem needs root';
  const probe = mkdtempSync(join(tmpdir(), 'mount-probe-'));
  try {
    const refused = mount(probe, '1m');
    if (!refused) unmount(probe);
    return refused;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

/** Writes zeros to `path` until the filesystem refuses (ENOSPC); resolves with the bytes written. */
function fillDisk(path: string): number {
  const fd = openSync(path, 'w');
  let written = 0;
  try {
    for (const size of [1 << 20, 1 << 12, 1]) {
      const chunk = Buffer.alloc(size);
      for (;;) {
        try {
          written += writeSync(fd, chunk);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
          break;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return written;
}

interface Account {
  email: string;
  accessToken: string;
  refreshToken: string;
}

function describeFullDisk(title: string, body: () => void): void {
  if (onPostgres) {
    // Reported as skipped, with its reason in the title.
    describe.skip(`${title}: SQLite by nature, no PostgreSQL counterpart in issue 17 (runs in the SQLite pass)`, body);
    return;
  }
  const refused = mountingRefused();
  if (refused) {
    // The one skip issue 17 allows, even under CI=true: a machine that may not mount cannot fill a disk safely.
    // eslint-disable-next-line no-console
    console.warn(`\n!!! SKIPPED "${title}": ${refused}. Run the fault suite as root on a machine that allows mount.\n`);
    describe.skip(title, body);
    return;
  }
  describe(title, body);
}

describeFullDisk('a full disk under the SQLite database', () => {
  let dir: string;
  let mounted = false;
  let server: Instance | undefined;
  const filler = () => join(dir, 'filler');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'full-disk-'));
    const refused = mount(dir, DISK_SIZE);
    if (refused) throw new Error(refused);
    mounted = true;
    server = await startInstance('full-disk', groupEnv({ env: { DB_PATH: join(dir, 'app.db') }, drop: async () => undefined }, { REDIS_URL: '' }));
  }, 60_000);

  afterAll(async () => {
    if (server && server.server.child.exitCode === null && server.server.child.signalCode === null) await server.stop();
    if (mounted) unmount(dir);
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses writes with 503 while full, keeps serving reads, recovers without a restart, and loses nothing', async () => {
    const api = server!;
    const signup = (label: string) =>
      api.execute(SignupDocument, { input: { name: label, email: `${label}-${randomBytes(4).toString('hex')}@example.com`, password: TEST_PASSWORD } });
    const acknowledged: string[] = [];
    const open = async (label: string): Promise<Account> => {
      const res = await signup(label);
      if (res.status !== 200 || !res.body.data) throw new Error(`signup failed: ${res.text}`);
      const { accessToken, refreshToken, user } = res.body.data.signup;
      acknowledged.push(user.email!);
      return { email: user.email!, accessToken, refreshToken: refreshToken! };
    };
    const accounts = [await open('before-a'), await open('before-b'), await open('before-c')];

    const expectUnavailable = (res: GraphQLResponse<unknown>, what: string) => {
      expect({ what, status: res.status, data: res.body.data ?? null, codes: res.body.errors?.map((error) => error.extensions?.code) }).toEqual({
        what,
        status: 503,
        data: null,
        codes: ['SERVICE_UNAVAILABLE'],
      });
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(res.text).not.toMatch(INTERNALS);
    };

    const linesBefore = api.server.lines().length;
    const filledBytes = fillDisk(filler());

    // SQLite may still fit a write or two in pages its files already hold (acknowledged, so they must last);
    // the first refusal comes soon after.
    let acceptedWhileFull = 0;
    let first: GraphQLResponse<unknown> | undefined;
    while (!first && acceptedWhileFull < 100) {
      const res = await signup('while-full');
      if (res.status === 200 && res.body.data) {
        acknowledged.push((res.body.data as { signup: { user: { email: string } } }).signup.user.email);
        acceptedWhileFull += 1;
      } else first = res;
    }
    expect(first).toBeDefined();
    expectUnavailable(first!, 'the first signup refused');

    let refused = 1;
    const writes: Array<[string, () => Promise<GraphQLResponse<unknown>>]> = [
      ['signup', () => signup('full')],
      ['login', () => api.execute(LoginDocument, { input: { email: accounts[0].email, password: TEST_PASSWORD } })],
      ['refresh', () => api.execute(RefreshTokenDocument, { token: accounts[1].refreshToken })],
      ['logout', () => api.execute(LogoutDocument, {}, { token: accounts[2].accessToken })],
    ];
    for (let round = 0; round < 3; round += 1) {
      for (const [what, write] of writes) {
        expectUnavailable(await write(), what);
        refused += 1;
      }
    }

    let readsOk = 0;
    for (let round = 0; round < 5; round += 1) {
      for (const account of accounts) {
        const res = await api.execute(MeDocument, {}, { token: account.accessToken });
        expect({ status: res.status, email: res.body.data?.me.email, errors: res.body.errors }).toEqual({ status: 200, email: account.email, errors: undefined });
        readsOk += 1;
      }
    }

    // One warning per refusal, naming the driver code and nothing else: no error line, no stack, no statement.
    const duringFull = api.server.lines().slice(linesBefore);
    const warnings = duringFull.filter((line) => line.msg === UNAVAILABLE_LINE);
    expect(warnings).toHaveLength(refused);
    for (const line of warnings) {
      expect(line.dbCode).toMatch(/^SQLITE_FULL/);
      expect(Object.keys(line).filter((key) => !['level', 'time', 'pid', 'hostname', 'msg', 'requestId', 'dbCode'].includes(key))).toEqual([]);
    }
    expect(duringFull.filter((line) => Number(line.level) >= 50)).toEqual([]);

    // Space comes back: the same process serves writes again.
    unlinkSync(filler());
    const freedAt = Date.now();
    const recovered = await poll(() => signup('after'), (res) => res.status === 200, { withinMs: 10_000, everyMs: 10, since: freedAt });
    expect(recovered.value.status).toBe(200);
    const recoveryMs = recovered.afterMs;
    acknowledged.push((recovered.value.body.data as { signup: { user: { email: string } } }).signup.user.email);
    acknowledged.push((await open('after-more')).email);
    const login = await api.execute(LoginDocument, { input: { email: accounts[0].email, password: TEST_PASSWORD } });
    expect(login.status).toBe(200);
    // The refresh refused on the full disk was not spent: it still rotates.
    const refresh = await api.execute(RefreshTokenDocument, { token: accounts[1].refreshToken });
    expect({ status: refresh.status, errors: refresh.body.errors }).toEqual({ status: 200, errors: undefined });
    expect((await api.execute(MeDocument, {}, { token: refresh.body.data!.refreshToken.accessToken })).body.data?.me.email).toBe(accounts[1].email);
    // The logout refused on the full disk did not happen: the session is still open, and now it ends.
    expect((await api.execute(MeDocument, {}, { token: accounts[2].accessToken })).body.data?.me.email).toBe(accounts[2].email);
    expect((await api.execute(LogoutDocument, {}, { token: accounts[2].accessToken })).status).toBe(200);
    expect(errorOf(await api.execute(MeDocument, {}, { token: accounts[2].accessToken }))).toEqual({ code: 'UNAUTHENTICATED', reason: 'TOKEN_REVOKED' });

    expect(await api.stop()).toBe(0);
    const db = new Database(join(dir, 'app.db'), { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const stored = new Set(db.prepare('select email from users').pluck().all() as string[]);
      expect(acknowledged.filter((email) => !stored.has(email))).toEqual([]);
    } finally {
      db.close();
    }

    recordFigures('full-disk', {
      fillerBytes: filledBytes,
      writesAcceptedWhileFull: acceptedWhileFull,
      writesRefused503: refused,
      readsOkWhileFull: readsOk,
      recoveryMs,
    });
  }, 120_000);
});
