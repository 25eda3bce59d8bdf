// The per-request read behind every authenticated request: an access token's session joined with its
// user, as one prepared statement on the ORM's own SQLite connection (db/raw.ts), with no entities built.
// It never sees uncommitted writes: see db/raw.ts.
//
// With `cache` (one server process: WEB_CONCURRENCY=1) the answer is kept, together with SQLite's
// total_changes() for this connection at the moment it was read: the number of rows every INSERT,
// UPDATE and DELETE on this connection has changed so far. Every write in this process (logout, a
// refresh, a role change, a password change, a deletion, or any other) goes through this one
// connection and moves that number, so a kept answer is used only while nothing at all has been
// written since it was read; a logout or demotion counts on the very next request. Checking costs
// `select total_changes()`, which reads no table and takes no lock: a fraction of the full read,
// whose WAL read transaction alone costs two fcntl locks and a stat per statement.
// Writes by another process do not move this connection's count, so with several server processes
// (WEB_CONCURRENCY > 1) there is no cache and every request reads the database.
import type { RawDb, Sql } from '../db/raw';
import { VIEWER_COLUMNS, viewerFromRow, type Viewer, type ViewerRow } from '../users/viewer';

/** The session of a request's access token. */
export interface CurrentSession {
  id: number;
  publicId: string;
}

export interface SessionRecord {
  session: CurrentSession & { revokedAt: Date | null; expiresAt: Date; absoluteExpiresAt: Date };
  user: Viewer;
}

interface Row extends ViewerRow {
  changes: number;
  session_id: number;
  session_public_id: string;
  revoked_at: number | null;
  expires_at: number;
  absolute_expires_at: number;
}

// sessions.public_id is unique (its index finds the row), users.id is the primary key.
export const SESSION_LOOKUP_SQL = `select total_changes() as changes, s.id as session_id, s.public_id as session_public_id,
  s.revoked_at, s.expires_at, s.absolute_expires_at, ${VIEWER_COLUMNS}
  from sessions s join users u on u.id = s.user_id where s.public_id = ?`;

export const CHANGES_SQL = 'select total_changes() as changes';

/** Answers kept at most (oldest dropped first): a bound on memory, like the verified-token cache. */
export const MAX_KEPT_SESSIONS = 10_000;

export type SessionLookup = (publicId: string) => Promise<SessionRecord | undefined>;

export function createSessionLookup(db: RawDb, options: { cache: boolean; maxKept?: number }): SessionLookup {
  if (!options.cache) {
    return async (publicId) => {
      const row = await db((sql) => sql.get<Row>(SESSION_LOOKUP_SQL, publicId));
      return row && toRecord(row);
    };
  }
  const maxKept = options.maxKept ?? MAX_KEPT_SESSIONS;
  // The count is per connection: an answer read on a connection the pool has since replaced is not used.
  const kept = new Map<string, { sql: Sql; changes: number; record: SessionRecord }>();
  return (publicId) =>
    db((sql) => {
      const entry = kept.get(publicId);
      if (entry && entry.sql === sql && sql.get<{ changes: number }>(CHANGES_SQL)!.changes === entry.changes) return entry.record;
      const row = sql.get<Row>(SESSION_LOOKUP_SQL, publicId);
      if (!row) {
        kept.delete(publicId);
        return undefined;
      }
      const record = toRecord(row);
      kept.delete(publicId);
      if (kept.size >= maxKept) kept.delete(kept.keys().next().value!);
      kept.set(publicId, { sql, changes: row.changes, record });
      return record;
    });
}

/** Frozen: a kept record is shared by every request of its session. */
function toRecord(row: Row): SessionRecord {
  return Object.freeze({
    session: Object.freeze({
      id: row.session_id,
      publicId: row.session_public_id,
      revokedAt: row.revoked_at === null ? null : new Date(row.revoked_at),
      expiresAt: new Date(row.expires_at),
      absoluteExpiresAt: new Date(row.absolute_expires_at),
    }),
    user: Object.freeze(viewerFromRow(row)),
  });
}
