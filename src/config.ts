// Read and validate the environment once, into one typed, frozen object.
// A bad value stops start-up with a message naming the variable.
import { availableParallelism } from 'node:os';

export type NodeEnv = 'development' | 'production' | 'test';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  readonly nodeEnv: NodeEnv;
  readonly host: string | undefined;
  readonly port: number;
  readonly dbPath: string;
  readonly jwt: {
    readonly algorithm: 'HS256';
    readonly secret: string;
    readonly issuer: string;
    readonly audience: string;
    readonly accessTtlSeconds: number;
    readonly clockToleranceSeconds: number;
  };
  readonly bcryptCost: number;
  /** Worker threads that hash and compare passwords, per process. */
  readonly hashWorkers: number;
  /** Password tasks that may wait for a worker; beyond that login/signup answer SERVICE_UNAVAILABLE. */
  readonly hashQueueMax: number;
  /** Users kept in the per-process cache of the authenticated user; 0 turns it off. */
  readonly userCacheMax: number;
  /** Server processes sharing the port (node:cluster); 1 = no cluster. */
  readonly webConcurrency: number;
  readonly logLevel: LogLevel;
  /** Include stack traces and internal messages in error responses. Never in production. */
  readonly debugErrors: boolean;
}

export const MIN_SECRET_BYTES = 32;
export const DEFAULT_USER_CACHE_MAX = 10_000;
/** At cost 12 on one worker, 32 waiting hashes are ~11 s of waiting: beyond that, answer "busy" at once. */
export const DEFAULT_HASH_QUEUE_MAX = 32;
export const DEFAULT_DB_PATH = './data/app.db';

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** Seconds from "900", "900s", "15m", "12h" or "30d". Returns undefined for anything else. */
export function parseDuration(text: string): number | undefined {
  const match = /^\s*(\d+)\s*([smhd]?)\s*$/.exec(text);
  if (!match) return undefined;
  return Number(match[1]) * DURATION_UNITS[match[2] || 's'];
}

function read(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function duration(env: Env, name: string, fallback: string, minSeconds: number): number {
  const raw = read(env, name) ?? fallback;
  const seconds = parseDuration(raw);
  if (seconds === undefined) throw new ConfigError(name, `must be seconds or a duration like 900, 15m, 12h, 30d; got "${raw}"`);
  if (seconds < minSeconds) throw new ConfigError(name, `must be at least ${minSeconds} seconds, got ${seconds}`);
  return seconds;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = read(env, name) ?? fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `must be one of ${allowed.join(', ')}; got "${raw}"`);
  }
  return raw as T;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

/** The database file; shared with the command-line tools, which need no JWT secret. */
export function readDbPath(env: Env): string {
  return read(env, 'DB_PATH') ?? DEFAULT_DB_PATH;
}

export function readBcryptCost(env: Env): number {
  return integer(env, 'BCRYPT_COST', 12, 4, 15);
}

/**
 * Build the configuration from an environment. Pure: it reads no files.
 * A development secret, if any, is resolved by the caller before this runs (see auth/dev-secret.ts).
 */
export function loadConfig(env: Env, cores = availableParallelism()): Config {
  const nodeEnv = oneOf<NodeEnv>(env, 'NODE_ENV', ['development', 'production', 'test'], 'development');

  const secret = env.JWT_SECRET;
  if (secret === undefined || secret === '') {
    throw new ConfigError('JWT_SECRET', `is required (at least ${MIN_SECRET_BYTES} bytes); generate one with: openssl rand -base64 48`);
  }
  if (Buffer.byteLength(secret, 'utf8') < MIN_SECRET_BYTES) {
    throw new ConfigError('JWT_SECRET', `must be at least ${MIN_SECRET_BYTES} bytes long`);
  }

  const debugErrors = boolean(env, 'DEBUG_ERRORS', false);
  if (debugErrors && nodeEnv === 'production') {
    throw new ConfigError('DEBUG_ERRORS', 'cannot be enabled with NODE_ENV=production');
  }

  const config: Config = {
    nodeEnv,
    host: read(env, 'HOST'),
    port: integer(env, 'PORT', 4000, 0, 65535),
    dbPath: readDbPath(env),
    jwt: Object.freeze({
      algorithm: oneOf(env, 'JWT_ALGORITHM', ['HS256'] as const, 'HS256'),
      secret,
      issuer: read(env, 'JWT_ISSUER') ?? 'graphql-jwt-auth',
      audience: read(env, 'JWT_AUDIENCE') ?? 'graphql-jwt-auth',
      accessTtlSeconds: duration(env, 'JWT_ACCESS_TTL', '15m', 1),
      clockToleranceSeconds: duration(env, 'JWT_CLOCK_TOLERANCE', '0', 0),
    }),
    bcryptCost: readBcryptCost(env),
    // One fewer than the cores, so the event loop keeps a core to itself.
    hashWorkers: integer(env, 'HASH_WORKERS', Math.max(1, cores - 1), 1, 256),
    hashQueueMax: integer(env, 'HASH_QUEUE_MAX', DEFAULT_HASH_QUEUE_MAX, 0, 100_000),
    userCacheMax: integer(env, 'USER_CACHE_MAX', DEFAULT_USER_CACHE_MAX, 0, 10_000_000),
    webConcurrency: read(env, 'WEB_CONCURRENCY') === 'auto' ? cores : integer(env, 'WEB_CONCURRENCY', 1, 1, 256),
    logLevel: oneOf<LogLevel>(env, 'LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
    debugErrors,
  };
  return Object.freeze(config);
}
