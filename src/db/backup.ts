// A consistent copy of a live SQLite database, made with SQLite's online backup API (better-sqlite3's
// db.backup) on a read-only connection of its own, while servers keep reading and writing: not a file copy,
// which can catch the database file and its -wal half-way through a commit. It takes no instance lock
// (instance-lock.ts is for servers): in WAL mode a reader neither waits for writers nor makes them wait.
import Database from 'better-sqlite3';
import { existsSync, linkSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { makePrivateFile } from '../shared/private-files';

/** Why a backup was not made: a message for the person who asked for it. */
export class BackupError extends Error {
  override readonly name = 'BackupError';
}

export interface BackupReport {
  pages: number;
  bytes: number;
  ms: number;
}

/**
 * Pages per backup step: every page in one step, so the copy is one read transaction, a snapshot. In smaller
 * steps a write by the server between two steps would start the copy again, and under steady writes it might
 * never end.
 */
const ALL_PAGES = 0x7fffffff;

/**
 * Copy the SQLite database at `dbPath` to `outPath`, which must not exist: the copy is written beside it under
 * another name (mode 0600 from its first byte: it holds emails and password hashes), checked with
 * `PRAGMA integrity_check`, and only then given its name, so a file at `outPath` is always a whole, checked backup.
 */
export async function backupSqlite(dbPath: string, outPath: string): Promise<BackupReport> {
  if (dbPath === '' || dbPath === ':memory:') throw new BackupError('An in-memory database cannot be backed up: set DB_PATH to the database file');
  if (!existsSync(dbPath)) throw new BackupError(`There is no database at ${dbPath} (DB_PATH)`);
  if (existsSync(outPath)) throw new BackupError(`${outPath} already exists: a backup never overwrites a file; choose another name`);
  if (!existsSync(dirname(outPath))) throw new BackupError(`The directory ${dirname(outPath)} does not exist`);

  const started = performance.now();
  const partial = join(dirname(outPath), `.${basename(outPath)}.partial-${process.pid}`);
  const source = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    makePrivateFile(partial);
    const { totalPages } = await source.backup(partial, { progress: () => ALL_PAGES });
    checkIntegrity(partial);
    // A link, not a rename: it fails, rather than replacing it, if a file appeared at outPath meanwhile.
    linkSync(partial, outPath);
    return { pages: totalPages, bytes: statSync(outPath).size, ms: Math.round(performance.now() - started) };
  } finally {
    source.close();
    for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(partial + suffix, { force: true });
  }
}

function checkIntegrity(path: string): void {
  const copy = new Database(path, { fileMustExist: true });
  try {
    const result = copy.pragma('integrity_check', { simple: true });
    if (result !== 'ok') throw new BackupError(`The copy failed PRAGMA integrity_check (${String(result)}); the database itself may be damaged`);
  } finally {
    copy.close();
  }
}
