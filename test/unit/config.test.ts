import { ConfigError, loadConfig, parseDuration } from '../../src/config';
import { configErrorOf } from '../helpers/config-error';

const SECRET = 'x'.repeat(32);

const configError = (env: Record<string, string>): ConfigError => configErrorOf(() => loadConfig(env));

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig({ JWT_SECRET: SECRET });
    expect(config).toMatchObject({
      nodeEnv: 'development',
      port: 4000,
      database: { dialect: 'sqlite', path: './data/app.db' },
      migrateOnStart: true,
      bcryptCost: 12,
      logLevel: 'info',
      debugErrors: false,
      jwt: { algorithm: 'HS256', accessTtlSeconds: 900, clockToleranceSeconds: 0 },
    });
  });

  it('sizes the hash pool at one worker fewer than the cores, and at least one', () => {
    expect(loadConfig({ JWT_SECRET: SECRET }, 4)).toMatchObject({ hashWorkers: 3, hashQueueMax: 32, webConcurrency: 1 });
    expect(loadConfig({ JWT_SECRET: SECRET }, 1).hashWorkers).toBe(1);
    expect(loadConfig({ JWT_SECRET: SECRET, HASH_WORKERS: '5', HASH_QUEUE_MAX: '0' }, 2)).toMatchObject({ hashWorkers: 5, hashQueueMax: 0 });
  });

  it('reads WEB_CONCURRENCY as a number of processes, or auto for one per core', () => {
    expect(loadConfig({ JWT_SECRET: SECRET, WEB_CONCURRENCY: '3' }, 2).webConcurrency).toBe(3);
    expect(loadConfig({ JWT_SECRET: SECRET, WEB_CONCURRENCY: 'auto' }, 6).webConcurrency).toBe(6);
  });

  it.each([
    ['HASH_WORKERS', '0'],
    ['HASH_QUEUE_MAX', '-1'],
    ['WEB_CONCURRENCY', 'many'],
    ['WEB_CONCURRENCY', '0'],
  ])('refuses %s=%s, naming the variable', (name, value) => {
    expect(() => loadConfig({ JWT_SECRET: SECRET, [name]: value })).toThrow(new RegExp(`^${name}: `));
  });

  it('returns a frozen object', () => {
    const config = loadConfig({ JWT_SECRET: SECRET });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.jwt)).toBe(true);
  });

  it('refuses a missing secret, naming the variable', () => {
    expect(configError({}).variable).toBe('JWT_SECRET');
  });

  it('refuses a secret under 32 bytes', () => {
    const error = configError({ JWT_SECRET: 'x'.repeat(31) });
    expect(error.variable).toBe('JWT_SECRET');
    expect(error.message).toContain('32 bytes');
  });

  it('never puts the secret in an error message', () => {
    const secret = 'short-but-secret-value';
    expect(configError({ JWT_SECRET: secret }).message).not.toContain(secret);
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['BCRYPT_COST', '3'],
    ['BCRYPT_COST', '16'],
    ['JWT_ACCESS_TTL', 'soon'],
    ['JWT_ACCESS_TTL', '0'],
    ['JWT_CLOCK_TOLERANCE', '-5'],
    ['JWT_ALGORITHM', 'none'],
    ['JWT_ALGORITHM', 'EdDSA'],
    ['JWT_ALGORITHM', 'HS512'],
    ['NODE_ENV', 'staging'],
    ['LOG_LEVEL', 'loud'],
    ['DEBUG_ERRORS', 'maybe'],
    ['LOGIN_MAX_FAILURES', '0'],
    ['LOGIN_BACKOFF_MAX', 'forever'],
    ['RATE_LIMIT_LOGIN_IP', '30'],
    ['RATE_LIMIT_LOGIN_IP', '0/1m'],
    ['RATE_LIMIT_SIGNUP_IP', '10/never'],
    ['TRUSTED_PROXIES', 'localhost'],
    ['TRUSTED_PROXIES', '10.0.0.0/33'],
    ['TRUSTED_PROXIES', '10.0.0.1, 10.0.0.0/8/1'],
    ['REDIS_URL', 'http://127.0.0.1:6379'],
    ['REDIS_URL', 'not a url'],
    ['GRAPHQL_INTROSPECTION', 'sometimes'],
  ])('refuses %s=%s, naming the variable', (variable, value) => {
    expect(configError({ JWT_SECRET: SECRET, [variable]: value }).variable).toBe(variable);
  });

  it('refuses debug errors in production', () => {
    expect(configError({ JWT_SECRET: SECRET, NODE_ENV: 'production', MAIL_DISABLED: 'true', DEBUG_ERRORS: 'true' }).variable).toBe('DEBUG_ERRORS');
  });

  it('reads the limits', () => {
    const config = loadConfig({
      JWT_SECRET: SECRET,
      RATE_LIMIT_LOGIN_IP: '100/1h',
      TRUSTED_PROXIES: '10.0.0.0/8, 192.168.1.1,::1',
      REDIS_URL: 'redis://127.0.0.1:6379/2',
    });
    expect(config.limits).toEqual({
      loginMaxFailures: 5,
      loginBackoffMaxSeconds: 900,
      loginAccountFailures: { points: 100, seconds: 3600 },
      loginPerIp: { points: 100, seconds: 3600 },
      signupPerIp: { points: 10, seconds: 60 },
      refreshPerIp: { points: 60, seconds: 60 },
      changePasswordPerIp: { points: 10, seconds: 60 },
      mfaPerIp: { points: 30, seconds: 60 },
      mfaMaxFailures: 5,
      recoveryPerIp: { points: 10, seconds: 60 },
      emailPerAddress: { points: 3, seconds: 3600 },
      ipv6Prefix: 64,
      trustedProxies: ['10.0.0.0/8', '192.168.1.1', '::1'],
      redisUrl: 'redis://127.0.0.1:6379/2',
    });
  });

  it('reads the recovery settings, with links built from APP_URL by default', () => {
    expect(loadConfig({ JWT_SECRET: SECRET }).recovery).toEqual({
      resetPasswordUrl: 'http://localhost:4000/reset-password?token={token}',
      verifyEmailUrl: 'http://localhost:4000/verify-email?token={token}',
      passwordResetTtlSeconds: 1800,
      emailVerifyTtlSeconds: 86400,
      requireEmailVerification: false,
    });
    const config = loadConfig({
      JWT_SECRET: SECRET,
      APP_URL: 'https://app.example.com/',
      VERIFY_EMAIL_URL: 'https://spa.example.com/#/verify/{token}',
      PASSWORD_RESET_TTL: '3',
      EMAIL_VERIFY_TTL: '2h',
      REQUIRE_EMAIL_VERIFICATION: 'true',
    }).recovery;
    expect(config).toEqual({
      resetPasswordUrl: 'https://app.example.com/reset-password?token={token}',
      verifyEmailUrl: 'https://spa.example.com/#/verify/{token}',
      passwordResetTtlSeconds: 3,
      emailVerifyTtlSeconds: 7200,
      requireEmailVerification: true,
    });
  });

  it('refuses a link template without {token}, a non-http APP_URL and a zero lifetime', () => {
    expect(() => loadConfig({ JWT_SECRET: SECRET, RESET_PASSWORD_URL: 'https://app.example.com/reset' })).toThrow(/RESET_PASSWORD_URL: must contain \{token\}/);
    expect(() => loadConfig({ JWT_SECRET: SECRET, VERIFY_EMAIL_URL: 'ftp://example.com/{token}' })).toThrow(/VERIFY_EMAIL_URL: must be an http/);
    expect(() => loadConfig({ JWT_SECRET: SECRET, APP_URL: 'example.com' })).toThrow(/APP_URL: must be an http/);
    expect(() => loadConfig({ JWT_SECRET: SECRET, PASSWORD_RESET_TTL: '0' })).toThrow(/PASSWORD_RESET_TTL: must be at least 1/);
  });

  it('reads the two-factor settings, with their defaults', () => {
    expect(loadConfig({ JWT_SECRET: SECRET }).mfa).toEqual({ encryptionKey: undefined, totpIssuer: 'graphql-jwt-auth', requireForAdmin: false });
    const key = 'ab'.repeat(32);
    expect(loadConfig({ JWT_SECRET: SECRET, MFA_ENCRYPTION_KEY: key, TOTP_ISSUER: 'Acme', REQUIRE_MFA_FOR_ADMIN: 'true' }).mfa).toEqual({
      encryptionKey: key,
      totpIssuer: 'Acme',
      requireForAdmin: true,
    });
  });

  it('refuses an MFA_ENCRYPTION_KEY that is not 64 hex digits, without repeating it', () => {
    for (const bad of ['ab'.repeat(31), 'zz'.repeat(32), 'ab'.repeat(33)]) {
      const load = () => loadConfig({ JWT_SECRET: SECRET, MFA_ENCRYPTION_KEY: bad });
      expect(load).toThrow('MFA_ENCRYPTION_KEY: must be 64 hex digits (32 bytes); generate one with: openssl rand -hex 32');
      expect(load).not.toThrow(bad);
    }
  });

  it('reads the IPv6 prefix and the account ceiling, and refuses a prefix outside 1..128', () => {
    const config = loadConfig({ JWT_SECRET: SECRET, RATE_LIMIT_IPV6_PREFIX: '56', LOGIN_ACCOUNT_MAX_FAILURES: '20/10m' });
    expect(config.limits).toMatchObject({ ipv6Prefix: 56, loginAccountFailures: { points: 20, seconds: 600 } });
    expect(() => loadConfig({ JWT_SECRET: SECRET, RATE_LIMIT_IPV6_PREFIX: '129' })).toThrow('RATE_LIMIT_IPV6_PREFIX: must be between 1 and 128, got 129');
    expect(() => loadConfig({ JWT_SECRET: SECRET, LOGIN_ACCOUNT_MAX_FAILURES: '100' })).toThrow('LOGIN_ACCOUNT_MAX_FAILURES');
  });

  it('turns the playground off in production unless asked for', () => {
    expect(loadConfig({ JWT_SECRET: SECRET }).playground).toBe(true);
    expect(loadConfig({ JWT_SECRET: SECRET, NODE_ENV: 'production', MAIL_DISABLED: 'true' }).playground).toBe(false);
    expect(loadConfig({ JWT_SECRET: SECRET, NODE_ENV: 'production', MAIL_DISABLED: 'true', PLAYGROUND: 'true' }).playground).toBe(true);
  });

  it('turns introspection off in production unless asked for', () => {
    expect(loadConfig({ JWT_SECRET: SECRET }).introspection).toBe(true);
    expect(loadConfig({ JWT_SECRET: SECRET, NODE_ENV: 'production', MAIL_DISABLED: 'true' }).introspection).toBe(false);
    expect(loadConfig({ JWT_SECRET: SECRET, NODE_ENV: 'production', MAIL_DISABLED: 'true', GRAPHQL_INTROSPECTION: 'true' }).introspection).toBe(true);
  });

  it('reads the session settings, with their defaults', () => {
    expect(loadConfig({ JWT_SECRET: SECRET })).toMatchObject({
      sessions: { refreshTtlSeconds: 30 * 86400, maxAgeSeconds: 90 * 86400, reuseGraceSeconds: 10 },
      cookie: { enabled: false, secure: true, sameSite: 'Strict' },
      corsOrigins: [],
    });
    const custom = loadConfig({ JWT_SECRET: SECRET, REFRESH_TTL: '7d', SESSION_MAX_AGE: '30d', REFRESH_REUSE_GRACE: '5', CORS_ORIGINS: 'https://app.example.com, http://localhost:5173/' });
    expect(custom.sessions).toEqual({ refreshTtlSeconds: 7 * 86400, maxAgeSeconds: 30 * 86400, reuseGraceSeconds: 5 });
    expect(custom.corsOrigins).toEqual(['https://app.example.com', 'http://localhost:5173']);
  });

  it('refuses CORS_ORIGINS=* in cookie mode: credentials need named origins', () => {
    expect(loadConfig({ JWT_SECRET: SECRET, CORS_ORIGINS: '*' }).corsOrigins).toEqual(['*']);
    const error = configError({ JWT_SECRET: SECRET, CORS_ORIGINS: '*', AUTH_COOKIE_MODE: 'true' });
    expect(error.variable).toBe('CORS_ORIGINS');
  });

  it.each([['app.example.com'], ['https://app.example.com/path'], ['ftp://app.example.com'], ['https://a.example.com, *']])(
    'refuses CORS_ORIGINS=%s, naming the variable',
    (value) => {
      expect(configError({ JWT_SECRET: SECRET, CORS_ORIGINS: value }).variable).toBe('CORS_ORIGINS');
    },
  );

  it('refuses SameSite=None without Secure, and a bad REFRESH_TTL', () => {
    expect(configError({ JWT_SECRET: SECRET, AUTH_COOKIE_SAMESITE: 'None', AUTH_COOKIE_SECURE: 'false' }).variable).toBe('AUTH_COOKIE_SAMESITE');
    expect(configError({ JWT_SECRET: SECRET, REFRESH_TTL: 'forever' }).variable).toBe('REFRESH_TTL');
  });

  it('reads durations with units', () => {
    const config = loadConfig({ JWT_SECRET: SECRET, JWT_ACCESS_TTL: '2h', JWT_CLOCK_TOLERANCE: '30s' });
    expect(config.jwt.accessTtlSeconds).toBe(7200);
    expect(config.jwt.clockToleranceSeconds).toBe(30);
  });
});

describe('the database', () => {
  it('is PostgreSQL with DATABASE_URL, with its parts, defaults and no password in what is shown', () => {
    const { database } = loadConfig({ JWT_SECRET: SECRET, DATABASE_URL: 'postgres://app:p%40ss@db.internal/auth?sslmode=require', DB_PATH: '/ignored.db' });
    expect(database).toEqual({
      dialect: 'postgresql',
      host: 'db.internal',
      port: 5432,
      user: 'app',
      password: 'p@ss',
      database: 'auth',
      ssl: { rejectUnauthorized: false },
      poolMax: 10,
      timeoutSeconds: 5,
      applicationName: 'graphql-jwt-auth',
      display: 'postgres://app:*****@db.internal/auth?sslmode=require',
    });
  });

  it('reads the pool size and the timeout, and MIGRATE_ON_START', () => {
    const config = loadConfig({ JWT_SECRET: SECRET, DATABASE_URL: 'postgresql://postgres@127.0.0.1:6543/x', DATABASE_POOL_MAX: '3', DATABASE_TIMEOUT: '2s', MIGRATE_ON_START: 'false' });
    expect(config.database).toMatchObject({ port: 6543, user: 'postgres', password: undefined, ssl: false, poolMax: 3, timeoutSeconds: 2 });
    expect(config.migrateOnStart).toBe(false);
  });

  it.each([
    ['DATABASE_URL', 'mysql://root@localhost/db'],
    ['DATABASE_URL', 'not a url'],
    ['DATABASE_URL', 'postgres://host-without-database'],
    ['DATABASE_URL', 'postgres://u@h/db?sslmode=prefer'],
    ['DATABASE_POOL_MAX', '0'],
    ['DATABASE_TIMEOUT', 'soon'],
    ['MIGRATE_ON_START', 'maybe'],
  ])('refuses %s=%s, naming the variable', (name, value) => {
    expect(configError({ JWT_SECRET: SECRET, [name]: value }).variable).toBe(name);
  });

  it('never shows the database password in an error', () => {
    expect(configError({ JWT_SECRET: SECRET, DATABASE_URL: 'postgres://u:hunter2@h/db?sslmode=bogus' }).message).not.toContain('hunter2');
  });
});

describe('signing keys', () => {
  const PEM = '-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----';

  it.each(['RS256', 'ES256'])('refuses %s without a key, naming JWT_ALGORITHM and the settings that give one', (algorithm) => {
    const error = configError({ JWT_ALGORITHM: algorithm });
    expect(error.variable).toBe('JWT_ALGORITHM');
    expect(error.message).toContain('JWT_KEYS_DIR');
    expect(error.message).toContain(`npm run keys:generate -- --alg ${algorithm}`);
  });

  it.each([
    ['JWT_KEYS_DIR', './keys'],
    ['JWT_PRIVATE_KEY_FILE', './key.pem'],
    ['JWT_PRIVATE_KEY', PEM],
  ])('refuses %s with HS256, so a half-done switch is not silently ignored', (variable, value) => {
    const error = configError({ JWT_SECRET: SECRET, [variable]: value });
    expect(error.variable).toBe(variable);
    expect(error.message).toContain('JWT_ALGORITHM is HS256');
  });

  it('refuses two key sources at once', () => {
    const error = configError({ JWT_ALGORITHM: 'RS256', JWT_KEYS_DIR: './keys', JWT_PRIVATE_KEY_FILE: './key.pem' });
    expect(error.variable).toBe('JWT_PRIVATE_KEY_FILE');
    expect(error.message).toContain('only one of');
  });

  it('needs no secret with a private key, even in production', () => {
    const config = loadConfig({ NODE_ENV: 'production', MAIL_DISABLED: 'true', JWT_ALGORITHM: 'ES256', JWT_KEYS_DIR: './keys' });
    expect(config.jwt).toMatchObject({ algorithm: 'ES256', secret: undefined, keySource: { variable: 'JWT_KEYS_DIR', dir: './keys' } });
  });

  it('keeps a secret set beside a private key (it verifies HS256 during a migration), but still checks its length', () => {
    expect(loadConfig({ JWT_ALGORITHM: 'RS256', JWT_PRIVATE_KEY: PEM, JWT_SECRET: SECRET }).jwt.secret).toBe(SECRET);
    expect(configError({ JWT_ALGORITHM: 'RS256', JWT_PRIVATE_KEY: PEM, JWT_SECRET: 'short' }).variable).toBe('JWT_SECRET');
  });

  it('reads the JWKS max-age, 5 minutes by default', () => {
    expect(loadConfig({ JWT_SECRET: SECRET }).jwt.jwksMaxAgeSeconds).toBe(300);
    expect(loadConfig({ JWT_SECRET: SECRET, JWT_JWKS_MAX_AGE: '1h' }).jwt.jwksMaxAgeSeconds).toBe(3600);
    expect(configError({ JWT_SECRET: SECRET, JWT_JWKS_MAX_AGE: 'often' }).variable).toBe('JWT_JWKS_MAX_AGE');
  });
});

describe('parseDuration', () => {
  it.each([
    ['900', 900],
    ['900s', 900],
    ['15m', 900],
    ['12h', 43200],
    ['30d', 2592000],
  ])('reads %s as %d seconds', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  it.each(['', '15 minutes', '1.5h', '-1', 'm', '10w'])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});
