// The compiled server as a real child process: start it, wait for its "ready" line, stop it with SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { assertTestDatabase, type TestDatabase } from './database';

export const MAIN = resolve(__dirname, '../../dist/main.js');

/** Settings of this run that a child must not inherit: its secrets and signing keys, its mode, its database. */
const NOT_INHERITED = [
  'JWT_SECRET',
  'JWT_KEYS_DIR',
  'JWT_ALGORITHM',
  'JWT_PRIVATE_KEY',
  'JWT_PRIVATE_KEY_FILE',
  'MFA_ENCRYPTION_KEY',
  'NODE_ENV',
  'DB_PATH',
  'DATABASE_URL',
];

/**
 * The environment of a server or CLI child process: this run's, without its secrets, keys and database,
 * on a free port of 127.0.0.1 with a cheap bcrypt cost, plus the test's database and `extra`.
 */
export function childEnv(database: Pick<TestDatabase, 'env'>, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !NOT_INHERITED.includes(name)));
  return { ...inherited, PORT: '0', HOST: '127.0.0.1', BCRYPT_COST: '4', ...database.env, ...extra };
}

/** dist/main.js in `cwd` on the test's database (see childEnv); resolves on its "ready" line. */
export function startServerProcess(cwd: string, database: Pick<TestDatabase, 'env'>, extra: Record<string, string> = {}): Promise<RunningServer> {
  return startMain(cwd, childEnv(database, extra));
}

export interface RunningServer {
  child: ChildProcess;
  /** The "ready" log line. */
  ready: Record<string, unknown>;
  /** Everything it has written to stdout and stderr so far. */
  output: () => string;
  /** Its JSON log lines so far. */
  lines: () => Record<string, unknown>[];
  /**
   * Resolves once the output holds `count` matches of `pattern`. A cluster worker writes its own lines,
   * so they may arrive after the primary's "ready" line.
   */
  waitForOutput: (pattern: RegExp, count: number) => Promise<void>;
}

/** Spawn dist/main.js in `cwd` with exactly `env`; resolves on the "ready" line, rejects if it exits first. */
export function startMain(cwd: string, env: NodeJS.ProcessEnv): Promise<RunningServer> {
  assertTestDatabase({ ...(env.DATABASE_URL ? { DATABASE_URL: env.DATABASE_URL } : {}), DB_PATH: resolve(cwd, env.DB_PATH ?? './data/app.db') });
  const child = spawn(process.execPath, [MAIN], { cwd, env });
  let output = '';
  const lines = () =>
    output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  const waiting = new Set<() => boolean>();
  const waitForOutput = (pattern: RegExp, count: number) =>
    new Promise<void>((resolveWait, rejectWait) => {
      const matched = () => (output.match(new RegExp(pattern.source, 'g'))?.length ?? 0) >= count;
      if (matched()) return resolveWait();
      const timer = setTimeout(() => {
        waiting.delete(check);
        rejectWait(new Error(`no ${count} × ${pattern} in the output:\n${output}`));
      }, 15_000);
      const check = () => {
        if (!matched()) return false;
        clearTimeout(timer);
        resolveWait();
        return true;
      };
      waiting.add(check);
    });
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      // Not left running: an orphaned server (a cluster's primary holds its workers) keeps jest from exiting.
      child.kill('SIGKILL');
      reject(new Error(`server did not start:\n${output}`));
      // Generous: a cluster of three processes took over 15 s to be ready on a 2-core machine under load.
    }, 30_000);
    let started = false;
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      for (const check of waiting) if (check()) waiting.delete(check);
      const ready = started ? undefined : output.split('\n').find((line) => line.includes('"msg":"ready"'));
      if (ready) {
        started = true;
        clearTimeout(timer);
        resolvePromise({ child, ready: JSON.parse(ready) as Record<string, unknown>, output: () => output, lines, waitForOutput });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`server exited with ${code}:\n${output}`)));
  });
}

/** SIGTERM, then the exit code. */
export function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolvePromise) => {
    child.removeAllListeners('exit');
    child.on('exit', (code) => resolvePromise(code));
    child.kill('SIGTERM');
  });
}
