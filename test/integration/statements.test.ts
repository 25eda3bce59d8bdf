// The SQL each hot operation runs, on whichever database the suite runs (the statements are the same on
// both; only BEGIN differs). Plans are pinned per database: test/sqlite/, test/postgresql/.
import { RefreshTokenDocument } from '../../src/client/graphql';
import { SQLITE_DATA_VERSION_SQL } from '../../src/db/session-cache';
import { CLAIM_SQL, EXTEND_SESSION_SQL, INSERT_REFRESH_TOKEN_SQL, INSERT_SESSION_SQL, SESSION_WITH_USER_SQL } from '../../src/db/sessions.store';
import { CREDENTIALS_BY_EMAIL_SQL, EMAIL_TAKEN_SQL, INSERT_USER_SQL } from '../../src/db/users.store';
import { decodePayload } from '../helpers/jwt';
import { onPostgres, queriesDuring } from '../helpers/database';
import { logIn, signUp, startTestServer, type TestServer } from '../helpers/server';

const BEGIN = onPostgres ? 'begin' : 'begin immediate';
/** What a request served from a kept answer runs first: nothing, on either database (SQLite counts this process's writes in memory). */
const KEPT: string[] = [];
/** The statements a request ran, without SQLite's data_version readings, taken once per millisecond of the server's clock. */
const runBy = async (target: TestServer, action: () => Promise<unknown>) =>
  (await queriesDuring(target, action)).filter((query) => query !== SQLITE_DATA_VERSION_SQL);

let server: TestServer;
beforeAll(async () => {
  // Mail off: no background sender polling the outbox between these statements, and no verification email after
  // signup (its link and message commit in a transaction of their own, after the signup's: test/integration/recovery.test.ts).
  server = await startTestServer({ MAIL_DISABLED: 'true' });
});
afterAll(() => server.close());

it('signup writes the user, the session and its refresh token in one transaction: never a user without a session', async () => {
  const queries = await queriesDuring(server, () => signUp(server));
  expect(queries).toEqual([EMAIL_TAKEN_SQL, BEGIN, INSERT_USER_SQL, INSERT_SESSION_SQL, INSERT_REFRESH_TOKEN_SQL, 'commit']);
});

it('login reads the user by email, then writes the new session and its refresh token in one transaction: nothing else', async () => {
  const user = await signUp(server);
  expect(await queriesDuring(server, () => logIn(server, user.email))).toEqual([
    CREDENTIALS_BY_EMAIL_SQL,
    BEGIN,
    INSERT_SESSION_SQL,
    INSERT_REFRESH_TOKEN_SQL,
    'commit',
  ]);
});

it('a refresh spends the token, stores its successor and moves the session on, in one transaction: nothing else', async () => {
  const user = await signUp(server);
  server.clock.advance(60);
  const queries = await queriesDuring(server, () => server.execute(RefreshTokenDocument, { token: user.refreshToken }));
  expect(queries.filter((query) => !query.startsWith('select'))).toEqual([BEGIN, CLAIM_SQL, INSERT_REFRESH_TOKEN_SQL, EXTEND_SESSION_SQL, 'commit']);
});

it('the per-request check of a session not kept yet is one statement: the session joined with its user', async () => {
  const user = await signUp(server);
  const me = () => server.graphql('{ me { id } }', {}, { token: user.token });
  expect(await runBy(server, me)).toEqual([...KEPT, SESSION_WITH_USER_SQL]);
});

it('never sees the uncommitted writes of a transaction in progress', async () => {
  const user = await signUp(server);
  const sid = decodePayload(user.token).sid as string;
  let during: Promise<unknown> | undefined;
  const transaction = server.app.db.sql.transaction(async (tx) => {
    await tx.run('update sessions set revoked_at = ? where public_id = ?', [new Date(server.clock.now()), sid]);
    during = server.graphql<{ me: { id: string } }>('{ me { id } }', {}, { token: user.token });
    // PostgreSQL answers from the last committed state while this is open; SQLite's request waits for the
    // connection (test/sqlite/storage.test.ts), so it is answered after the rollback.
    if (onPostgres) await during;
    throw new Error('roll back');
  });
  await expect(transaction).rejects.toThrow('roll back');
  expect(await during).toMatchObject({ body: { data: { me: { id: user.id } } } });
});
