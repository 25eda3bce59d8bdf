// The per-request read behind every authenticated request: an access token's session joined with its
// user, as one prepared statement on the ORM's own SQLite connection (db/raw.ts), with no entities built.
//
// Why not a cache: nothing to invalidate. Every answer is read from the database, so a logout, a
// revocation, a role change, a password change or a deleted user counts on the very next request, in
// this process and in every other one (WEB_CONCURRENCY workers, the CLI) alike. It never sees
// uncommitted writes: see db/raw.ts.
import type { RawDb } from '../db/raw';
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
  session_id: number;
  session_public_id: string;
  revoked_at: number | null;
  expires_at: number;
  absolute_expires_at: number;
}

// sessions.public_id is unique (its index finds the row), users.id is the primary key.
export const SESSION_LOOKUP_SQL = `select s.id as session_id, s.public_id as session_public_id, s.revoked_at, s.expires_at,
  s.absolute_expires_at, ${VIEWER_COLUMNS} from sessions s join users u on u.id = s.user_id where s.public_id = ?`;

export type SessionLookup = (publicId: string) => Promise<SessionRecord | undefined>;

export function createSessionLookup(db: RawDb): SessionLookup {
  return async (publicId) => {
    const row = await db((sql) => sql.get<Row>(SESSION_LOOKUP_SQL, publicId));
    return row && toRecord(row);
  };
}

function toRecord(row: Row): SessionRecord {
  return {
    session: {
      id: row.session_id,
      publicId: row.session_public_id,
      revokedAt: row.revoked_at === null ? null : new Date(row.revoked_at),
      expiresAt: new Date(row.expires_at),
      absoluteExpiresAt: new Date(row.absolute_expires_at),
    },
    user: viewerFromRow(row),
  };
}
