// Read and validate the environment once, into one typed, frozen object.
// A bad value stops start-up with a message naming the variable.
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { LinkPath } from './shared/link-paths';
import type { LogLevel } from './shared/logger';
import { DEV_DATA_DIR } from './shared/private-files';

export type { LogLevel };

export type NodeEnv = 'development' | 'production' | 'test';
/** The algorithms a token can be signed with (JWT_ALGORITHM). Each key has exactly one. */
export type JwtAlgorithm = 'HS256' | 'RS256' | 'ES256';
export const JWT_ALGORITHMS: readonly JwtAlgorithm[] = ['HS256', 'RS256', 'ES256'];
export type AsymmetricAlgorithm = Exclude<JwtAlgorithm, 'HS256'>;
export const ASYMMETRIC_ALGORITHMS: readonly AsymmetricAlgorithm[] = ['RS256', 'ES256'];

export interface Config {
  readonly nodeEnv: NodeEnv;
  readonly host: string | undefined;
  readonly port: number;
  /** SQLite at DB_PATH (the default), or PostgreSQL at DATABASE_URL. */
  readonly database: DatabaseSettings;
  /** Apply pending migrations at start-up; false: refuse to start while any is pending (run `npm run migrate`). */
  readonly migrateOnStart: boolean;
  readonly jwt: {
    /** What new tokens are signed with. */
    readonly algorithm: JwtAlgorithm;
    /**
     * HS256: the signing secret (always set). RS256/ES256: when set, HS256 tokens still verify with it
     * (the grace window of a migration from HS256), but nothing is signed with it.
     */
    readonly secret: string | undefined;
    /** RS256/ES256: where the private key(s) come from (read and parsed at start-up, see auth/signing-keys.ts). */
    readonly keySource: KeySource | undefined;
    /** Cache-Control max-age of /.well-known/jwks.json. */
    readonly jwksMaxAgeSeconds: number;
    readonly issuer: string;
    readonly audience: string;
    readonly accessTtlSeconds: number;
    readonly clockToleranceSeconds: number;
  };
  readonly bcryptCost: number;
  readonly limits: {
    /** Consecutive failed logins for one email before backoff starts (1 s, 2 s, 4 s … up to loginBackoffMaxSeconds). */
    readonly loginMaxFailures: number;
    readonly loginBackoffMaxSeconds: number;
    /**
     * Failed password attempts on one account from every client together, per fixed window of `seconds`; past
     * `points`, clients without a device token for the account are refused until the window ends.
     */
    readonly loginAccountFailures: RateLimit;
    /** Attempts per client network: `points` per `seconds`. */
    readonly loginPerIp: RateLimit;
    readonly signupPerIp: RateLimit;
    readonly refreshPerIp: RateLimit;
    readonly changePasswordPerIp: RateLimit;
    /** verifyMfa and confirmTotpEnrollment together, per client network. */
    readonly mfaPerIp: RateLimit;
    /** Consecutive wrong second-factor codes on one account before its second factor backs off like a login. */
    readonly mfaMaxFailures: number;
    /** requestPasswordReset, resetPassword, requestEmailVerification, verifyEmail and changeEmail together, per client network. */
    readonly recoveryPerIp: RateLimit;
    /** Emails of one kind (reset, verification, email change) to one address; past it nothing is sent, and the answer is the same. */
    readonly emailPerAddress: RateLimit;
    /** IPv6 clients are counted per network of this many leading bits (IPv4 clients per address). */
    readonly ipv6Prefix: number;
    /** Proxies whose X-Forwarded-For is believed: IPs or CIDR ranges. */
    readonly trustedProxies: readonly string[];
    /** Shared counters for several instances; in-memory when undefined. */
    readonly redisUrl: string | undefined;
  };
  readonly sessions: {
    /** Refresh-token lifetime; each refresh starts it again (sliding), up to maxAgeSeconds. */
    readonly refreshTtlSeconds: number;
    /** Absolute session limit from login, whatever the refreshes. */
    readonly maxAgeSeconds: number;
    /** A rotated refresh token presented again within this many seconds gets the same new pair. */
    readonly reuseGraceSeconds: number;
  };
  readonly cookie: {
    /** The refresh token travels only in an HttpOnly cookie, never in a response body. */
    readonly enabled: boolean;
    readonly secure: boolean;
    readonly sameSite: 'Strict' | 'Lax' | 'None';
  };
  readonly mfa: {
    /** AES-256-GCM key for TOTP secrets at rest: 64 hex digits. Without it, TOTP cannot be turned on. */
    readonly encryptionKey: string | undefined;
    /** The name authenticator apps show for the account. */
    readonly totpIssuer: string;
    /** ADMIN-only fields answer MFA_REQUIRED for an ADMIN without TOTP. */
    readonly requireForAdmin: boolean;
  };
  readonly recovery: {
    /** Where the links in recovery emails point: `{token}` is replaced by the link's token. */
    readonly resetPasswordUrl: string;
    readonly verifyEmailUrl: string;
    readonly passwordResetTtlSeconds: number;
    readonly emailVerifyTtlSeconds: number;
    /** Until the address is verified, a session may only call the fields that allow EMAIL_NOT_VERIFIED. */
    readonly requireEmailVerification: boolean;
  };
  readonly mail: MailSettings;
  /** Origins allowed to call the API from a browser, with credentials. ['*'] = any origin, without credentials. */
  readonly corsOrigins: readonly string[];
  /** Schema introspection; off in production unless GRAPHQL_INTROSPECTION=true. */
  readonly introspection: boolean;
  /** Runs of a hot query document by graphql-js before it runs compiled (graphql/compiled-queries.ts); null: never. */
  readonly compileQueriesAfter: number | null;
  /** The GraphiQL page on GET /graphql for a browser; off in production unless PLAYGROUND=true. */
  readonly playground: boolean;
  /** Worker threads that hash and compare passwords, per process. */
  readonly hashWorkers: number;
  /** Password tasks that may wait for a worker; beyond that login/signup answer SERVICE_UNAVAILABLE. */
  readonly hashQueueMax: number;
  /** Server processes sharing the port (node:cluster); 1 = no cluster. */
  readonly webConcurrency: number;
  /** On SIGTERM/SIGINT: how long in-flight requests may take to finish before the process gives up on them and exits non-zero. */
  readonly shutdownTimeoutSeconds: number;
  readonly logLevel: LogLevel;
  /** Include stack traces and internal messages in error responses. Never in production. */
  readonly debugErrors: boolean;
}

/** How mail leaves: SMTP at smtpUrl, or (in development, without it) .eml files under outboxDir. */
export interface MailSettings {
  /** smtp://user:pass@host:port, or smtps://… for TLS. Holds a password: never log it. */
  readonly smtpUrl?: string;
  /** The From header of every message. */
  readonly from: string;
  /** MAIL_DISABLED=true: no mail at all; the flows that need it answer SERVICE_UNAVAILABLE. */
  readonly disabled: boolean;
  /** `${DATA_DIR}/outbox`: where development writes each message as an .eml file when there is no SMTP_URL. */
  readonly outboxDir: string;
}

export type PostgresTls = false | { readonly rejectUnauthorized: boolean };

export type DatabaseSettings =
  | { readonly dialect: 'sqlite'; readonly path: string }
  | {
      readonly dialect: 'postgresql';
      readonly host: string;
      readonly port: number;
      readonly user: string;
      readonly password: string | undefined;
      readonly database: string;
      /** false: plain TCP (sslmode=disable, the default); otherwise TLS, verifying the certificate unless sslmode=require. */
      readonly ssl: PostgresTls;
      /** Connections per server process. */
      readonly poolMax: number;
      /** The bound on connecting, on waiting for a pooled connection or a lock, and on any one statement. */
      readonly timeoutSeconds: number;
      /** What the server shows in pg_stat_activity. */
      readonly applicationName: string;
      /** The URL without its password, for logs. */
      readonly display: string;
    };

/** Exactly one of these provides the private key(s) for RS256/ES256; `variable` names the setting it came from. */
export type KeySource =
  | { readonly variable: 'JWT_PRIVATE_KEY'; readonly pem: string }
  | { readonly variable: 'JWT_PRIVATE_KEY_FILE'; readonly path: string }
  | { readonly variable: 'JWT_KEYS_DIR'; readonly dir: string };

export interface RateLimit {
  readonly points: number;
  readonly seconds: number;
}

export const MIN_SECRET_BYTES = 32;
/** At cost 12 on one worker, 32 waiting hashes are ~11 s of waiting: beyond that, answer "busy" at once. */
export const DEFAULT_HASH_QUEUE_MAX = 32;
export const DEFAULT_DB_PATH = './data/app.db';
export const DEFAULT_MAIL_FROM = 'Auth <no-reply@localhost>';
/** package.json's name: the default issuer of tokens and of TOTP accounts. */
export const PACKAGE_NAME = 'graphql-jwt-auth';
const MFA_KEY_PATTERN = /^[0-9a-fA-F]{64}$/;

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}

/**
 * Every environment variable loadConfig reads, and no other: the readers below accept only these names.
 * .env.example and the settings table in docs/operations.md list exactly these (test/unit/settings-docs.test.ts).
 */
export const SETTING_NAMES = [
  'NODE_ENV',
  'HOST',
  'PORT',
  'DB_PATH',
  'DATABASE_URL',
  'DATABASE_POOL_MAX',
  'DATABASE_TIMEOUT',
  'MIGRATE_ON_START',
  'JWT_ALGORITHM',
  'JWT_SECRET',
  'JWT_KEYS_DIR',
  'JWT_PRIVATE_KEY_FILE',
  'JWT_PRIVATE_KEY',
  'JWT_JWKS_MAX_AGE',
  'JWT_ISSUER',
  'JWT_AUDIENCE',
  'JWT_ACCESS_TTL',
  'JWT_CLOCK_TOLERANCE',
  'REFRESH_TTL',
  'SESSION_MAX_AGE',
  'REFRESH_REUSE_GRACE',
  'AUTH_COOKIE_MODE',
  'AUTH_COOKIE_SECURE',
  'AUTH_COOKIE_SAMESITE',
  'CORS_ORIGINS',
  'BCRYPT_COST',
  'HASH_WORKERS',
  'HASH_QUEUE_MAX',
  'WEB_CONCURRENCY',
  'SHUTDOWN_TIMEOUT',
  'LOGIN_MAX_FAILURES',
  'LOGIN_BACKOFF_MAX',
  'LOGIN_ACCOUNT_MAX_FAILURES',
  'RATE_LIMIT_LOGIN_IP',
  'RATE_LIMIT_SIGNUP_IP',
  'RATE_LIMIT_REFRESH_IP',
  'RATE_LIMIT_CHANGE_PASSWORD_IP',
  'RATE_LIMIT_MFA_IP',
  'RATE_LIMIT_RECOVERY_IP',
  'RATE_LIMIT_EMAIL_PER_ADDRESS',
  'MFA_MAX_FAILURES',
  'MFA_ENCRYPTION_KEY',
  'TOTP_ISSUER',
  'REQUIRE_MFA_FOR_ADMIN',
  'APP_URL',
  'RESET_PASSWORD_URL',
  'VERIFY_EMAIL_URL',
  'PASSWORD_RESET_TTL',
  'EMAIL_VERIFY_TTL',
  'REQUIRE_EMAIL_VERIFICATION',
  'RATE_LIMIT_IPV6_PREFIX',
  'TRUSTED_PROXIES',
  'REDIS_URL',
  'GRAPHQL_INTROSPECTION',
  'GRAPHQL_COMPILE_AFTER',
  'PLAYGROUND',
  'LOG_LEVEL',
  'DEBUG_ERRORS',
  'SMTP_URL',
  'MAIL_FROM',
  'MAIL_DISABLED',
  'DATA_DIR',
] as const;
export type SettingName = (typeof SETTING_NAMES)[number];

type Env = Record<string, string | undefined>;

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** Seconds from "900", "900s", "15m", "12h" or "30d". Returns undefined for anything else. */
export function parseDuration(text: string): number | undefined {
  const match = /^\s*(\d+)\s*([smhd]?)\s*$/.exec(text);
  if (!match) return undefined;
  return Number(match[1]) * DURATION_UNITS[match[2] || 's'];
}

function read(env: Env, name: SettingName): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function integer(env: Env, name: SettingName, fallback: number, min: number, max: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function duration(env: Env, name: SettingName, fallback: string, minSeconds: number): number {
  const raw = read(env, name) ?? fallback;
  const seconds = parseDuration(raw);
  if (seconds === undefined) throw new ConfigError(name, `must be seconds or a duration like 900, 15m, 12h, 30d; got "${raw}"`);
  if (seconds < minSeconds) throw new ConfigError(name, `must be at least ${minSeconds} seconds, got ${seconds}`);
  return seconds;
}

function oneOf<T extends string>(env: Env, name: SettingName, allowed: readonly T[], fallback: T): T {
  const raw = read(env, name) ?? fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `must be one of ${allowed.join(', ')}; got "${raw}"`);
  }
  return raw as T;
}

function boolean(env: Env, name: SettingName, fallback: boolean): boolean {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

/** "30/1m": 30 attempts per minute. */
function rateLimit(env: Env, name: SettingName, fallback: string): RateLimit {
  const raw = read(env, name) ?? fallback;
  const match = /^(\d+)\/(.+)$/.exec(raw);
  const seconds = match ? parseDuration(match[2]) : undefined;
  if (!match || seconds === undefined || seconds < 1 || Number(match[1]) < 1) {
    throw new ConfigError(name, `must be attempts per duration, like 30/1m or 100/1h; got "${raw}"`);
  }
  return Object.freeze({ points: Number(match[1]), seconds });
}

function proxyList(env: Env, name: SettingName): string[] {
  const entries = (read(env, name) ?? '').split(',').map((entry) => entry.trim()).filter(Boolean);
  for (const entry of entries) {
    const [address, bits, extra] = entry.split('/');
    const family = isIP(address);
    const maxBits = family === 6 ? 128 : 32;
    if (!family || extra !== undefined || (bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= maxBits))) {
      throw new ConfigError(name, `must be a comma-separated list of IP addresses or CIDR ranges; "${entry}" is neither`);
    }
  }
  return entries;
}

function originList(env: Env, name: SettingName): string[] {
  const entries = (read(env, name) ?? '').split(',').map((entry) => entry.trim()).filter(Boolean);
  if (entries.includes('*')) {
    if (entries.length > 1) throw new ConfigError(name, 'is either * alone or a list of origins');
    return entries;
  }
  return entries.map((entry) => {
    let url: URL | undefined;
    try {
      url = new URL(entry);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== entry.replace(/\/$/, '')) {
      throw new ConfigError(name, `must be a comma-separated list of origins like https://app.example.com (scheme, host, port; no path); "${entry}" is not one`);
    }
    return url.origin;
  });
}

function redisUrl(env: Env, name: SettingName): string | undefined {
  const raw = read(env, name);
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, 'must be a redis:// or rediss:// URL');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new ConfigError(name, 'must be a redis:// or rediss:// URL');
  return raw;
}

function smtpUrl(env: Env, name: SettingName): string | undefined {
  const raw = read(env, name);
  if (raw === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  // The value is never repeated: it may hold the SMTP password.
  if (!url || (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') || !url.hostname) {
    throw new ConfigError(name, 'must be an smtp://user:password@host:port URL (smtps:// for TLS)');
  }
  return raw;
}

function readMail(env: Env, nodeEnv: NodeEnv): MailSettings {
  const dataDir = read(env, 'DATA_DIR') ?? DEV_DATA_DIR;
  const smtp = smtpUrl(env, 'SMTP_URL');
  const disabled = boolean(env, 'MAIL_DISABLED', false);
  // Files on the server's disk are for a developer to click; in production mail must leave, or be off on purpose.
  if (nodeEnv === 'production' && smtp === undefined && !disabled) {
    throw new ConfigError('SMTP_URL', 'is required in production (smtp://user:password@host:587, or smtps://… for TLS); or set MAIL_DISABLED=true to run without mail');
  }
  return Object.freeze({
    ...(smtp === undefined ? {} : { smtpUrl: smtp }),
    from: read(env, 'MAIL_FROM') ?? DEFAULT_MAIL_FROM,
    disabled,
    outboxDir: join(dataDir, 'outbox'),
  });
}

const SSL_MODES: Record<string, PostgresTls> = {
  disable: false,
  require: { rejectUnauthorized: false },
  'verify-full': { rejectUnauthorized: true },
};

function postgresUrl(raw: string, poolMax: number, timeoutSeconds: number): DatabaseSettings {
  const name = 'DATABASE_URL';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, 'must be a postgres://user:password@host:5432/database URL');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(name, `must be a postgres:// or postgresql:// URL (SQLite is the default without it: see DB_PATH); got ${url.protocol}//…`);
  }
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!url.hostname || !database) throw new ConfigError(name, 'must name a host and a database: postgres://user:password@host:5432/database');
  const sslmode = url.searchParams.get('sslmode') ?? 'disable';
  if (!(sslmode in SSL_MODES)) throw new ConfigError(name, `sslmode must be one of ${Object.keys(SSL_MODES).join(', ')}; got "${sslmode}"`);
  const shown = new URL(url.href);
  if (shown.password) shown.password = '*****';
  return Object.freeze({
    dialect: 'postgresql',
    host: decodeURIComponent(url.hostname).replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : 5432,
    user: decodeURIComponent(url.username) || 'postgres',
    password: url.password ? decodeURIComponent(url.password) : undefined,
    database,
    ssl: SSL_MODES[sslmode],
    poolMax,
    timeoutSeconds,
    applicationName: PACKAGE_NAME,
    display: shown.href,
  });
}

/** Which database, and how to reach it; shared with the command-line tools, which need no JWT secret. */
export function readDatabase(env: Env): DatabaseSettings {
  // Read (and checked) whatever the database: a bad value is refused before the day it would be used.
  const poolMax = integer(env, 'DATABASE_POOL_MAX', 10, 1, 1000);
  const timeoutSeconds = duration(env, 'DATABASE_TIMEOUT', '5s', 1);
  const url = read(env, 'DATABASE_URL');
  if (url !== undefined) return postgresUrl(url, poolMax, timeoutSeconds);
  return Object.freeze({ dialect: 'sqlite', path: read(env, 'DB_PATH') ?? DEFAULT_DB_PATH });
}

/** The database as logs and messages show it: a path, or a URL without its password. */
export function describeDatabase(settings: DatabaseSettings): string {
  return settings.dialect === 'sqlite' ? settings.path : settings.display;
}

function readMigrateOnStart(env: Env): boolean {
  return boolean(env, 'MIGRATE_ON_START', true);
}

function readBcryptCost(env: Env): number {
  return integer(env, 'BCRYPT_COST', 12, 4, 15);
}

function readAccessTtl(env: Env): number {
  return duration(env, 'JWT_ACCESS_TTL', '15m', 1);
}

function readClockTolerance(env: Env): number {
  return duration(env, 'JWT_CLOCK_TOLERANCE', '0', 0);
}

function readSecret(env: Env, required: boolean): string | undefined {
  const secret = env.JWT_SECRET;
  if (secret === undefined || secret === '') {
    if (!required) return undefined;
    throw new ConfigError('JWT_SECRET', `is required (at least ${MIN_SECRET_BYTES} bytes); generate one with: openssl rand -base64 48`);
  }
  if (Buffer.byteLength(secret, 'utf8') < MIN_SECRET_BYTES) {
    throw new ConfigError('JWT_SECRET', `must be at least ${MIN_SECRET_BYTES} bytes long`);
  }
  return secret;
}

function readKeySource(env: Env, algorithm: JwtAlgorithm): KeySource | undefined {
  const pem = read(env, 'JWT_PRIVATE_KEY');
  const path = read(env, 'JWT_PRIVATE_KEY_FILE');
  const dir = read(env, 'JWT_KEYS_DIR');
  const sources: KeySource[] = [
    ...(dir === undefined ? [] : [{ variable: 'JWT_KEYS_DIR', dir } as const]),
    ...(path === undefined ? [] : [{ variable: 'JWT_PRIVATE_KEY_FILE', path } as const]),
    ...(pem === undefined ? [] : [{ variable: 'JWT_PRIVATE_KEY', pem } as const]),
  ];
  if (algorithm === 'HS256') {
    if (sources.length > 0) {
      throw new ConfigError(sources[0].variable, 'is set, but JWT_ALGORITHM is HS256: set JWT_ALGORITHM=RS256 or ES256 to sign with a private key');
    }
    return undefined;
  }
  if (sources.length === 0) {
    throw new ConfigError(
      'JWT_ALGORITHM',
      `${algorithm} needs a private key: set JWT_KEYS_DIR (make one with npm run keys:generate -- --alg ${algorithm}), JWT_PRIVATE_KEY_FILE or JWT_PRIVATE_KEY`,
    );
  }
  if (sources.length > 1) {
    throw new ConfigError(sources[1].variable, `set only one of JWT_KEYS_DIR, JWT_PRIVATE_KEY_FILE and JWT_PRIVATE_KEY`);
  }
  return sources[0];
}

/** A development secret, made once and kept in a file (tokens/dev-secret.ts): main.ts hands its loader in. */
export type DevSecretLoader = () => { secret: string; generated: boolean };

/** Whether a development secret (or MFA key) was used: none, made now, or reused from its file. */
export type DevSecretUse = 'none' | 'generated' | 'reused';

export interface ProcessConfig {
  config: Config;
  devSecret: DevSecretUse;
  /** The same for the development MFA_ENCRYPTION_KEY (mfa/dev-key.ts). */
  devMfaKey: DevSecretUse;
}

function readMfaKey(env: Env): string | undefined {
  const key = read(env, 'MFA_ENCRYPTION_KEY');
  // The value itself is never repeated in the message.
  if (key !== undefined && !MFA_KEY_PATTERN.test(key)) throw new ConfigError('MFA_ENCRYPTION_KEY', 'must be 64 hex digits (32 bytes); generate one with: openssl rand -hex 32');
  return key;
}

/** The placeholder a link template must contain. */
export const TOKEN_PLACEHOLDER = '{token}';

function httpUrl(name: SettingName, raw: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(raw.replace(TOKEN_PLACEHOLDER, 'TOKEN'));
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) throw new ConfigError(name, `must be an http:// or https:// URL; got "${raw}"`);
  return url;
}

/** A link template: RESET_PASSWORD_URL or VERIFY_EMAIL_URL when set, else APP_URL and `path`. */
function linkTemplate(env: Env, name: SettingName, appUrl: string, path: string): string {
  const raw = read(env, name);
  if (raw === undefined) return `${appUrl}${path}?token=${TOKEN_PLACEHOLDER}`;
  if (!raw.includes(TOKEN_PLACEHOLDER)) throw new ConfigError(name, `must contain ${TOKEN_PLACEHOLDER}, where the link's token goes; got "${raw}"`);
  httpUrl(name, raw);
  return raw;
}

function readRecovery(env: Env): Config['recovery'] {
  const appUrl = read(env, 'APP_URL') ?? 'http://localhost:4000';
  httpUrl('APP_URL', appUrl);
  const base = appUrl.replace(/\/+$/, '');
  return Object.freeze({
    resetPasswordUrl: linkTemplate(env, 'RESET_PASSWORD_URL', base, LinkPath.RESET_PASSWORD),
    verifyEmailUrl: linkTemplate(env, 'VERIFY_EMAIL_URL', base, LinkPath.VERIFY_EMAIL),
    passwordResetTtlSeconds: duration(env, 'PASSWORD_RESET_TTL', '1800', 1),
    emailVerifyTtlSeconds: duration(env, 'EMAIL_VERIFY_TTL', '86400', 1),
    requireEmailVerification: boolean(env, 'REQUIRE_EMAIL_VERIFICATION', false),
  });
}

/**
 * The server's configuration, from this process's environment: the one place the server reads it. In
 * development, with HS256 (the only algorithm that signs with the secret) and no JWT_SECRET, the secret comes
 * from `devSecret`. A cluster worker gets the secret its primary resolved, in its environment.
 */
export function loadProcessConfig(devSecret: DevSecretLoader, devMfaKey?: DevSecretLoader): ProcessConfig {
  const env: Env = { ...process.env };
  const development = (read(env, 'NODE_ENV') ?? 'development') !== 'production';
  const hs256 = (read(env, 'JWT_ALGORITHM') ?? 'HS256') === 'HS256';
  let secretUse: DevSecretUse = 'none';
  if (!env.JWT_SECRET && hs256 && development) {
    const made = devSecret();
    env.JWT_SECRET = made.secret;
    secretUse = made.generated ? 'generated' : 'reused';
  }
  let mfaKeyUse: DevSecretUse = 'none';
  if (devMfaKey && read(env, 'MFA_ENCRYPTION_KEY') === undefined && development) {
    const made = devMfaKey();
    env.MFA_ENCRYPTION_KEY = made.secret;
    mfaKeyUse = made.generated ? 'generated' : 'reused';
  }
  return { config: loadConfig(env), devSecret: secretUse, devMfaKey: mfaKeyUse };
}

/** What the command-line tools read of this process's environment (they need no JWT secret). */
export const toolSettings = {
  database: (): DatabaseSettings => readDatabase(process.env),
  bcryptCost: (): number => readBcryptCost(process.env),
  keysDir: (): string | undefined => read(process.env, 'JWT_KEYS_DIR'),
  /** How long a retired signing key's last tokens may still be presented: JWT_ACCESS_TTL + JWT_CLOCK_TOLERANCE. */
  tokenGraceSeconds: (): number => readAccessTtl(process.env) + readClockTolerance(process.env),
};

/**
 * Build the configuration from an environment. Pure: it reads no files.
 * A development secret, if any, is resolved by the caller before this runs (see auth/dev-secret.ts).
 */
export function loadConfig(env: Env, cores = availableParallelism()): Config {
  const nodeEnv = oneOf<NodeEnv>(env, 'NODE_ENV', ['development', 'production', 'test'], 'development');
  const algorithm = oneOf(env, 'JWT_ALGORITHM', JWT_ALGORITHMS, 'HS256');
  // With a private key the secret is optional: if still set, HS256 tokens keep verifying (migration grace).
  const secret = readSecret(env, !(ASYMMETRIC_ALGORITHMS as readonly string[]).includes(algorithm));
  const keySource = readKeySource(env, algorithm);

  const debugErrors = boolean(env, 'DEBUG_ERRORS', false);
  if (debugErrors && nodeEnv === 'production') {
    throw new ConfigError('DEBUG_ERRORS', 'cannot be enabled with NODE_ENV=production');
  }

  const cookieMode = boolean(env, 'AUTH_COOKIE_MODE', false);
  const cookieSecure = boolean(env, 'AUTH_COOKIE_SECURE', true);
  const sameSite = oneOf(env, 'AUTH_COOKIE_SAMESITE', ['Strict', 'Lax', 'None'] as const, 'Strict');
  if (sameSite === 'None' && !cookieSecure) {
    throw new ConfigError('AUTH_COOKIE_SAMESITE', 'None needs AUTH_COOKIE_SECURE=true (browsers drop insecure SameSite=None cookies)');
  }
  const corsOrigins = originList(env, 'CORS_ORIGINS');
  if (cookieMode && corsOrigins.includes('*')) {
    throw new ConfigError('CORS_ORIGINS', 'cannot be * with AUTH_COOKIE_MODE=true: credentials need an explicit list of origins');
  }

  const config: Config = {
    nodeEnv,
    host: read(env, 'HOST'),
    port: integer(env, 'PORT', 4000, 0, 65535),
    database: readDatabase(env),
    migrateOnStart: readMigrateOnStart(env),
    jwt: Object.freeze({
      algorithm,
      secret,
      keySource: keySource && Object.freeze(keySource),
      jwksMaxAgeSeconds: duration(env, 'JWT_JWKS_MAX_AGE', '5m', 0),
      issuer: read(env, 'JWT_ISSUER') ?? PACKAGE_NAME,
      audience: read(env, 'JWT_AUDIENCE') ?? PACKAGE_NAME,
      accessTtlSeconds: readAccessTtl(env),
      clockToleranceSeconds: readClockTolerance(env),
    }),
    bcryptCost: readBcryptCost(env),
    limits: Object.freeze({
      loginMaxFailures: integer(env, 'LOGIN_MAX_FAILURES', 5, 1, 1000),
      loginBackoffMaxSeconds: duration(env, 'LOGIN_BACKOFF_MAX', '15m', 1),
      loginAccountFailures: rateLimit(env, 'LOGIN_ACCOUNT_MAX_FAILURES', '100/1h'),
      loginPerIp: rateLimit(env, 'RATE_LIMIT_LOGIN_IP', '30/1m'),
      signupPerIp: rateLimit(env, 'RATE_LIMIT_SIGNUP_IP', '10/1m'),
      refreshPerIp: rateLimit(env, 'RATE_LIMIT_REFRESH_IP', '60/1m'),
      changePasswordPerIp: rateLimit(env, 'RATE_LIMIT_CHANGE_PASSWORD_IP', '10/1m'),
      mfaPerIp: rateLimit(env, 'RATE_LIMIT_MFA_IP', '30/1m'),
      mfaMaxFailures: integer(env, 'MFA_MAX_FAILURES', 5, 1, 1000),
      recoveryPerIp: rateLimit(env, 'RATE_LIMIT_RECOVERY_IP', '10/1m'),
      emailPerAddress: rateLimit(env, 'RATE_LIMIT_EMAIL_PER_ADDRESS', '3/1h'),
      ipv6Prefix: integer(env, 'RATE_LIMIT_IPV6_PREFIX', 64, 1, 128),
      trustedProxies: Object.freeze(proxyList(env, 'TRUSTED_PROXIES')),
      redisUrl: redisUrl(env, 'REDIS_URL'),
    }),
    sessions: Object.freeze({
      refreshTtlSeconds: duration(env, 'REFRESH_TTL', '30d', 60),
      maxAgeSeconds: duration(env, 'SESSION_MAX_AGE', '90d', 60),
      reuseGraceSeconds: duration(env, 'REFRESH_REUSE_GRACE', '10', 0),
    }),
    cookie: Object.freeze({ enabled: cookieMode, secure: cookieSecure, sameSite }),
    mfa: Object.freeze({
      encryptionKey: readMfaKey(env),
      totpIssuer: read(env, 'TOTP_ISSUER') ?? PACKAGE_NAME,
      requireForAdmin: boolean(env, 'REQUIRE_MFA_FOR_ADMIN', false),
    }),
    recovery: readRecovery(env),
    mail: readMail(env, nodeEnv),
    corsOrigins: Object.freeze(corsOrigins),
    introspection: boolean(env, 'GRAPHQL_INTROSPECTION', nodeEnv !== 'production'),
    compileQueriesAfter: read(env, 'GRAPHQL_COMPILE_AFTER') === 'off' ? null : integer(env, 'GRAPHQL_COMPILE_AFTER', 10, 0, 1_000_000),
    playground: boolean(env, 'PLAYGROUND', nodeEnv !== 'production'),
    // One fewer than the cores, so the event loop keeps a core to itself.
    hashWorkers: integer(env, 'HASH_WORKERS', Math.max(1, cores - 1), 1, 256),
    hashQueueMax: integer(env, 'HASH_QUEUE_MAX', DEFAULT_HASH_QUEUE_MAX, 0, 100_000),
    webConcurrency: read(env, 'WEB_CONCURRENCY') === 'auto' ? cores : integer(env, 'WEB_CONCURRENCY', 1, 1, 256),
    shutdownTimeoutSeconds: duration(env, 'SHUTDOWN_TIMEOUT', '10', 1),
    logLevel: oneOf<LogLevel>(env, 'LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
    debugErrors,
  };
  return Object.freeze(config);
}
