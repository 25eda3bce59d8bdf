import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, loadConfig, parseDuration } from '../../src/config';

const SECRET = 'x'.repeat(32);

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig({ JWT_SECRET: SECRET });
    expect(config).toMatchObject({
      nodeEnv: 'development',
      port: 4000,
      dbPath: './data/app.db',
      bcryptCost: 12,
      logLevel: 'info',
      debugErrors: false,
      jwt: { algorithm: 'HS256', accessTtlSeconds: 900, clockToleranceSeconds: 0 },
    });
  });

  it('sizes the hash pool at one worker fewer than the cores, and at least one', () => {
    expect(loadConfig({ JWT_SECRET: SECRET }, 4)).toMatchObject({ hashWorkers: 3, hashQueueMax: 32, webConcurrency: 1, userCacheMax: 10_000 });
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
    ['USER_CACHE_MAX', 'lots'],
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
    ['NODE_ENV', 'staging'],
    ['LOG_LEVEL', 'loud'],
    ['DEBUG_ERRORS', 'maybe'],
  ])('refuses %s=%s, naming the variable', (variable, value) => {
    expect(configError({ JWT_SECRET: SECRET, [variable]: value }).variable).toBe(variable);
  });

  it('refuses debug errors in production', () => {
    expect(configError({ JWT_SECRET: SECRET, NODE_ENV: 'production', DEBUG_ERRORS: 'true' }).variable).toBe('DEBUG_ERRORS');
  });

  it('reads durations with units', () => {
    const config = loadConfig({ JWT_SECRET: SECRET, JWT_ACCESS_TTL: '2h', JWT_CLOCK_TOLERANCE: '30s' });
    expect(config.jwt.accessTtlSeconds).toBe(7200);
    expect(config.jwt.clockToleranceSeconds).toBe(30);
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

describe('.env.example', () => {
  const root = resolve(__dirname, '../..');
  const example = Object.fromEntries(
    readFileSync(resolve(root, '.env.example'), 'utf8')
      .split('\n')
      .filter((line) => /^[A-Z_]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );

  it('lists every setting the configuration reads', () => {
    const source = readFileSync(resolve(root, 'src/config.ts'), 'utf8');
    const read = new Set([...source.matchAll(/\b(?:env|read|integer|duration|oneOf|boolean)(?:<[^>]+>)?\(env, '([A-Z_]+)'|env\.([A-Z_]+)/g)].map((m) => m[1] ?? m[2]));
    expect(read.size).toBeGreaterThan(10);
    expect(Object.keys(example).sort()).toEqual([...read].sort());
  });

  it('gives the same configuration as the built-in defaults', () => {
    expect(loadConfig({ ...example, JWT_SECRET: SECRET })).toEqual(loadConfig({ JWT_SECRET: SECRET }));
  });
});
