// The HTTP edge: one node:http server, its routes, request ids, and a graceful close.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Server as NetServer, type AddressInfo, type Socket } from 'node:net';
import type { Config } from '../config';
import { ErrorCode } from '../shared/errors';
import { Header, HttpErrorCode } from '../shared/http-names';
import type { Logger } from '../shared/logger';
import { handleCors } from './cors';
import { HttpError, sendHttpError, sendJson } from './graphql-handler';
import { createPlayground, wantsPlayground } from './playground';
import { createRecoveryPages } from './recovery-pages';

export const GRAPHQL_PATH = '/graphql';
export const JWKS_PATH = '/.well-known/jwks.json';
export const HEALTH_PATH = '/health';
/**
 * While draining, a keep-alive connection with no request in hand is closed once it has been idle this long. Not
 * at once: a client that has just had an answer may already have sent its next request on that connection, still
 * unread in the socket, and closing then would lose it (the request is answered instead, with Connection: close).
 */
export const DRAIN_IDLE_GRACE_MS = 1000;
const DRAIN_SWEEP_MS = 50;
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

/** What the server has in hand: requests not yet answered, and open connections. */
export interface InHand {
  requests: number;
  connections: number;
}

/** How a close went: how many requests were still in hand at SHUTDOWN_TIMEOUT, their connections closed under them. */
export interface DrainReport {
  cutOff: number;
}

export interface HttpEdge {
  readonly server: Server;
  /** Listen on `port` (0 = any free port); resolves with the URL of the GraphQL endpoint. */
  listen(port: number, host?: string): Promise<string>;
  inHand(): InHand;
  /**
   * Drain: stop accepting connections; answer every request in hand, and any that arrives on an open connection,
   * with Connection: close; close keep-alive connections once idle (DRAIN_IDLE_GRACE_MS); resolve when none is
   * left. At SHUTDOWN_TIMEOUT whatever is left is closed, and the report counts the requests cut off.
   */
  close(): Promise<DrainReport>;
}

/** A connection of the server's: how many of its requests are unanswered, and since when it has had none. */
interface ConnectionState {
  requests: number;
  idleSince: number;
}

export function createHttpEdge(config: Config, logger: Logger, routes: Routes): HttpEdge {
  const jwksCacheControl = `public, max-age=${config.jwt.jwksMaxAgeSeconds}`;
  const playground = config.playground ? createPlayground(GRAPHQL_PATH) : undefined;
  // The pages the emailed links open at their default address (APP_URL): served always, they are harmless.
  const recoveryPages = createRecoveryPages(GRAPHQL_PATH);

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
      if (recoveryPages.serve(req, res, url.pathname)) return;
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

  const connections = new Map<Socket, ConnectionState>();
  const unanswered = new Set<ServerResponse>();
  let draining = false;

  /** Counts the request in hand until its response ends (or its connection does); while draining, it is the connection's last. */
  function track(req: IncomingMessage, res: ServerResponse): void {
    const connection = connections.get(req.socket);
    if (connection) connection.requests += 1;
    unanswered.add(res);
    if (draining) res.setHeader(Header.CONNECTION, 'close');
    res.once('close', () => {
      unanswered.delete(res);
      if (!connection) return;
      connection.requests -= 1;
      connection.idleSince = performance.now();
    });
  }

  const server = createServer((req, res) => {
    track(req, res);
    void route(req, res);
  });
  server.on('connection', (socket: Socket) => {
    connections.set(socket, { requests: 0, idleSince: performance.now() });
    socket.once('close', () => connections.delete(socket));
  });

  function closeIdleConnections(): void {
    const now = performance.now();
    for (const [socket, connection] of connections) {
      if (connection.requests === 0 && now - connection.idleSince >= DRAIN_IDLE_GRACE_MS) socket.destroy();
    }
  }

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
    inHand: () => ({ requests: unanswered.size, connections: connections.size }),
    async close() {
      if (!server.listening) return { cutOff: 0 };
      draining = true;
      // Answers not yet begun say Connection: close, so their clients send nothing more on those connections.
      for (const res of unanswered) if (!res.headersSent) res.setHeader(Header.CONNECTION, 'close');
      return new Promise<DrainReport>((resolve) => {
        let cutOff = 0;
        const sweep = setInterval(closeIdleConnections, DRAIN_SWEEP_MS);
        const force = setTimeout(() => {
          cutOff = unanswered.size;
          for (const socket of connections.keys()) socket.destroy();
        }, config.shutdownTimeoutSeconds * 1000);
        // net.Server's close, not http.Server's: that one also closes every idle connection at once, the ones
        // whose next request is still unread in the socket included.
        NetServer.prototype.close.call(server, () => {
          clearInterval(sweep);
          clearTimeout(force);
          resolve({ cutOff });
        });
      });
    },
  };
}
