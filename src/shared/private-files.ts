// Files that hold secrets or user data belong to the server's own user: the data directory is created 0700,
// the database and its -wal/-shm files are 0600, and a secret or key file others can read is refused.
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';

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
