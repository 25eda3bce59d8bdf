// createApp(config): the wiring. It builds the stores, the services, the schema, Apollo and the HTTP edge,
// and never listens by itself: main.ts and the tests do. Layers, from the bottom: db/ (storage), the domain
// (tokens/, passwords/, limits/, users/, sessions/, auth/), graphql/ (the API's edge), http/ (the wire).
import type { Server } from 'node:http';
import { AuthService } from './auth/auth.service';
import { createDeviceTokens } from './auth/device-tokens';
import { ConfigError, type Config } from './config';
import { openDatabase, type Database } from './db/database';
import { startApollo } from './graphql/apollo';
import { buildContext } from './graphql/context';
import { DeviceCookie } from './graphql/device-cookie';
import { RefreshTransport } from './graphql/refresh-transport';
import { buildAppSchema } from './graphql/schema';
import { createClientIpResolver } from './http/client-ip';
import { createGraphQLHandler } from './http/graphql-handler';
import { createHttpEdge, GRAPHQL_PATH, type HealthReport } from './http/server';
import { tokenHeaders } from './http/token-headers';
import { createAuthLimits } from './limits/limits';
import { createPasswordHasher, type PasswordHasher } from './passwords/passwords';
import { idleMailSender, type MailSender } from './mail/mail-sender';
import { createOutboxSender } from './mail/outbox-sender';
import { MfaService, mfaRestriction } from './mfa/mfa.service';
import { emailVerificationRestriction, RecoveryService } from './recovery/recovery.service';
import { createRotationKey } from './sessions/refresh-tokens';
import { SessionService } from './sessions/session.service';
import { systemClock, type Clock } from './shared/clock';
import { createLogger, type Logger } from './shared/logger';
import { createTokenService } from './tokens/access-tokens';
import { loadKeySet, type KeySet } from './tokens/signing-keys';
import { createTokenChecker } from './tokens/token-check';
import { UserService } from './users/user.service';

export interface App {
  readonly server: Server;
  /** The stores and the SQL seam: for tests and tools, never for request handling outside the services. */
  readonly db: Database;
  /** The services, for tests and tools that must write the way the API does. */
  readonly users: UserService;
  readonly hasher: PasswordHasher;
  /** The outbox's sender: wake it after a transaction that queued mail commits. */
  readonly mail: MailSender;
  readonly logger: Logger;
  /** Listen on `port` (0 = any free port); resolves with the URL of the GraphQL endpoint. */
  listen(port: number, host?: string): Promise<string>;
  /** Stop accepting, finish in-flight requests, then close Apollo and the database. */
  close(): Promise<void>;
}

export interface AppOptions {
  clock?: Clock;
  logger?: Logger;
  /** The signing and verification keys; loaded from the configuration when not given. */
  keys?: KeySet;
  /** Apply migrations at start-up (default: config.migrateOnStart). A cluster worker does not: its primary did, once, before forking. */
  migrate?: boolean;
  /** SQLite: take the one-server-group lock (default). A cluster worker does not: its primary holds it. */
  lockDatabase?: boolean;
}

export async function createApp(config: Config, options: AppOptions = {}): Promise<App> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger(config.logLevel);

  // Keys first: a bad key stops start-up before anything is opened.
  const keys = options.keys ?? loadKeySet(config.jwt);
  const db = await openDatabase(config.database, logger, {
    migrate: options.migrate ?? config.migrateOnStart,
    lock: options.lockDatabase ?? true,
    cacheSessions: true,
    clock,
  });
  const mfa = new MfaService(config.mfa, clock, db.mfa);
  await refuseUnreadableSecrets(mfa).catch(async (error: unknown) => {
    await db.close();
    throw error;
  });

  // The domain.
  const hasher = await createPasswordHasher({ cost: config.bcryptCost, workers: config.hashWorkers, queueMax: config.hashQueueMax });
  const tokens = createTokenService(config.jwt, clock, keys);
  const checkToken = createTokenChecker(tokens, clock, config.jwt.clockToleranceSeconds);
  const users = new UserService(hasher, clock, db.users);
  const limits = await createAuthLimits(config.limits, logger.child({ component: 'limits' }), clock);
  // Server-side keys are derived from the HMAC secret, or with RS256/ES256 alone from the signing key.
  const keyMaterial = config.jwt.secret ?? keys.signing.key.export({ format: 'pem', type: 'pkcs8' }).toString();
  const rotation = createRotationKey(keyMaterial);
  const restrictionRules = [mfaRestriction, ...(config.recovery.requireEmailVerification ? [emailVerificationRestriction] : [])];
  const sessions = new SessionService(config.sessions, rotation, clock, db.sessions, users, restrictionRules);
  const devices = createDeviceTokens(keyMaterial, clock);
  // Mail leaves through the outbox (db/outbox.store.ts); the services wake its sender after they queue a message.
  const outboxSender = createOutboxSender(config.mail, db.outbox, clock, logger.child({ component: 'mail' }));
  const mail: MailSender = outboxSender ?? idleMailSender;
  const auth = new AuthService(users, hasher, tokens, limits, sessions, rotation, devices, mfa, logger.child({ component: 'auth' }));
  const recovery = new RecoveryService(
    { ...config.recovery, mailDisabled: config.mail.disabled },
    clock,
    db.recovery,
    users,
    auth,
    hasher,
    limits,
    mail,
    logger.child({ component: 'recovery' }),
  );
  auth.onSignup((user, meta) => recovery.welcome(user, meta));

  // The GraphQL edge.
  const refreshTransport = new RefreshTransport(config.cookie, config.corsOrigins, GRAPHQL_PATH);
  const deviceCookie = new DeviceCookie(config.cookie, GRAPHQL_PATH);
  const schema = buildAppSchema({ auth, users, sessions, recovery, refreshTransport, deviceCookie, guardPolicy: { requireMfaForAdmin: config.mfa.requireForAdmin } });
  const apollo = await startApollo(schema, config, logger);

  // The HTTP edge.
  const clientIp = createClientIpResolver(config.limits.trustedProxies);
  const graphql = createGraphQLHandler(apollo, (req, requestId, http) =>
    buildContext({ checkToken, sessions }, tokenHeaders(req), { requestId, clientIp: clientIp(req), http }),
  );

  /** 503 when the database does not answer; Redis away is 200 "degraded": the limits fall back to memory. */
  async function health(): Promise<HealthReport> {
    const database = await db.health();
    const redis = limits.redisStatus();
    if (!database.ok) logger.error({ dialect: database.dialect }, 'health check: the database does not answer');
    const status = !database.ok ? 'unavailable' : redis === 'down' ? 'degraded' : 'ok';
    return {
      status: database.ok ? 200 : 503,
      body: {
        status,
        database: { status: database.ok ? 'up' : 'down', dialect: database.dialect, ...(database.changeFeed ? { changeFeed: database.changeFeed } : {}) },
        ...(redis ? { redis } : {}),
      },
    };
  }

  const http = createHttpEdge(config, logger, { graphql, health, jwks: keys.jwks });
  // Last, once nothing below can fail: from here on it runs in the background until close().
  outboxSender?.start();

  return {
    server: http.server,
    db,
    users,
    hasher,
    mail,
    logger,
    listen: (port, host) => http.listen(port, host),
    async close() {
      await http.close();
      // Work scheduled after answering may still queue mail: finish it first.
      await recovery.drain();
      // After the last request (which may have queued mail), before the database closes under it.
      await outboxSender?.stop();
      await apollo.stop();
      await limits.close();
      await hasher.close();
      await db.close();
    },
  };
}

/** Without MFA_ENCRYPTION_KEY the TOTP secrets already stored cannot be read: a server that cannot check its users' second factor does not start. */
async function refuseUnreadableSecrets(mfa: MfaService): Promise<void> {
  if (mfa.configured) return;
  const enabled = await mfa.countEnabled();
  if (enabled > 0) {
    throw new ConfigError('MFA_ENCRYPTION_KEY', `is required: ${enabled} user(s) have TOTP on, and their secrets cannot be read without it (set the key they were stored with)`);
  }
}
