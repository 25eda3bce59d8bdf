// Finding 4 of the red-team review: a kept session answer must not outlive a change committed by someone
// else — another server process, a command-line tool, an operator fixing rows by hand. Reproduced with the
// cache warm: the session is revoked and the ADMIN's row deleted by a separate connection, then the token
// is used again. SQLite sees it on the very next request (PRAGMA data_version); PostgreSQL within the
// documented bound of one second (the change feed). A second server on one SQLite file cannot start at all
// (test/sqlite/storage.test.ts).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Role } from '../../src/graphql/types/enums';
import { connectTo, createPostgresDatabase, onPostgres, type TestDatabase } from '../helpers/database';
import { decodePayload } from '../helpers/jwt';
import { errorOf, signUp, type GraphQLResponse, type TestServer } from '../helpers/server';
import { poll } from '../helpers/wait';
import { startAttackedServer } from './harness';
import { OTHER_WRITERS_BOUND_MS } from '../../src/db/session-cache';

/** Another writer on the server's database, outside the server. */
interface OtherWriter {
  run(sql: string, params: unknown[]): Promise<void>;
  close(): Promise<void>;
}

let database: TestDatabase;
let server: TestServer;
let other: OtherWriter;
beforeAll(async () => {
  if (onPostgres) {
    database = await createPostgresDatabase();
    const client = await connectTo(database);
    const numbered = (sql: string) => {
      let n = 0;
      return sql.replace(/\?/g, () => `$${(n += 1)}`);
    };
    other = { run: async (sql, params) => void (await client.query(numbered(sql), params)), close: () => client.end() };
  } else {
    const path = join(mkdtempSync(join(tmpdir(), 'other-writers-')), 'app.db');
    database = { env: { DB_PATH: path }, drop: async () => undefined };
  }
  server = await startAttackedServer(database.env);
  if (!onPostgres) {
    const shell = new Database(database.env.DB_PATH);
    other = { run: async (sql, params) => void shell.prepare(sql).run(...params), close: async () => void shell.close() };
  }
});
afterAll(async () => {
  await other.close();
  await server.close();
  await database.drop();
});

/**
 * The answer to the first request refused, or to the first sent once the bound had passed since the change
 * was committed (whichever comes first). SQLite's bound is OTHER_WRITERS_BOUND_MS (1 ms) of the server's clock,
 * which the test moves past it: the very next request must be refused. PostgreSQL's is one second, real time.
 */
async function eventually(request: () => Promise<GraphQLResponse>, refused: (res: GraphQLResponse) => boolean): Promise<GraphQLResponse> {
  if (!onPostgres) server.clock.advance(OTHER_WRITERS_BOUND_MS / 1000);
  return (await poll(request, refused, { withinMs: onPostgres ? 1000 : 0 })).value;
}

async function warm(token: string): Promise<void> {
  for (let i = 0; i < 2; i += 1) expect((await server.graphql('{ me { id } }', {}, { token })).body.errors).toBeUndefined();
}

it('a session revoked by another connection is refused, with the kept answer warm', async () => {
  const user = await signUp(server);
  await warm(user.token);
  await other.run('update sessions set revoked_at = ? where public_id = ?', [onPostgres ? new Date() : Date.now(), decodePayload(user.token).sid]);
  const res = await eventually(() => server.graphql('{ me { id } }', {}, { token: user.token }), (r) => r.status === 401);
  expect(errorOf(res)).toEqual({ code: 'UNAUTHENTICATED', reason: 'TOKEN_REVOKED' });
});

it('an ADMIN deleted by another connection can no longer change roles', async () => {
  const admin = await signUp(server, { role: Role.ADMIN });
  await signUp(server, { role: Role.ADMIN });
  const victim = await signUp(server);
  const promote = () => server.graphql('mutation($id: ID!) { setUserRole(id: $id, role: ADMIN) { role } }', { id: victim.id }, { token: admin.token });
  await warm(admin.token);
  await other.run('delete from users where public_id = ?', [admin.id]);
  const res = await eventually(promote, (r) => r.status === 401);
  expect(errorOf(res)).toEqual({ code: 'UNAUTHENTICATED', reason: 'USER_NOT_FOUND' });
  expect((await server.graphql('{ users(first: 100) { nodes { id role } } }', {}, { token: victim.token })).body.data).toMatchObject({
    users: { nodes: expect.arrayContaining([{ id: victim.id, role: 'USER' }]) },
  });
});
