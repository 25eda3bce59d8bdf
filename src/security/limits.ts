// Brute-force limits, counted per GraphQL operation executed (so aliases do not multiply attempts):
// per client network on login, signup, refreshToken and changePassword (an IPv4 address, or an IPv6 prefix), and per account (normalised email) on login, where
// consecutive failures past LOGIN_MAX_FAILURES back off exponentially: 1 s, 2 s, 4 s … up to a cap.
// Counters live in memory, or in Redis when REDIS_URL is set so that every instance shares them.
import { createHash } from 'node:crypto';
import Redis from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Config } from '../config';
import { rateLimited } from '../errors';
import type { Logger } from '../logger';
import { clientNetwork } from './client-ip';

export type LimitedOperation = 'login' | 'signup' | 'refreshToken' | 'changePassword';

/** Failures are forgotten this long after the first one of a run (a success forgets them at once). */
const FAILURE_WINDOW_SECONDS = 24 * 60 * 60;

export interface AuthLimits {
  /** Count one attempt of `operation` from `ip`'s network; throws RATE_LIMITED when over the limit. */
  consumeIp(operation: LimitedOperation, ip: string): Promise<void>;
  /** Throws RATE_LIMITED while the account is backed off, before any password work. */
  checkAccount(email: string): Promise<void>;
  loginFailed(email: string): Promise<void>;
  loginSucceeded(email: string): Promise<void>;
  close(): Promise<void>;
}

/** Emails never reach the store in clear text. */
function accountKey(email: string): string {
  return createHash('sha256').update(email.trim().toLowerCase()).digest('base64url');
}

function rethrowLimited(error: unknown): never {
  if (error instanceof RateLimiterRes) throw rateLimited(error.msBeforeNext / 1000);
  throw error;
}

/** How long start-up waits for the first answer from Redis before serving on the in-memory fallback. */
const REDIS_CONNECT_WAIT_MS = 2000;

export async function createAuthLimits(limits: Config['limits'], logger: Logger): Promise<AuthLimits> {
  let redis: Redis | undefined;
  let closeRedis = () => {};
  if (limits.redisUrl) {
    redis = new Redis(limits.redisUrl, {
      // Fail fast while Redis is away: the in-memory insurance limiter takes over instead of queueing.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
      // After a refused connection ioredis keeps a 2 s timer on close; shutdown should not wait for it.
      disconnectTimeout: 200,
    });
    let available = true;
    let closing = false;
    const unavailable = (why: string) => {
      if (!available || closing) return;
      available = false;
      logger.warn({ reason: why }, 'redis unavailable: rate limits fall back to per-instance memory');
    };
    redis.on('error', (error: Error) => unavailable(error.message));
    redis.on('close', () => unavailable('connection closed'));
    redis.on('ready', () => {
      if (available) return;
      available = true;
      logger.info('redis available again: rate limits shared');
    });
    closeRedis = () => {
      closing = true;
      redis?.disconnect();
    };
    // Wait for the first connection attempt to succeed or fail, so that the first requests
    // already count in Redis rather than in this instance's memory.
    const client = redis;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        client.off('ready', done).off('error', done);
        resolve();
      };
      const timer = setTimeout(done, REDIS_CONNECT_WAIT_MS);
      client.once('ready', done).once('error', done);
    });
  }

  const limiter = (keyPrefix: string, points: number, duration: number): RateLimiterAbstract => {
    const memory = new RateLimiterMemory({ keyPrefix, points, duration });
    if (!redis) return memory;
    return new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `auth:${keyPrefix}`,
      points,
      duration,
      rejectIfRedisNotReady: true,
      insuranceLimiter: memory,
    });
  };

  const perIp: Record<LimitedOperation, RateLimiterAbstract> = {
    login: limiter('ip:login', limits.loginPerIp.points, limits.loginPerIp.seconds),
    signup: limiter('ip:signup', limits.signupPerIp.points, limits.signupPerIp.seconds),
    refreshToken: limiter('ip:refresh', limits.refreshPerIp.points, limits.refreshPerIp.seconds),
    changePassword: limiter('ip:change-password', limits.changePasswordPerIp.points, limits.changePasswordPerIp.seconds),
  };
  const failures = limiter('login:failures', Number.MAX_SAFE_INTEGER, FAILURE_WINDOW_SECONDS);
  const backoff = limiter('login:backoff', 1, 1);

  return {
    async consumeIp(operation, ip) {
      await perIp[operation].consume(clientNetwork(ip, limits.ipv6Prefix)).catch(rethrowLimited);
    },

    async checkAccount(email) {
      const state = await backoff.get(accountKey(email));
      if (state && state.consumedPoints > 1 && state.msBeforeNext > 0) throw rateLimited(state.msBeforeNext / 1000);
    },

    async loginFailed(email) {
      const key = accountKey(email);
      const { consumedPoints } = await failures.penalty(key, 1);
      if (consumedPoints >= limits.loginMaxFailures) {
        const seconds = Math.min(2 ** (consumedPoints - limits.loginMaxFailures), limits.loginBackoffMaxSeconds);
        await backoff.block(key, seconds);
      }
    },

    async loginSucceeded(email) {
      const key = accountKey(email);
      await Promise.all([failures.delete(key), backoff.delete(key)]);
    },

    async close() {
      closeRedis();
    },
  };
}
