// createApp(config): database + services + schema + Apollo + HTTP routes. It never listens by itself: main.ts and the tests do.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { AuthService } from './auth/auth.service';
import { DeviceCookie } from './graphql/device-cookie';
import { createDeviceTokens } from './auth/device-tokens';
import { createPasswordHasher, type PasswordHasher } from './passwords/passwords';
import { RefreshTransport } from './graphql/refresh-transport';
import { loadKeySet, type KeySet } from './tokens/signing-keys';
import { createTokenService } from './tokens/access-tokens';
import { createTokenChecker } from './tokens/token-check';
import { systemClock, type Clock } from './shared/clock';
import type { Config } from './config';
import { buildContext, type Context } from './graphql/context';
import { openDatabase, type Database } from './db/database';
import { databaseCauseOf, forProduction, maskError, withoutLibraryDetail } from './graphql/errors';
import { ErrorCode } from './shared/errors';
import { handleCors } from './http/cors';
import { createGraphQLHandler, HttpError, sendHttpError, sendJson } from './http/graphql-handler';
import { createPlayground, wantsPlayground } from './http/playground';
import { createLogger, type Logger } from './shared/logger';
import { buildAppSchema } from './graphql/schema';
import { createClientIpResolver } from './http/client-ip';
import { createAuthLimits } from './limits/limits';
import { parseOptions, validationRules } from './graphql/query-limits';
import { createRotationKey } from './sessions/refresh-tokens';
import { SessionService } from './sessions/session.service';
import { UserService } from './users/user.service';
import { Header, HttpErrorCode } from './shared/http-names';

export const GRAPHQL_PATH = '/graphql';
export const JWKS_PATH = '/.well-known/jwks.json';
const SHUTDOWN_GRACE_MS = 10_000;
const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

export interface App {
  readonly server: Server;
  /** The stores and the SQL seam: for tests and tools, never for request handling outside the services. */
  readonly db: Database;
  /** The services, for tests and tools that must write the way the API does. */
  readonly users: UserService;
  readonly hasher: PasswordHasher;
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

/** Adds the request id to masked errors, and logs every error that was masked, with its stack. */
function errorReporting(logger: Logger): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue }) {
          for (const error of errors) {
            const code = error.extensions?.code;
            if (code === undefined || code === ErrorCode.INTERNAL_SERVER_ERROR) {
              logger.error({ requestId: contextValue?.requestId, err: error.originalError ?? error }, 'internal error');
            }
            const cause = databaseCauseOf(error);
            if (cause) {
              logger.warn({ requestId: contextValue?.requestId, dbCode: cause.code }, 'database unavailable: answered 503');
            }
          }
        },
        async willSendResponse({ response, contextValue }) {
          if (response.body.kind !== 'single') return;
          for (const error of response.body.singleResult.errors ?? []) {
            if (error.extensions?.code === ErrorCode.INTERNAL_SERVER_ERROR && contextValue?.requestId) {
              (error.extensions as Record<string, unknown>).requestId = contextValue.requestId;
            }
          }
        },
      };
    },
  };
}

export async function createApp(config: Config, options: AppOptions = {}): Promise<App> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger(config.logLevel);
  const production = config.nodeEnv === 'production';

  // Keys first: a bad key stops start-up before anything is opened.
  const keys = options.keys ?? loadKeySet(config.jwt);
  const db = await openDatabase(config.database, logger, {
    migrate: options.migrate ?? config.migrateOnStart,
    lock: options.lockDatabase ?? true,
    cacheSessions: true,
  });
  const hasher = await createPasswordHasher({ cost: config.bcryptCost, workers: config.hashWorkers, queueMax: config.hashQueueMax });
  const tokens = createTokenService(config.jwt, clock, keys);
  const checkToken = createTokenChecker(tokens, clock, config.jwt.clockToleranceSeconds);
  const jwksCacheControl = `public, max-age=${config.jwt.jwksMaxAgeSeconds}`;
  const users = new UserService(hasher, clock, db.users);
  const limits = await createAuthLimits(config.limits, logger.child({ component: 'limits' }), clock);
  // Server-side keys are derived from the HMAC secret, or with RS256/ES256 alone from the signing key.
  const keyMaterial = config.jwt.secret ?? keys.signing.key.export({ format: 'pem', type: 'pkcs8' }).toString();
  const rotation = createRotationKey(keyMaterial);
  const sessions = new SessionService(config.sessions, rotation, clock, db.sessions, users);
  const devices = createDeviceTokens(keyMaterial, clock);
  const auth = new AuthService(users, hasher, tokens, limits, sessions, rotation, devices, logger.child({ component: 'auth' }));
  const refreshTransport = new RefreshTransport(config.cookie, config.corsOrigins, GRAPHQL_PATH);
  const deviceCookie = new DeviceCookie(config.cookie, GRAPHQL_PATH);
  const schema = buildAppSchema({ auth, users, sessions, refreshTransport, deviceCookie });
  const clientIp = createClientIpResolver(config.limits.trustedProxies);

  const apollo = new ApolloServer<Context>({
    schema,
    logger: logger.child({ component: 'apollo' }),
    introspection: config.introspection,
    validationRules,
    parseOptions,
    allowBatchedHttpRequests: false,
    // GET runs queries only (Apollo refuses a mutation over GET), and no query is authorized by a cookie;
    // a POST must be JSON (http/graphql-handler.ts). See docs/clients.md.
    csrfPrevention: false,
    includeStacktraceInErrorResponses: config.debugErrors,
    // Nothing uses automatic persisted queries; off, a request for one gets a plain refusal (see errors.ts).
    persistedQueries: false,
    formatError: (formatted, error) => {
      const masked = maskError(withoutLibraryDetail(formatted, error), { debug: config.debugErrors });
      return production ? forProduction(masked) : masked;
    },
    // main.ts owns SIGTERM/SIGINT and drains the HTTP server first; Apollo's own handler
    // would race it (and, as measured, leave our apollo.stop() waiting forever).
    stopOnTerminationSignals: false,
    plugins: [
      errorReporting(logger),
      // No response here may be cached (they carry tokens and per-user data): the handler sends
      // Cache-Control: no-store on every one. Apollo's cache-control plugin would reach the same header by
      // inspecting every resolved field of every request.
      ApolloServerPluginCacheControlDisabled(),
      // Apollo's landing pages load from Apollo's CDN; the playground is ours (http/playground.ts).
      ApolloServerPluginLandingPageDisabled(),
    ],
  });
  await apollo.start();

  const handleGraphQL = createGraphQLHandler(apollo, (req, requestId, http) =>
    // headersDistinct: req.headers keeps only the first of two Authorization headers.
    buildContext({ checkToken, sessions }, req.headersDistinct, { requestId, clientIp: clientIp(req), http }),
  );

  const playground = config.playground ? createPlayground(GRAPHQL_PATH) : undefined;

  /** 503 when the database does not answer; Redis away is 200 "degraded": the limits fall back to memory. */
  async function health(res: ServerResponse): Promise<void> {
    const database = await db.health();
    const redis = limits.redisStatus();
    if (!database.ok) logger.error({ dialect: database.dialect }, 'health check: the database does not answer');
    const status = !database.ok ? 'unavailable' : redis === 'down' ? 'degraded' : 'ok';
    sendJson(res, database.ok ? 200 : 503, {
      status,
      database: { status: database.ok ? 'up' : 'down', dialect: database.dialect, ...(database.changeFeed ? { changeFeed: database.changeFeed } : {}) },
      ...(redis ? { redis } : {}),
    });
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const incoming = req.headers[Header.REQUEST_ID];
    const requestId = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader(Header.REQUEST_ID, requestId);
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname === GRAPHQL_PATH) {
        if (playground && wantsPlayground(req)) return await playground.serve(req, res);
        if (handleCors(req, res, config.corsOrigins)) return;
        return await handleGraphQL(req, res, url, requestId);
      }
      const read = req.method === 'GET' || req.method === 'HEAD';
      if (url.pathname === '/health' && read) return await health(res);
      if (url.pathname === JWKS_PATH && read) return sendJson(res, 200, keys.jwks, { [Header.CACHE_CONTROL]: jwksCacheControl });
      sendJson(res, 404, { errors: [{ message: 'Not found', extensions: { code: HttpErrorCode.NOT_FOUND } }] });
    } catch (error) {
      if (res.headersSent) {
        res.destroy();
      } else if (error instanceof HttpError) {
        sendHttpError(res, error);
      } else {
        logger.error({ requestId, err: error }, 'unhandled request error');
        sendJson(res, 500, { errors: [{ message: 'Internal server error', extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR, requestId } }] });
      }
    }
  }

  const server = createServer((req, res) => void route(req, res));

  return {
    server,
    db,
    users,
    hasher,
    logger,
    listen(port, host) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const address = server.address() as AddressInfo;
          const shownHost = host && host !== '0.0.0.0' && host !== '::' ? host : 'localhost';
          resolve(`http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${address.port}${GRAPHQL_PATH}`);
        });
      });
    },
    async close() {
      if (server.listening) {
        await new Promise<void>((resolve) => {
          // Keep-alive connections go idle as their last response ends: close them as they do;
          // after the grace period, close whatever is left.
          const idle = setInterval(() => server.closeIdleConnections(), 50);
          const force = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
          server.close(() => {
            clearInterval(idle);
            clearTimeout(force);
            resolve();
          });
          server.closeIdleConnections();
        });
      }
      await apollo.stop();
      await limits.close();
      await hasher.close();
      await db.close();
    },
  };
}
