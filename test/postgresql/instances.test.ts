// Several instances behave as one service: two independent server processes (not cluster workers) on one
// PostgreSQL database and one Redis. Whatever one of them does, the other enforces: within the documented
// bound of one second where it keeps session answers, at once where it reads.
import { randomBytes, randomInt } from 'node:crypto';
import { parse } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { Client } from 'pg';
import {
  ChangePasswordDocument,
  LoginDocument,
  LogoutDocument,
  MeDocument,
  RefreshTokenDocument,
  SetUserRoleDocument,
  SignupDocument,
} from '../../src/client/graphql';
import { connectTo, createEmptyPostgresDatabase, createPostgresDatabase, type TestDatabase } from '../helpers/database';
import { groupEnv, startInstance, startInstances, type Instance } from '../helpers/instances';
import { decodePayload } from '../helpers/jwt';
import { errorOf, TEST_PASSWORD, type GraphQLResponse } from '../helpers/server';
import { describeWithService, REDIS } from '../helpers/services';
import { poll } from '../helpers/wait';

const DELETE_USER = parse('mutation($id: ID!) { deleteUser(id: $id) }') as TypedDocumentNode<{ deleteUser: boolean }, { id: string }>;
const REVOKE_SESSION = parse('mutation($id: ID!) { revokeSession(id: $id) }') as TypedDocumentNode<{ revokeSession: boolean }, { id: string }>;
/** How long an instance that keeps session answers may go on accepting a token another instance revoked. */
const BOUND_MS = 1000;

interface Account {
  id: string;
  email: string;
  token: string;
  refreshToken: string;
}

const email = (label: string) => `${label}-${randomBytes(4).toString('hex')}@example.com`;

async function signUpOn(instance: Instance, label = 'user'): Promise<Account> {
  const address = email(label);
  const res = await instance.execute(SignupDocument, { input: { name: label, email: address, password: TEST_PASSWORD } });
  if (!res.body.data) throw new Error(`signup failed: ${res.text}`);
  const { accessToken, refreshToken, user } = res.body.data.signup;
  return { id: user.id, email: address, token: accessToken, refreshToken: refreshToken! };
}

async function logInOn(instance: Instance, account: Pick<Account, 'email'>, password = TEST_PASSWORD): Promise<Account> {
  const res = await instance.execute(LoginDocument, { input: { email: account.email, password } });
  if (!res.body.data) throw new Error(`login failed: ${res.text}`);
  const { accessToken, refreshToken, user } = res.body.data.login;
  return { id: user.id, email: account.email, token: accessToken, refreshToken: refreshToken! };
}

const me = (instance: Instance, token: string) => instance.execute(MeDocument, {}, { token });

/** Two answers from `instance`, so that a keeping instance keeps this token's session. */
async function warm(instance: Instance, token: string): Promise<void> {
  for (let i = 0; i < 2; i += 1) expect((await me(instance, token)).body.errors).toBeUndefined();
}

/**
 * Asks `instance` with `token` until it is refused; fails if a request sent more than the bound after
 * `since` (the revoking response) is still answered. Resolves with how long after `since` the refusal came.
 */
async function refusedWithinBound(instance: Instance, token: string, since: number, reason = 'TOKEN_REVOKED'): Promise<number> {
  const { value: res, met, afterMs } = await poll(() => me(instance, token), (answer) => answer.status === 401, { withinMs: BOUND_MS, everyMs: 5, since });
  if (!met) throw new Error(`${instance.name} still accepted the token ${afterMs} ms after it was revoked`);
  expect(errorOf(res).reason).toBe(reason);
  return afterMs;
}

describeWithService(REDIS, 'two instances on one PostgreSQL and one Redis', () => {
  let database: TestDatabase;
  let a: Instance;
  let b: Instance;
  let sql: Client;
  let admin: Account;
  beforeAll(async () => {
    database = await createPostgresDatabase();
    [a, b] = await startInstances(['A', 'B'], groupEnv(database));
    sql = await connectTo(database);
    admin = await signUpOn(a, 'admin');
    await sql.query("update users set role = 'ADMIN' where public_id = $1", [admin.id]);
  });
  afterAll(async () => {
    await sql.end();
    await Promise.all([a.stop(), b.stop()]);
    await database.drop();
  });

  it('a token issued by A works on B, and the other way round', async () => {
    const onA = await signUpOn(a);
    const onB = await signUpOn(b);
    expect((await me(b, onA.token)).body.data).toEqual({ me: expect.objectContaining({ id: onA.id }) });
    expect((await me(a, onB.token)).body.data).toEqual({ me: expect.objectContaining({ id: onB.id }) });
  });

  describe('what A ends, B refuses (B keeping session answers, warm)', () => {
    it('logout (LOCAL)', async () => {
      const user = await signUpOn(a);
      await warm(b, user.token);
      expect((await a.execute(LogoutDocument, {}, { token: user.token })).body.data).toEqual({ logout: true });
      await refusedWithinBound(b, user.token, Date.now());
    });

    it.each(['OTHERS', 'GLOBAL'] as const)('logout (%s) ends the other session', async (scope) => {
      const user = await signUpOn(a);
      const other = await logInOn(b, user);
      await warm(b, other.token);
      expect((await a.execute(LogoutDocument, { scope }, { token: user.token })).body.data).toEqual({ logout: true });
      await refusedWithinBound(b, other.token, Date.now());
    });

    it('revokeSession', async () => {
      const user = await signUpOn(a);
      const other = await logInOn(b, user);
      await warm(b, other.token);
      const res = await a.execute(REVOKE_SESSION, { id: decodePayload(other.token).sid as string }, { token: user.token });
      expect(res.body.data).toEqual({ revokeSession: true });
      await refusedWithinBound(b, other.token, Date.now());
    });

    it('changePassword', async () => {
      const user = await signUpOn(a);
      const other = await logInOn(b, user);
      await warm(b, other.token);
      const res = await a.execute(ChangePasswordDocument, { currentPassword: TEST_PASSWORD, newPassword: 'another long passphrase' }, { token: user.token });
      expect(res.body.errors).toBeUndefined();
      await refusedWithinBound(b, other.token, Date.now());
    });

    it('setUserRole', async () => {
      const user = await signUpOn(a);
      await warm(b, user.token);
      const res = await a.execute(SetUserRoleDocument, { id: user.id, role: 'ADMIN' }, { token: admin.token });
      expect(res.body.errors).toBeUndefined();
      await refusedWithinBound(b, user.token, Date.now());
    });

    it('deleteUser', async () => {
      const user = await signUpOn(a);
      await warm(b, user.token);
      expect((await a.execute(DELETE_USER, { id: user.id }, { token: admin.token })).body.data).toEqual({ deleteUser: true });
      await refusedWithinBound(b, user.token, Date.now(), 'USER_NOT_FOUND');
    });
  });

  it('20 parallel refreshes of one token spread over A and B leave one live token family, and every winner the same pair', async () => {
    const user = await signUpOn(a);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).execute(RefreshTokenDocument, { token: user.refreshToken })),
    );
    const pairs = results.map((res) => res.body.data?.refreshToken);
    expect(pairs.every(Boolean)).toBe(true);
    expect(new Set(pairs.map((pair) => pair!.refreshToken)).size).toBe(1);
    expect(new Set(pairs.map((pair) => pair!.accessToken)).size).toBe(1);
    const { rows } = await sql.query(
      `select t.rotated_at from refresh_tokens t join sessions s on s.id = t.session_id where s.public_id = $1 order by t.id`,
      [decodePayload(user.token).sid],
    );
    expect(rows.map((row) => row.rotated_at === null)).toEqual([false, true]);
    expect((await me(b, pairs[0]!.accessToken)).body.errors).toBeUndefined();
  });

  it('20 concurrent signups with one email spread over A and B create exactly one user', async () => {
    const address = email('crowd');
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 === 0 ? a : b).execute(SignupDocument, { input: { name: 'Crowd', email: i % 3 ? address.toUpperCase() : address, password: TEST_PASSWORD } }),
      ),
    );
    expect(results.filter((res) => res.body.data)).toHaveLength(1);
    expect(results.filter((res) => errorOf(res).reason === 'EMAIL_TAKEN')).toHaveLength(19);
    expect((await sql.query('select count(*)::int as n from users where email = $1', [address])).rows[0].n).toBe(1);
  });

  it('two admins demoting each other at the same moment on A and B always leave an ADMIN', async () => {
    await sql.query("update users set role = 'USER' where role = 'ADMIN'");
    const x = await signUpOn(a, 'x');
    const y = await signUpOn(b, 'y');
    try {
      for (let round = 0; round < 10; round += 1) {
        await sql.query("update users set role = case when role = 'ADMIN' then role else 'ADMIN' end where public_id = any($1)", [[x.id, y.id]]);
        const [xs, ys] = await Promise.all([logInOn(a, x), logInOn(b, y)]);
        await Promise.all([
          a.execute(SetUserRoleDocument, { id: y.id, role: 'USER' }, { token: xs.token }),
          b.execute(SetUserRoleDocument, { id: x.id, role: 'USER' }, { token: ys.token }),
        ]);
        expect((await sql.query("select count(*)::int as n from users where role = 'ADMIN'")).rows[0].n).toBeGreaterThanOrEqual(1);
      }
    } finally {
      await sql.query("update users set role = 'ADMIN' where public_id = $1", [admin.id]);
    }
  });
});

describeWithService(REDIS, 'two instances with reuse detection and brute-force limits', () => {
  let database: TestDatabase;
  let a: Instance;
  let b: Instance;
  beforeAll(async () => {
    database = await createPostgresDatabase();
    const env = groupEnv(database, {
      REFRESH_REUSE_GRACE: '0',
      LOGIN_MAX_FAILURES: '5',
      RATE_LIMIT_LOGIN_IP: '8/1m',
      TRUSTED_PROXIES: '127.0.0.1',
    });
    [a, b] = await startInstances(['A', 'B'], env);
  });
  afterAll(async () => {
    await Promise.all([a.stop(), b.stop()]);
    await database.drop();
  });

  it('a refresh token reused on A ends the session on B', async () => {
    const user = await signUpOn(a);
    await warm(b, user.token);
    expect((await a.execute(RefreshTokenDocument, { token: user.refreshToken })).body.errors).toBeUndefined();
    const reuse = await a.execute(RefreshTokenDocument, { token: user.refreshToken });
    expect(errorOf(reuse).reason).toBe('REFRESH_TOKEN_REUSED');
    await refusedWithinBound(b, user.token, Date.now());
  });

  it('per-account backoff and per-IP limits are shared through Redis', async () => {
    const client = { 'x-forwarded-for': `198.18.${randomInt(256)}.${randomInt(256)}` };
    const address = email('guessed');
    const login = (instance: Instance, who: string) =>
      instance.execute(LoginDocument, { input: { email: who, password: 'wrong password' } }, { headers: client });
    for (let i = 0; i < 5; i += 1) expect(errorOf(await login(i % 2 ? b : a, address)).reason).toBe('INVALID_CREDENTIALS');
    expect(errorOf(await login(a, address)).code).toBe('RATE_LIMITED');
    expect(errorOf(await login(b, address)).code).toBe('RATE_LIMITED');
    // 7 of the client's 8 attempts are spent; one more anywhere, then the address is limited everywhere.
    expect(errorOf(await login(b, email('other'))).reason).toBe('INVALID_CREDENTIALS');
    expect(errorOf(await login(a, email('third'))).code).toBe('RATE_LIMITED');
  });
});

describe('instances starting together on an empty database', () => {
  it('apply each migration once, and all come up', async () => {
    const database = await createEmptyPostgresDatabase();
    const instances = await startInstances(['A', 'B', 'C'], groupEnv(database, { REDIS_URL: '' }));
    try {
      const sql = await connectTo(database);
      try {
        const { rows } = await sql.query('select name, count(*)::int as n from mikro_orm_migrations group by name');
        expect(rows.every((row) => row.n === 1)).toBe(true);
        expect(rows.length).toBeGreaterThan(0);
      } finally {
        await sql.end();
      }
      for (const instance of instances) expect((await signUpOn(instance)).token).toEqual(expect.any(String));
    } finally {
      await Promise.all(instances.map((instance) => instance.stop()));
      await database.drop();
    }
  });

  it('with MIGRATE_ON_START=false on a schema behind the code, refuse to start, naming npm run migrate', async () => {
    const database = await createEmptyPostgresDatabase();
    try {
      await expect(startInstance('A', groupEnv(database, { REDIS_URL: '', MIGRATE_ON_START: 'false' }))).rejects.toThrow(/npm run migrate/);
    } finally {
      await database.drop();
    }
  });
});

describe('SIGKILL of one instance in the middle of a signup-and-refresh load', () => {
  it('loses no committed write, leaves no user without a session, and the other instance answers throughout', async () => {
    const database = await createPostgresDatabase();
    const env = groupEnv(database, { REDIS_URL: '' });
    const [a, b] = await startInstances(['A', 'B'], env);
    const sql = await connectTo(database);
    const seen = new Set<string>();
    const liveTokens: string[] = [];
    const bAnswers: GraphQLResponse[] = [];
    let stopping = false;
    let killed = false;
    try {
      /** A client signing up then refreshing on A until A dies; what it saw succeed is recorded. */
      const client = async () => {
        while (!stopping) {
          let account: Account;
          try {
            account = await signUpOn(a);
          } catch {
            if (killed) return;
            continue;
          }
          seen.add(account.email);
          let token = account.refreshToken;
          for (let i = 0; i < 3 && !stopping; i += 1) {
            try {
              const res = await a.execute(RefreshTokenDocument, { token });
              token = res.body.data!.refreshToken.refreshToken!;
            } catch {
              return;
            }
          }
          liveTokens.push(token);
        }
      };
      /** B's users meanwhile: every answer must be a full one. */
      const onB = async () => {
        const user = await signUpOn(b);
        while (!stopping) bAnswers.push(await me(b, user.token));
      };
      const load = [...Array.from({ length: 6 }, client), onB()];
      await new Promise((resolve) => setTimeout(resolve, 300 + randomInt(500)));
      killed = true;
      a.server.child.kill('SIGKILL');
      await new Promise((resolve) => setTimeout(resolve, 300));
      stopping = true;
      await Promise.all(load);

      expect(seen.size).toBeGreaterThan(0);
      expect(bAnswers.length).toBeGreaterThan(0);
      expect(bAnswers.filter((res) => res.status !== 200 || res.body.errors)).toEqual([]);
      const { rows: users } = await sql.query<{ email: string }>('select email from users');
      const stored = new Set(users.map((row) => row.email));
      expect([...seen].filter((address) => !stored.has(address))).toEqual([]);
      const { rows: lonely } = await sql.query('select u.email from users u where not exists (select 1 from sessions s where s.user_id = u.id)');
      expect(lonely).toEqual([]);
      const { rows: families } = await sql.query(
        `select s.public_id, count(t.id) filter (where t.rotated_at is null)::int as live from sessions s
         join refresh_tokens t on t.session_id = s.id where s.revoked_at is null group by s.public_id having count(t.id) filter (where t.rotated_at is null) <> 1`,
      );
      expect(families).toEqual([]);
      // Every refresh token a client saw issued, and did not spend, is still live.
      for (const token of liveTokens) expect((await b.execute(RefreshTokenDocument, { token })).body.errors).toBeUndefined();
    } finally {
      stopping = true;
      await sql.end();
      await b.stop();
      await database.drop();
    }
  });
});
