// The only file with side effects: load config, start, handle signals.
import 'reflect-metadata';
import { createApp } from './app';
import { DEV_SECRET_PATH, loadOrCreateDevSecret } from './auth/dev-secret';
import { loadKeySet, type KeySet } from './auth/signing-keys';
import { ConfigError, loadConfig, type Config } from './config';
import { createLogger } from './logger';

async function main(): Promise<void> {
  const env = { ...process.env };
  let devSecret: 'none' | 'generated' | 'reused' = 'none';
  // Only HS256 signs with the secret; with a private key, a secret would only widen what verifies.
  const hs256 = (env.JWT_ALGORITHM?.trim() || 'HS256') === 'HS256';
  if (!env.JWT_SECRET && hs256 && (env.NODE_ENV ?? 'development') !== 'production') {
    const { secret, generated } = loadOrCreateDevSecret();
    env.JWT_SECRET = secret;
    devSecret = generated ? 'generated' : 'reused';
  }

  let config: Config;
  let keys: KeySet;
  try {
    config = loadConfig(env);
    keys = loadKeySet(config.jwt);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`Configuration error: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }

  const logger = createLogger(config.logLevel);
  const started = performance.now();
  const app = await createApp(config, { logger, keys });
  const url = await app.listen(config.port, config.host);
  logger.info(
    {
      url,
      db: config.dbPath,
      algorithm: config.jwt.algorithm,
      kid: keys.signing.kid,
      verifyOnlyKids: keys.byKid.size > 1 ? [...keys.byKid.keys()].filter((kid) => kid !== keys.signing.kid) : undefined,
      nodeEnv: config.nodeEnv,
      devSecret: devSecret === 'none' ? undefined : `${devSecret} at ${DEV_SECRET_PATH}`,
      readyMs: Math.round(performance.now() - started),
    },
    'ready',
  );
  if (config.jwt.algorithm !== 'HS256' && keys.withoutKid) {
    logger.warn(
      { kid: keys.withoutKid.kid },
      'JWT_SECRET is set: HS256 tokens still verify (migration grace window); unset it once JWT_ACCESS_TTL has passed since the switch',
    );
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    app.close().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`Failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
