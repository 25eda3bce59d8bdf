// The HTTP edge: one node:http server, its routes, request ids, and a graceful close.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config';
import { ErrorCode } from '../shared/errors';
import { Header, HttpErrorCode } from '../shared/http-names';
import type { Logger } from '../shared/logger';
import { handleCors } from './cors';
import { HttpError, sendHttpError, sendJson } from './graphql-handler';
import { createPlayground, wantsPlayground } from './playground';

export const GRAPHQL_PATH = '/graphql';
export const JWKS_PATH = '/.well-known/jwks.json';
export const HEALTH_PATH = '/health';
const SHUTDOWN_GRACE_MS = 10_000;
const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** What /health answers: its HTTP status and body. */
export interface HealthReport {
  status: number;
  body: Record<string, unknown>;
}

export interface Routes {
  graphql(req: IncomingMessage, res: ServerResponse, url: URL, requestId: string): Promise<void>;
  health(): Promise<HealthReport>;
  /** The public keys, as /.well-known/jwks.json serves them. */
  jwks: unknown;
}

export interface HttpEdge {
  readonly server: Server;
  /** Listen on `port` (0 = any free port); resolves with the URL of the GraphQL endpoint. */
  listen(port: number, host?: string): Promise<string>;
  /** Stop accepting; let in-flight requests finish (keep-alive connections close as they go idle), then resolve. */
  close(): Promise<void>;
}

export function createHttpEdge(config: Config, logger: Logger, routes: Routes): HttpEdge {
  const jwksCacheControl = `public, max-age=${config.jwt.jwksMaxAgeSeconds}`;
  const playground = config.playground ? createPlayground(GRAPHQL_PATH) : undefined;

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const incoming = req.headers[Header.REQUEST_ID];
    const requestId = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader(Header.REQUEST_ID, requestId);
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname === GRAPHQL_PATH) {
        if (playground && wantsPlayground(req)) return await playground.serve(req, res);
        if (handleCors(req, res, config.corsOrigins)) return;
        return await routes.graphql(req, res, url, requestId);
      }
      const read = req.method === 'GET' || req.method === 'HEAD';
      if (url.pathname === HEALTH_PATH && read) {
        const { status, body } = await routes.health();
        return sendJson(res, status, body);
      }
      if (url.pathname === JWKS_PATH && read) return sendJson(res, 200, routes.jwks, { [Header.CACHE_CONTROL]: jwksCacheControl });
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
      if (!server.listening) return;
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
    },
  };
}
