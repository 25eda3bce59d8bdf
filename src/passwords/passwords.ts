// Hash and verify passwords with bcrypt (bcryptjs) in a pool of worker threads. Hashes are standard `$2b$` strings.
// One hash at cost 12 takes ~340 ms of CPU; on the event loop it would stall every other request for that long.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import bcrypt from 'bcryptjs';
import { Piscina } from 'piscina';
import { serviceUnavailable } from '../shared/errors';
import type { HashTask } from './hash.worker';

/** bcrypt reads at most 72 bytes of a password; longer ones are refused, never truncated silently. */
export const MAX_PASSWORD_BYTES = 72;
export const MIN_PASSWORD_CHARS = 8;

export interface PasswordHasher {
  readonly cost: number;
  hash(password: string): Promise<string>;
  verify(password: string, hash: string): Promise<boolean>;
  /**
   * Spend the time a real comparison takes, against a hash of the configured cost, so that
   * a login for an unknown email takes as long as one with a wrong password.
   */
  verifyDummy(password: string): Promise<false>;
  /** True when the stored hash was made with a lower cost than configured. */
  needsRehash(hash: string): boolean;
  /** Tasks running or waiting right now. */
  readonly pending: number;
  /** Worker threads alive right now. */
  readonly threads: number;
  /** Stop the worker threads; tasks still waiting are rejected. */
  close(): Promise<void>;
}

export interface HasherOptions {
  cost: number;
  /** Worker threads (HASH_WORKERS). */
  workers: number;
  /** Tasks that may wait beyond the ones running (HASH_QUEUE_MAX); more are refused with SERVICE_UNAVAILABLE. */
  queueMax: number;
}

/**
 * The compiled worker module. From dist/ it sits next to this file; under ts-jest this file is
 * src/passwords/passwords.ts and worker threads cannot load TypeScript, so use the build in dist/
 * (the test set-up compiles it before any test runs).
 */
export function hashWorkerFile(): string {
  const file = __filename.endsWith('.ts')
    ? resolve(__dirname, '../../dist/passwords/hash.worker.js')
    : resolve(__dirname, 'hash.worker.js');
  if (!existsSync(file)) throw new Error(`The password hash worker ${file} is missing: run npm run build`);
  return file;
}

/** How much lower than the event loop the hash threads run (nice(2); needs the optional @napi-rs/nice that piscina brings). */
export const HASH_WORKER_NICE = 10;

export async function createPasswordHasher(options: HasherOptions): Promise<PasswordHasher> {
  const { cost, workers, queueMax } = options;
  const pool = new Piscina<HashTask, string | boolean>({
    filename: hashWorkerFile(),
    minThreads: workers,
    maxThreads: workers,
    maxQueue: queueMax,
    // Workers stay up: spawning one costs more than a hash at low cost.
    idleTimeout: Number.MAX_SAFE_INTEGER,
    // Hashing is throughput work, requests are latency work: when cores are short (a login storm on a
    // small machine), the scheduler runs the event loop first. Linux nice values are per thread.
    niceIncrement: HASH_WORKER_NICE,
  });

  let pending = 0;
  // A running mean of task time, for the retryAfter hint when the queue is full.
  let meanTaskMs = 0;

  let closed = false;

  async function run<T extends string | boolean>(task: HashTask): Promise<T> {
    if (closed) throw new Error('The password hasher is closed');
    if (pending >= workers + queueMax) {
      throw serviceUnavailable(((pending / workers) * (meanTaskMs || 1000)) / 1000);
    }
    pending += 1;
    const started = performance.now();
    try {
      const result = (await pool.run(task)) as T;
      const took = performance.now() - started;
      meanTaskMs = meanTaskMs === 0 ? took : meanTaskMs * 0.9 + took * 0.1;
      return result;
    } finally {
      pending -= 1;
    }
  }

  const hash = (password: string) => run<string>({ op: 'hash', password, cost });
  const verify = (password: string, hashed: string) => run<boolean>({ op: 'compare', password, hash: hashed });

  let dummyHash: string;
  try {
    dummyHash = await hash(randomBytes(16).toString('hex'));
  } catch (error) {
    await pool.destroy();
    throw error;
  }

  return {
    cost,
    hash,
    verify,
    verifyDummy: async (password) => {
      await verify(password, dummyHash);
      return false;
    },
    needsRehash: (hashed) => bcrypt.getRounds(hashed) < cost,
    get pending() {
      return pending;
    },
    get threads() {
      return pool.threads.length;
    },
    close: async () => {
      closed = true;
      await pool.destroy();
    },
  };
}
