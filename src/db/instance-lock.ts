// One server group per SQLite file. Two independent servers on one file would each keep session answers
// the other's writes do not reach in time, and the operator asked for one service, not two: the second
// refuses to start. The lock is an exclusive SQLite lock on a file next to the database, held for the
// life of the process (the operating system releases it when the process ends, however it ends).
// Cluster workers of one group (WEB_CONCURRENCY) are covered by their primary's lock.
import Database from 'better-sqlite3';
import { dirname } from 'node:path';
import { ensurePrivateDir, makePrivateFile } from '../shared/private-files';

export class DatabaseInUseError extends Error {
  override readonly name = 'DatabaseInUseError';
  constructor(readonly dbPath: string) {
    super(
      `Another server is already using the database ${dbPath}. Stop it first; to run several processes on one ` +
        'SQLite file, start one server with WEB_CONCURRENCY=N; to run several independent instances, use PostgreSQL (DATABASE_URL).',
    );
  }
}

export interface InstanceLock {
  release(): void;
}

export function lockPathOf(dbPath: string): string {
  return `${dbPath}.lock`;
}

/** Take the lock, or throw DatabaseInUseError. An in-memory database needs none. */
export function lockDatabase(dbPath: string): InstanceLock {
  if (dbPath === ':memory:' || dbPath === '') return { release: () => undefined };
  const path = lockPathOf(dbPath);
  // The lock comes first, before the database (and its directory) exist.
  ensurePrivateDir(dirname(path));
  makePrivateFile(path);
  const lock = new Database(path);
  try {
    lock.pragma('busy_timeout = 0');
    lock.exec('begin exclusive');
  } catch (error) {
    lock.close();
    if ((error as { code?: string }).code?.startsWith('SQLITE_BUSY')) throw new DatabaseInUseError(dbPath);
    throw error;
  }
  return {
    release() {
      if (!lock.open) return;
      lock.exec('rollback');
      lock.close();
    },
  };
}
