// Kept answers of the per-request session read (sessions.store.ts findWithUser): a request whose session
// was read before, and has not changed since, costs no read of the tables. Each database proves "has not
// changed" its own way; where it cannot be proven, nothing is kept.
//
// SQLite: an answer is kept with the counters taken just before it was read, and used only while all are
// unchanged. This process's own writes: the seam's count of writing statements on its one connection
// (sqlite.ts `writes`, a number in memory: no statement), so a logout, demotion or deletion by this
// process counts on its very next request. The `select total_changes()` that did this before cost ~0.3 µs
// alone but 2.5 µs per `me` under load (measured in the server with autocannon), a tenth of what `me` costs
// beyond `{ __typename }`. Other connections' commits (another server process of a WEB_CONCURRENCY group, a
// command-line tool, an operator in the sqlite3 shell): PRAGMA data_version. It costs a read lock on the
// WAL index (~2 µs alone, ~17 µs under load), so one reading stands for OTHER_WRITERS_BOUND_MS: a change
// committed by another connection counts within that bound (1 ms), on every request after it. Under load a
// reading serves the several requests that arrive in that millisecond. The reading also takes
// total_changes(), so that a write on this connection that bypassed the seam (the ORM's migrations, which
// run before anything is kept) would still count within the same bound.
//
// PostgreSQL: triggers announce every change to a session or a user on commit (LISTEN/NOTIFY, see
// change-feed.ts); an announced session's (or user's) answers are dropped. This process's own writes drop
// every kept answer as they commit, like SQLite's count of writes, so that its own logout counts on its
// very next request without waiting for the announcement. Answers are kept only while
// the feed is proven live (a heartbeat on the same connection answered within the last second): when it
// is not, nothing is kept or used, so the worst case is one second of staleness, the normal case the time
// a notification takes to arrive (see docs: running several instances).
import type { SessionWithUser } from './records';
import type { SessionStore } from './sessions.store';
import { SESSION_WITH_USER_SQL, sessionWithUserFromRow, type SessionWithUserRow } from './sessions.store';
import type { SqliteConnection, SqliteDatabase } from './sqlite';
import type { Clock } from '../shared/clock';
import type { ChangeFeed } from './change-feed';
import type { PostgresDatabase } from './postgresql';

/** Answers kept at most (oldest dropped first): a bound on memory, like the verified-token cache. */
export const MAX_KEPT_SESSIONS = 10_000;

type Read = SessionStore['findWithUser'];

// data_version moves when another connection commits; reading it takes a read lock on the WAL index.
// total_changes() moves with every row this connection changes, through the seam or not.
export const SQLITE_DATA_VERSION_SQL = 'select data_version as version, total_changes() as changes from pragma_data_version';

/** How long one data_version reading stands: the bound on seeing another connection's commit (milliseconds). */
export const OTHER_WRITERS_BOUND_MS = 1;

export function sqliteSessionCache(db: SqliteDatabase, clock: Clock, maxKept = MAX_KEPT_SESSIONS): Read {
  const kept = new Map<string, { connection: SqliteConnection; writes: number; version: number; changes: number; record: SessionWithUser }>();
  // The last data_version reading, and when (taken just before the read: conservative).
  let reading: { connection: SqliteConnection; version: number; changes: number; takenAt: number } | undefined;
  return (publicId) =>
    db.exclusive((sql) => {
      // Taken before the row: a write in between only makes the kept answer look older than it is.
      const writes = sql.writes;
      const now = clock.now();
      // A clock set back (elapsed < 0) proves nothing: read again.
      const elapsed = reading ? now - reading.takenAt : -1;
      if (!reading || reading.connection !== sql.connection || elapsed < 0 || elapsed >= OTHER_WRITERS_BOUND_MS) {
        const { version, changes } = sql.get<{ version: number; changes: number }>(SQLITE_DATA_VERSION_SQL)!;
        reading = { connection: sql.connection, version, changes, takenAt: now };
      }
      const { version, changes } = reading;
      const entry = kept.get(publicId);
      if (entry && entry.connection === sql.connection && entry.writes === writes && entry.version === version && entry.changes === changes) {
        return entry.record;
      }
      const row = sql.get<SessionWithUserRow>(SESSION_WITH_USER_SQL, [publicId]);
      kept.delete(publicId);
      if (!row) return undefined;
      const record = sessionWithUserFromRow(row);
      if (kept.size >= maxKept) kept.delete(kept.keys().next().value!);
      kept.set(publicId, { connection: sql.connection, writes, version, changes, record });
      return record;
    });
}

export function notifiedSessionCache(read: Read, feed: ChangeFeed, db: PostgresDatabase, maxKept = MAX_KEPT_SESSIONS): Read {
  const kept = new Map<string, SessionWithUser>();
  // Moves with every announcement, every loss of the feed and every write of this process: an answer read
  // across a move is not kept.
  let generation = 0;
  db.onWrite(() => {
    generation += 1;
    kept.clear();
  });
  feed.onChange((change) => {
    generation += 1;
    if (change.kind === 'reset') {
      kept.clear();
    } else if (change.kind === 'session') {
      kept.delete(change.publicId);
    } else {
      for (const [sessionId, record] of kept) if (record.user.publicId === change.publicId) kept.delete(sessionId);
    }
  });
  return async (publicId) => {
    if (feed.live()) {
      const record = kept.get(publicId);
      if (record) return record;
    }
    const before = generation;
    const record = await read(publicId);
    if (record && generation === before && feed.live()) {
      if (kept.size >= maxKept) kept.delete(kept.keys().next().value!);
      kept.set(publicId, record);
    }
    return record;
  };
}
