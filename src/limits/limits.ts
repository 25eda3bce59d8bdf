// Brute-force limits, counted per GraphQL operation executed (so aliases do not multiply attempts):
// - per client network on login, signup, refreshToken and changePassword (an IPv4 address, or an IPv6 prefix);
// - per password attempt on an account (login and changePassword), keyed on the account together with the
//   client: its network, or the device token it presents (OWASP's "device cookie"). Consecutive failures past
//   LOGIN_MAX_FAILURES back off exponentially, 1 s, 2 s, 4 s … up to a cap, for that client only, so failures
//   from an attacker's network never refuse the owner on theirs;
// - per account across every client: LOGIN_ACCOUNT_MAX_FAILURES failures per window refuse every client
//   without a device token until the window ends, so a guess spread over many networks is still slowed;
// - per account on second-factor codes (verifyMfa, confirmTotpEnrollment): past MFA_MAX_FAILURES consecutive
//   wrong codes the account's second factor backs off the same way, for every client (whoever is guessing
//   already has the password), and per client network on those two operations together.
// - per client network on the recovery operations together (RATE_LIMIT_RECOVERY_IP), and per address on the
//   emails they send, each kind on its own (RATE_LIMIT_EMAIL_PER_ADDRESS; the address is hashed like an account);
// An attempt is counted before the password is checked (atomic increments, in memory or in Redis) and given
// back when it succeeds, so a backoff window admits exactly one attempt however many arrive at once.
// Counters live in memory, or in Redis when REDIS_URL is set so that every instance shares them.
import { createHash } from 'node:crypto';
import Redis from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { systemClock, type Clock } from '../shared/clock';
import type { Config } from '../config';
import { rateLimited } from '../shared/errors';
import type { Logger } from '../shared/logger';
import { clientNetwork } from '../shared/ip';

export type LimitedOperation = 'login' | 'signup' | 'refreshToken' | 'changePassword' | 'mfa' | 'recovery';

/** The kinds of email counted per address (RATE_LIMIT_EMAIL_PER_ADDRESS), each on its own. */
export type EmailKind = 'password_reset' | 'email_verification' | 'email_change';

/** Failures are forgotten this long after the first one of a run (a success forgets them at once). */
const FAILURE_WINDOW_SECONDS = 24 * 60 * 60;
/** How long an admitted attempt holds its backoff window's one slot: longer than any password check waits. */
const IN_FLIGHT_HOLD_SECONDS = 60;
/** What a client refused because another attempt of the same window is being checked is told to wait. */
const IN_FLIGHT_RETRY_SECONDS = 1;

/** Who makes a password attempt. */
export interface AttemptClient {
  /** The client's address (canonical); its network is what the backoff counts in, unless a device is given. */
  ip: string;
  /** The id of a valid device token for this account, presented with the attempt: the backoff counts per device. */
  device?: string;
}

/** One counted password attempt: report how it went, exactly once. */
export interface PasswordAttempt {
  /** Wrong password: it stays counted, and past LOGIN_MAX_FAILURES this client backs off. */
  failed(): Promise<void>;
  /** Right password: this client's failures are forgotten, and the attempt is given back to the account. */
  succeeded(): Promise<void>;
  /** The password was never checked (the hash pool was busy, an error): everything is given back. */
  abandoned(): Promise<void>;
}

export interface AuthLimits {
  /** Count one attempt of `operation` from `ip`'s network; throws RATE_LIMITED when over the limit. */
  consumeIp(operation: LimitedOperation, ip: string): Promise<void>;
  /**
   * Count one password attempt on the account of `email` by `client`, before the password is checked.
   * Throws RATE_LIMITED (counting nothing) while the client is backed off, while another attempt of its
   * backoff window is being checked, or, for a client without a device token, while the account is over its ceiling.
   */
  beginPasswordAttempt(email: string, client: AttemptClient): Promise<PasswordAttempt>;
  /**
   * Count one second-factor code on the account of `userId` (its public id), before the code is checked;
   * throws RATE_LIMITED (counting nothing) while the account's second factor is backed off. Report the
   * outcome like a password attempt: a success forgets the failures.
   */
  beginSecondFactorAttempt(userId: string): Promise<PasswordAttempt>;
  /**
   * Count one email of `kind` to `email`: false (counting nothing more) when the address has had its
   * RATE_LIMIT_EMAIL_PER_ADDRESS of that kind, and the email must not be sent.
   */
  consumeEmail(kind: EmailKind, email: string): Promise<boolean>;
  /** undefined without REDIS_URL; 'down' while the counters fall back to this instance's memory. */
  redisStatus(): 'up' | 'down' | undefined;
  close(): Promise<void>;
}

/** Emails never reach the store in clear text. */
export function accountKey(email: string): string {
  return createHash('sha256').update(email.trim().toLowerCase()).digest('base64url');
}

function rethrowLimited(error: unknown): never {
  if (error instanceof RateLimiterRes) throw rateLimited(error.msBeforeNext / 1000);
  throw error;
}

/** How long start-up waits for the first answer from Redis before serving on the in-memory fallback. */
const REDIS_CONNECT_WAIT_MS = 2000;

export async function createAuthLimits(limits: Config['limits'], logger: Logger, clock: Clock = systemClock): Promise<AuthLimits> {
  let redis: Redis | undefined;
  let redisUp = false;
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
      redisUp = false;
      if (!available || closing) return;
      available = false;
      logger.warn({ reason: why }, 'redis unavailable: rate limits fall back to per-instance memory');
    };
    redis.on('error', (error: Error) => unavailable(error.message));
    redis.on('close', () => unavailable('connection closed'));
    redis.on('ready', () => {
      redisUp = true;
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
    mfa: limiter('ip:mfa', limits.mfaPerIp.points, limits.mfaPerIp.seconds),
    recovery: limiter('ip:recovery', limits.recoveryPerIp.points, limits.recoveryPerIp.seconds),
  };
  const emailsPerAddress = limiter('email:address', limits.emailPerAddress.points, limits.emailPerAddress.seconds);

  /**
   * Consecutive failures in a scope, with exponential backoff past `maxFailures`. Per scope: attempts counted
   * (a success deletes them), and until when the scope is backed off (a time of the app's clock, stored as
   * the "points" of its key; the store's own expiry only cleans up), and one slot per backoff window: the
   * first attempt after a window ends takes it, the rest are refused.
   */
  const backoff = (prefix: string, maxFailures: number) => {
    const failures = limiter(`${prefix}-failures`, Number.MAX_SAFE_INTEGER, FAILURE_WINDOW_SECONDS);
    const backedOffUntil = limiter(`${prefix}-backoff`, Number.MAX_SAFE_INTEGER, FAILURE_WINDOW_SECONDS);
    const windowSlots = limiter(`${prefix}-slot`, 1, IN_FLIGHT_HOLD_SECONDS);
    const backoffSeconds = (failureCount: number) => Math.min(2 ** (failureCount - maxFailures), limits.loginBackoffMaxSeconds);
    return {
      /** Count one attempt before it is checked: throws RATE_LIMITED (counting nothing) while the scope is backed off. */
      async begin(scope: string, now: number) {
        const until = (await backedOffUntil.get(scope))?.consumedPoints ?? 0;
        if (until > now) throw rateLimited((until - now) / 1000);
        const undo: Array<() => Promise<unknown>> = [];
        const giveBack = () => Promise.all(undo.map((step) => step()));
        // Counted as a failure now, and given back on success: parallel attempts each get their own number.
        const count = (await failures.penalty(scope, 1)).consumedPoints;
        undo.push(() => failures.reward(scope, 1));
        if (count > maxFailures) {
          const slot = `${scope}:${until}`;
          const admitted = await windowSlots.consume(slot).then(
            () => true,
            (error: unknown) => {
              if (error instanceof RateLimiterRes) return false;
              throw error;
            },
          );
          if (!admitted) {
            await giveBack();
            throw rateLimited(IN_FLIGHT_RETRY_SECONDS);
          }
          undo.push(() => windowSlots.delete(slot));
        }
        return {
          undo,
          giveBack,
          async failed() {
            if (count < maxFailures) return;
            await backedOffUntil.set(scope, clock.now() + backoffSeconds(count) * 1000, FAILURE_WINDOW_SECONDS);
          },
          forget: () => Promise.all([failures.delete(scope), backedOffUntil.delete(scope)]),
        };
      },
    };
  };

  // Per (account, client).
  const loginBackoff = backoff('login:client', limits.loginMaxFailures);
  // Per account: second-factor codes.
  const secondFactorBackoff = backoff('mfa:account', limits.mfaMaxFailures);
  // Per account, per fixed window of the app's clock.
  const ceilingMs = limits.loginAccountFailures.seconds * 1000;
  const ceiling = limiter('login:account-failures', Number.MAX_SAFE_INTEGER, 2 * limits.loginAccountFailures.seconds);

  return {
    async consumeIp(operation, ip) {
      await perIp[operation].consume(clientNetwork(ip, limits.ipv6Prefix)).catch(rethrowLimited);
    },

    async consumeEmail(kind, email) {
      return emailsPerAddress.consume(`${kind}:${accountKey(email)}`).then(
        () => true,
        (error: unknown) => {
          if (error instanceof RateLimiterRes) return false;
          throw error;
        },
      );
    },

    async beginSecondFactorAttempt(userId) {
      const attempt = await secondFactorBackoff.begin(userId, clock.now());
      return {
        failed: () => attempt.failed(),
        async succeeded() {
          await attempt.forget();
        },
        async abandoned() {
          await attempt.giveBack();
        },
      };
    },

    async beginPasswordAttempt(email, client) {
      const account = accountKey(email);
      const scope = client.device ? `${account}:device:${client.device}` : `${account}:net:${clientNetwork(client.ip, limits.ipv6Prefix)}`;
      const now = clock.now();
      const attempt = await loginBackoff.begin(scope, now);
      const { undo, giveBack } = attempt;
      const refuse = async (seconds: number): Promise<never> => {
        await giveBack();
        throw rateLimited(seconds);
      };

      const windowStart = Math.floor(now / ceilingMs) * ceilingMs;
      const ceilingKey = `${account}:${windowStart}`;
      const accountCount = (await ceiling.penalty(ceilingKey, 1)).consumedPoints;
      undo.push(() => ceiling.reward(ceilingKey, 1));
      // A device that has logged in to this account before is not refused by failures from elsewhere (see README).
      if (accountCount > limits.loginAccountFailures.points && !client.device) {
        return refuse((windowStart + ceilingMs - now) / 1000);
      }

      return {
        failed: () => attempt.failed(),
        async succeeded() {
          await Promise.all([attempt.forget(), ceiling.reward(ceilingKey, 1)]);
        },
        async abandoned() {
          await giveBack();
        },
      };
    },

    redisStatus() {
      if (!redis) return undefined;
      return redisUp ? 'up' : 'down';
    },

    async close() {
      closeRedis();
    },
  };
}
