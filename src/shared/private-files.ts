// Files that hold secrets or user data belong to the server's own user: the data directory is created 0700,
// the database and its -wal/-shm files are 0600, and a secret or key file others can read is refused.
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Where development secrets are made when none is configured (beside the default SQLite database). */
export const DEV_DATA_DIR = './data';

const GROUP_OR_OTHERS = 0o077;

/** Create `dir` (and its missing parents) for this user only. An existing directory is left as the operator made it. */
export function ensurePrivateDir(dir: string): void {
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/** Create `file` empty with mode 0600 when it is missing, and take group and others' access away when it has any. */
export function makePrivateFile(file: string): void {
  closeSync(openSync(file, 'a', 0o600));
  restrictIfExists(file);
}

export function restrictIfExists(file: string): void {
  if (existsSync(file) && statSync(file).mode & GROUP_OR_OTHERS) chmodSync(file, 0o600);
}

/**
 * Why `file`, which holds a secret, must not be used: group or others may read or change it, so it may
 * already have been copied; undefined when it is private. Refused rather than fixed, so that someone looks.
 */
export function exposedSecretProblem(file: string): string | undefined {
  const mode = statSync(file).mode & 0o777;
  if (!(mode & GROUP_OR_OTHERS)) return undefined;
  return `${file} can be read or changed by other users (mode 0${mode.toString(8)}); make it private with: chmod 600 ${file}`;
}

/**
 * A secret kept in its own private file: read it, or when the file is missing make one with `make` and write
 * it with mode 0600 (in a directory created 0700). An existing file others can read is refused with the
 * error `refuse` makes of the problem.
 */
export function readOrCreateSecretFile(path: string, make: () => string, refuse: (problem: string) => Error): { secret: string; generated: boolean } {
  if (existsSync(path)) {
    const problem = exposedSecretProblem(path);
    if (problem) throw refuse(problem);
    return { secret: readFileSync(path, 'utf8').trim(), generated: false };
  }
  ensurePrivateDir(dirname(path));
  const secret = make();
  writeFileSync(path, secret + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return { secret, generated: true };
}
