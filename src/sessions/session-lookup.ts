// The per-request read behind every authenticated request: an access token's session joined with its
// user, as one prepared statement on the ORM's own SQLite connection, with no entities built.
//
// Why not a cache: nothing to invalidate. Every answer is read from the database, so a logout, a
// revocation, a role change, a password change or a deleted user counts on the very next request, in
// this process and in every other one (WEB_CONCURRENCY workers, the CLI) alike.
//
// Why it never sees uncommitted writes: the statement runs synchronously, and only while the connection
// is outside a transaction (then everything it has written is committed). While a transaction is open it
// takes the connection from the ORM's pool (of one) instead, which waits for the commit or rollback.
// (MikroORM's own `loadFile` takes the connection from the pool the same way.)
import type { MikroORM } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/knex';
import { connectionOf, type SqliteConnection, type SqliteStatement } from '../db/orm';
import { Role } from '../users/role';

/** The user of a request, as the resolvers need them: no password hash, never a managed entity. */
export interface Viewer {
  id: number;
  publicId: string;
  name: string;
  email: string;
  role: Role;
  createdAt: Date;
}

/** The session of a request's access token. */
export interface CurrentSession {
  id: number;
  publicId: string;
}

export interface SessionRecord {
  session: CurrentSession & { revokedAt: Date | null; expiresAt: Date; absoluteExpiresAt: Date };
  user: Viewer;
}

interface Row {
  session_id: number;
  session_public_id: string;
  revoked_at: number | null;
  expires_at: number;
  absolute_expires_at: number;
  user_id: number;
  user_public_id: string;
  name: string;
  email: string;
  role: string;
  created_at: number;
}

interface Pool {
  acquireConnection(): Promise<SqliteConnection>;
  releaseConnection(connection: SqliteConnection): Promise<unknown>;
}

// sessions.public_id is unique (its index finds the row), users.id is the primary key.
export const SESSION_LOOKUP_SQL = `select s.id as session_id, s.public_id as session_public_id, s.revoked_at, s.expires_at,
  s.absolute_expires_at, u.id as user_id, u.public_id as user_public_id, u.name, u.email, u.role, u.created_at
  from sessions s join users u on u.id = s.user_id where s.public_id = ?`;

const ROLES = new Set<string>(Object.values(Role));

export type SessionLookup = (publicId: string) => Promise<SessionRecord | undefined>;

export function createSessionLookup(orm: MikroORM): SessionLookup {
  const pool = (orm.em as SqlEntityManager).getConnection().getKnex().client as Pool;
  // One prepared statement per connection (the pool may replace its connection after an error).
  const statements = new WeakMap<SqliteConnection, SqliteStatement>();
  const read = (connection: SqliteConnection, publicId: string): Row | undefined => {
    let statement = statements.get(connection);
    if (!statement) {
      statement = connection.prepare(SESSION_LOOKUP_SQL);
      statements.set(connection, statement);
    }
    return statement.get(publicId) as Row | undefined;
  };

  return async (publicId) => {
    let row: Row | undefined;
    const idle = connectionOf(orm);
    if (idle && !idle.inTransaction) {
      row = read(idle, publicId);
    } else {
      const connection = await pool.acquireConnection();
      try {
        row = read(connection, publicId);
      } finally {
        await pool.releaseConnection(connection);
      }
    }
    return row && toRecord(row);
  };
}

function toRecord(row: Row): SessionRecord {
  if (!ROLES.has(row.role)) throw new Error(`Unknown role in the database for user ${row.user_public_id}`);
  return {
    session: {
      id: row.session_id,
      publicId: row.session_public_id,
      revokedAt: row.revoked_at === null ? null : new Date(row.revoked_at),
      expiresAt: new Date(row.expires_at),
      absoluteExpiresAt: new Date(row.absolute_expires_at),
    },
    user: {
      id: row.user_id,
      publicId: row.user_public_id,
      name: row.name,
      email: row.email,
      role: row.role as Role,
      createdAt: new Date(row.created_at),
    },
  };
}
