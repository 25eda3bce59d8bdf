// The only file with side effects: load config, start, handle signals.
// With WEB_CONCURRENCY=N > 1 this process is a node:cluster primary: it migrates the database once,
// forks N workers that share the port (each a full server), replaces a worker that dies, and on
// SIGTERM/SIGINT asks every worker to drain and waits for them.
import 'reflect-metadata';
import cluster, { type Worker } from 'node:cluster';
import { createApp } from './app';
import { DEV_SECRET_PATH, loadOrCreateDevSecret } from './tokens/dev-secret';
import { DEV_MFA_KEY_PATH, loadOrCreateDevMfaKey } from './mfa/dev-key';
import { loadKeySet, type KeySet } from './tokens/signing-keys';
import { ConfigError, describeDatabase, loadProcessConfig, type ProcessConfig } from './config';
import { openDatabase } from './db/database';
import { lockDatabase } from './db/instance-lock';
import { createLogger, type Logger } from './shared/logger';

/** After SHUTDOWN_TIMEOUT, how long the cluster primary waits for workers to report their own timeout and exit before it kills them. */
const WORKER_EXIT_MARGIN_MS = 1000;

interface WorkerReady {
  type: 'ready';
  url: string;
}

interface Startup extends ProcessConfig {
  keys: KeySet;
}

function readConfig(): Startup {
  try {
    const startup = loadProcessConfig(loadOrCreateDevSecret, loadOrCreateDevMfaKey);
    return { ...startup, keys: loadKeySet(startup.config.jwt) };
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`Configuration error: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

function readyLine({ config, keys, devSecret, devMfaKey }: Startup, started: number, url: string): Record<string, unknown> {
  return {
    url,
    db: describeDatabase(config.database),
    algorithm: config.jwt.algorithm,
    kid: keys.signing.kid,
    verifyOnlyKids: keys.byKid.size > 1 ? [...keys.byKid.keys()].filter((kid) => kid !== keys.signing.kid) : undefined,
    nodeEnv: config.nodeEnv,
    workers: config.webConcurrency,
    devSecret: devSecret === 'none' ? undefined : `${devSecret} at ${DEV_SECRET_PATH}`,
    devMfaKey: devMfaKey === 'none' ? undefined : `${devMfaKey} at ${DEV_MFA_KEY_PATH}`,
    // Said at start, not first at an enrollment: TOTP cannot be turned on without the key.
    mfa: config.mfa.encryptionKey ? undefined : 'unavailable: set MFA_ENCRYPTION_KEY',
    // Where mail goes; the SMTP URL itself may hold a password.
    mail: config.mail.disabled ? 'disabled' : config.mail.smtpUrl ? 'smtp' : `.eml files in ${config.mail.outboxDir}`,
    readyMs: Math.round(performance.now() - started),
  };
}

/** One server: the whole process when WEB_CONCURRENCY=1, or one cluster worker. */
async function serve(startup: Startup, logger: Logger, started: number): Promise<void> {
  const { config, keys } = startup;
  // A cluster worker neither migrates nor locks: its primary did both before forking it.
  const app = await createApp(config, { logger, keys, ...(cluster.isWorker ? { migrate: false, lockDatabase: false } : {}) });
  const url = await app.listen(config.port, config.host);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    const began = performance.now();
    const timeoutSeconds = config.shutdownTimeoutSeconds;
    logger.info({ signal, pid: process.pid, inHand: app.inHand(), timeoutSeconds }, 'shutting down');
    const timedOut = (cutOff: number) => {
      logger.error({ pid: process.pid, timeoutSeconds, cutOff }, 'shutdown timed out: requests still in hand were cut off');
      process.exit(1);
    };
    // The bound on the whole close; the HTTP edge closes its connections at the same moment.
    const deadline = setTimeout(() => timedOut(app.inHand().requests), timeoutSeconds * 1000);
    app.close().then(
      ({ cutOff }) => {
        clearTimeout(deadline);
        if (cutOff > 0) return timedOut(cutOff);
        logger.info({ pid: process.pid, ms: Math.round(performance.now() - began) }, 'stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  // The handlers are in place before anyone is told the server is ready: a SIGTERM sent on reading the
  // ready line drains like any other, rather than meeting Node's default handler.
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  if (cluster.isWorker) {
    logger.debug({ worker: cluster.worker?.id, pid: process.pid }, 'worker ready');
    process.send?.({ type: 'ready', url } satisfies WorkerReady);
  } else {
    logger.info(readyLine(startup, started, url), 'ready');
    warnOnMigrationWindow(startup, logger);
  }
}

function warnOnMigrationWindow({ config, keys }: Startup, logger: Logger): void {
  if (config.jwt.algorithm !== 'HS256' && keys.withoutKid) {
    logger.warn(
      { kid: keys.withoutKid.kid },
      'JWT_SECRET is set: HS256 tokens still verify (migration grace window); unset it once JWT_ACCESS_TTL has passed since the switch',
    );
  }
}

async function primary(startup: Startup, logger: Logger, started: number): Promise<void> {
  const { config } = startup;
  // The primary holds the SQLite lock for the whole group, for its whole life, and migrates once, here,
  // before any worker opens the database.
  if (config.database.dialect === 'sqlite') lockDatabase(config.database.path);
  const db = await openDatabase(config.database, logger, { migrate: config.migrateOnStart, lock: false, cacheSessions: false });
  await db.close();

  let stopping = false;
  let stoppingSince = 0;
  let announced = false;
  /** Workers that ended their shutdown any other way than exit code 0 (cut off at their deadline, failed, killed). */
  const unclean: Array<{ pid: number | undefined; code: number | null; signal: string | null }> = [];
  const ready = new Set<number>();
  const fork = (): Worker => {
    // The secret this primary resolved (a development one, made once, included): every worker signs with it.
    const worker = cluster.fork({ JWT_SECRET: config.jwt.secret, MFA_ENCRYPTION_KEY: config.mfa.encryptionKey });
    worker.on('message', (message: WorkerReady) => {
      if (message?.type !== 'ready') return;
      ready.add(worker.id);
      if (!announced && ready.size === config.webConcurrency) {
        announced = true;
        logger.info(readyLine(startup, started, message.url), 'ready');
        warnOnMigrationWindow(startup, logger);
      }
    });
    return worker;
  };

  cluster.on('exit', (worker, code, signal) => {
    ready.delete(worker.id);
    if (stopping) {
      // Ended by our SIGTERM itself: it was still starting, with no handler yet and nothing in hand.
      if (code !== 0 && signal !== 'SIGTERM') unclean.push({ pid: worker.process.pid, code, signal });
      if (Object.keys(cluster.workers ?? {}).length === 0) {
        const ms = Math.round(performance.now() - stoppingSince);
        if (unclean.length > 0) {
          logger.error({ ms, workers: unclean }, 'stopped, but not every worker drained cleanly');
          process.exit(1);
        }
        logger.info({ ms, workers: config.webConcurrency }, 'stopped');
        process.exit(0);
      }
      return;
    }
    if (!announced) {
      // A worker that cannot start will not start on a retry either.
      logger.error({ pid: worker.process.pid, code, signal }, 'a worker failed to start');
      process.exit(1);
    }
    logger.error({ pid: worker.process.pid, code, signal }, 'worker died; starting another');
    fork();
  });

  for (let i = 0; i < config.webConcurrency; i += 1) fork();

  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    stoppingSince = performance.now();
    const workers = Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => worker !== undefined);
    logger.info({ signal, workers: workers.length, timeoutSeconds: config.shutdownTimeoutSeconds }, 'shutting down');
    // Each worker drains its own requests within SHUTDOWN_TIMEOUT and then exits, non-zero if it had to cut any off.
    for (const worker of workers) worker.process.kill('SIGTERM');
    // A worker past its own deadline has this long to say so and exit; then it is killed.
    setTimeout(() => {
      const left = Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => worker !== undefined);
      logger.error({ workers: left.map((worker) => worker.process.pid), timeoutSeconds: config.shutdownTimeoutSeconds }, 'shutdown timed out: killing the workers still running');
      for (const worker of left) worker.process.kill('SIGKILL');
      process.exit(1);
    }, config.shutdownTimeoutSeconds * 1000 + WORKER_EXIT_MARGIN_MS).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

async function main(): Promise<void> {
  const started = performance.now();
  const startup = readConfig();
  const logger = createLogger(startup.config.logLevel);
  if (cluster.isPrimary && startup.config.webConcurrency > 1) {
    await primary(startup, logger, started);
  } else {
    await serve(startup, logger, started);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`Failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
