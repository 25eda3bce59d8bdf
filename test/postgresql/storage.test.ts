// PostgreSQL's own storage behaviour: the schema's types, the plans of the hot statements, migrations
// applied once by instances starting together, a schema behind the code, and the change feed that keeps
// kept session answers honest.
import type { Client } from 'pg';
import { readDatabase } from '../../src/config';
import { openDatabase } from '../../src/db/database';
import { SchemaBehindError } from '../../src/db/migrate';
import { postgresqlMigrations } from '../../src/db/migrations/postgresql';
import { SESSION_WITH_USER_SQL } from '../../src/db/sessions.store';
import { CREDENTIALS_BY_EMAIL_SQL, FIRST_PAGE_SQL, NEXT_PAGE_SQL } from '../../src/db/users.store';
import { createLogger } from '../../src/shared/logger';
import { connectTo, createEmptyPostgresDatabase, createPostgresDatabase, planOf, queriesDuring, type TestDatabase } from '../helpers/database';
import { decodePayload } from '../helpers/jwt';
import { errorOf, signUp, startTestServer, type TestServer } from '../helpers/server';
import { waitFor } from '../helpers/wait';

const open = (database: TestDatabase, migrate: boolean) =>
  openDatabase(readDatabase(database.env), createLogger('silent'), { migrate, lock: false, cacheSessions: false });

describe('the schema', () => {
  let database: TestDatabase;
  let client: Client;
  beforeAll(async () => {
    database = await createPostgresDatabase();
    client = await connectTo(database);
  });
  afterAll(async () => {
    await client.end();
    await database.drop();
  });

  it('keeps time as timestamptz and public ids as uuid', async () => {
    const { rows } = await client.query<{ column: string; data_type: string }>(
      `select table_name || '.' || column_name as column, data_type from information_schema.columns
       where table_schema = 'public' and table_name in ('users', 'sessions', 'refresh_tokens')
         and (column_name like '%_at' or column_name = 'public_id') order by 1`,
    );
    expect(rows).toEqual([
      { column: 'refresh_tokens.created_at', data_type: 'timestamp with time zone' },
      { column: 'refresh_tokens.expires_at', data_type: 'timestamp with time zone' },
      { column: 'refresh_tokens.rotated_at', data_type: 'timestamp with time zone' },
      { column: 'sessions.absolute_expires_at', data_type: 'timestamp with time zone' },
      { column: 'sessions.created_at', data_type: 'timestamp with time zone' },
      { column: 'sessions.expires_at', data_type: 'timestamp with time zone' },
      { column: 'sessions.last_used_at', data_type: 'timestamp with time zone' },
      { column: 'sessions.public_id', data_type: 'uuid' },
      { column: 'sessions.revoked_at', data_type: 'timestamp with time zone' },
      { column: 'users.created_at', data_type: 'timestamp with time zone' },
      { column: 'users.public_id', data_type: 'uuid' },
      { column: 'users.updated_at', data_type: 'timestamp with time zone' },
    ]);
  });
});

describe('query plans, on 5,000 users and sessions', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
    const sql = server.app.db.sql;
    await sql.run(`insert into users (public_id, name, email, password_hash, role, created_at, updated_at)
      select gen_random_uuid(), 'U' || n, 'u' || n || '@example.com', 'x', 'USER', now() - n * interval '1 second', now()
      from generate_series(1, 5000) n`);
    await sql.run(`insert into sessions (public_id, user_id, created_at, last_used_at, expires_at, absolute_expires_at, ip)
      select gen_random_uuid(), id, now(), now(), now() + interval '1 day', now() + interval '1 day', '::1' from users`);
    await sql.run('analyze');
  });
  afterAll(() => server.close());

  it('login finds the user by the unique index on email', async () => {
    expect((await planOf(server, CREDENTIALS_BY_EMAIL_SQL, ['u42@example.com']))[0]).toMatch(/^Index Scan using users_email_unique on users u/);
  });

  it('the per-request read finds the session by its unique index and the user by primary key', async () => {
    const plan = (await planOf(server, SESSION_WITH_USER_SQL, ['00000000-0000-4000-8000-000000000001'])).join('\n');
    expect(plan).toMatch(/Index Scan using sessions_public_id_unique on sessions s/);
    expect(plan).toMatch(/Index Scan using users_pkey on users u/);
    expect(plan).not.toMatch(/Seq Scan/);
  });

  it('users pages walk the (created_at, public_id) index backwards, seeking to the cursor, with no sort', async () => {
    const first = (await planOf(server, FIRST_PAGE_SQL, [21])).join('\n');
    expect(first).toMatch(/Index Scan Backward using users_created_at_public_id_index on users u/);
    const next = (await planOf(server, NEXT_PAGE_SQL, [new Date(), '00000000-0000-4000-8000-000000000001', 21])).join('\n');
    expect(next).toMatch(/Index Scan Backward using users_created_at_public_id_index on users u/);
    expect(next).toMatch(/Index Cond: \(ROW\(created_at, public_id\) < ROW\(/);
    expect(first + next).not.toMatch(/Sort|Seq Scan/);
  });
});

describe('migrations', () => {
  it('instances starting at the same moment apply each migration exactly once, and all come up', async () => {
    const database = await createEmptyPostgresDatabase();
    try {
      const opened = await Promise.all(Array.from({ length: 4 }, () => open(database, true)));
      await Promise.all(opened.map((db) => db.close()));
      const client = await connectTo(database);
      try {
        const { rows } = await client.query<{ name: string }>('select name from mikro_orm_migrations order by id');
        expect(rows.map((row) => row.name)).toEqual(postgresqlMigrations.map((migration) => migration.name));
      } finally {
        await client.end();
      }
    } finally {
      await database.drop();
    }
  });

  it('with MIGRATE_ON_START=false, a schema behind the code stops start-up, naming the command to run', async () => {
    const database = await createEmptyPostgresDatabase();
    try {
      const refused = open(database, false);
      await expect(refused).rejects.toThrow(SchemaBehindError);
      await expect(open(database, false)).rejects.toThrow(/schema is behind.*Run `npm run migrate`/s);
      await (await open(database, true)).close();
      await (await open(database, false)).close();
    } finally {
      await database.drop();
    }
  });
});

describe('kept session answers and the change feed', () => {
  let server: TestServer;
  let database: TestDatabase;
  let other: Client;
  beforeAll(async () => {
    database = await createPostgresDatabase();
    server = await startTestServer(database.env);
    other = await connectTo(database);
  });
  afterAll(async () => {
    await other.end();
    await server.close();
    await database.drop();
  });

  const health = async () => ((await (await fetch(`${server.baseUrl}/health`)).json()) as { database: { changeFeed: string } }).database.changeFeed;
  const me = (token: string) => server.graphql('{ me { id name } }', {}, { token });

  async function warm(token: string): Promise<void> {
    await me(token);
    expect(await queriesDuring(server, () => me(token))).toEqual([]);
  }

  it('a change committed by another connection reaches this instance within the bound (1 s), by announcement', async () => {
    const user = await signUp(server);
    await warm(user.token);
    await other.query('update sessions set revoked_at = now() where public_id = $1', [decodePayload(user.token).sid]);
    expect(await waitFor(async () => errorOf(await me(user.token)).reason === 'TOKEN_REVOKED', 'the revocation', { withinMs: 1000 })).toBeLessThanOrEqual(1000);
  });

  it('a user changed by another connection is read afresh: a rename is seen', async () => {
    const user = await signUp(server);
    await warm(user.token);
    await other.query("update users set name = 'Renamed elsewhere' where public_id = $1", [user.id]);
    await waitFor(async () => JSON.stringify((await me(user.token)).body.data).includes('Renamed elsewhere'), 'the rename', { withinMs: 1000 });
  });

  it('while the feed is down nothing is kept (fail closed), and it comes back by itself', async () => {
    const user = await signUp(server);
    await warm(user.token);
    expect(await health()).toBe('live');
    await other.query("select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'graphql-jwt-auth change-feed' and datname = current_database()");
    await waitFor(async () => (await health()) === 'down', 'the feed to be seen down', { withinMs: 5000 });
    // Every request now reads the table: a revocation made while nobody is listening counts at once.
    expect(await queriesDuring(server, () => me(user.token))).toEqual([SESSION_WITH_USER_SQL]);
    await other.query('update sessions set revoked_at = now() where public_id = $1', [decodePayload(user.token).sid]);
    expect(errorOf(await me(user.token)).reason).toBe('TOKEN_REVOKED');
    await waitFor(async () => (await health()) === 'live', 'the feed to reconnect', { withinMs: 5000 });
    const again = await signUp(server);
    await warm(again.token);
  });
});
