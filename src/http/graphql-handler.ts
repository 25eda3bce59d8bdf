// Apollo Server on plain node:http: no framework between the socket and GraphQL.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type BaseContext, type ContextFunction } from '@apollo/server';
import type { HttpExchange } from '../graphql/http-exchange';
import { Header, HttpErrorCode } from '../shared/http-names';

/** Requests with a larger body are refused with 413 before they are parsed. */
export const MAX_BODY_BYTES = 1024 * 1024;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: HttpErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** GraphQL over HTTP is GET (queries) and POST; OPTIONS is the CORS preflight, answered before this. */
const METHODS = new Set(['GET', 'POST']);

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { [Header.CONTENT_TYPE]: 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendHttpError(res: ServerResponse, error: HttpError): void {
  sendJson(res, error.status, { errors: [{ message: error.message, extensions: { code: error.code } }] }, error.headers);
}

function readBody(req: IncomingMessage): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) return Promise.reject(new HttpError(413, HttpErrorCode.PAYLOAD_TOO_LARGE, 'Request body is larger than 1 MiB'));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.removeAllListeners('data');
        req.resume();
        reject(new HttpError(413, HttpErrorCode.PAYLOAD_TOO_LARGE, 'Request body is larger than 1 MiB'));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** The media type of a Content-Type header, without parameters, lower-cased: "application/json". */
export function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0].trim().toLowerCase();
}

/**
 * A POST must say it is JSON. This is the CSRF defence for POST: a browser sends a cross-site form or
 * a text/plain fetch without a preflight, and neither can carry this type (GET runs queries only).
 */
export const JSON_ONLY_MESSAGE = 'Send a GraphQL POST as JSON, with the header Content-Type: application/json';

async function parseBody(req: IncomingMessage): Promise<unknown> {
  if (req.method !== 'POST') return undefined;
  if (mediaType(req.headers[Header.CONTENT_TYPE]) !== 'application/json') {
    req.resume();
    throw new HttpError(415, HttpErrorCode.UNSUPPORTED_MEDIA_TYPE, JSON_ONLY_MESSAGE);
  }
  const text = await readBody(req);
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, HttpErrorCode.BAD_REQUEST, 'The request body is not valid JSON');
  }
}

export function createGraphQLHandler<TContext extends BaseContext>(
  apollo: ApolloServer<TContext>,
  context: (req: IncomingMessage, requestId: string, http: HttpExchange) => Promise<TContext>,
) {
  return async (req: IncomingMessage, res: ServerResponse, url: URL, requestId: string): Promise<void> => {
    // Answered here rather than by Apollo, whose refusal names the library.
    if (!METHODS.has(req.method ?? '')) {
      throw new HttpError(405, HttpErrorCode.METHOD_NOT_ALLOWED, 'Only GET and POST requests are accepted', { allow: 'GET, POST' });
    }
    const body = await parseBody(req);
    const headers = new HeaderMap();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    const cookies: string[] = [];
    const http: HttpExchange = {
      header: (name) => headers.get(name.toLowerCase()),
      setCookie: (cookie) => void cookies.push(cookie),
    };
    const contextFunction: ContextFunction<[], TContext> = () => context(req, requestId, http);
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body },
      context: contextFunction,
    });
    for (const [name, value] of response.headers) res.setHeader(name, value);
    res.setHeader(Header.CACHE_CONTROL, 'no-store');
    if (cookies.length > 0) res.setHeader(Header.SET_COOKIE, cookies);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === 'complete') {
      res.end(response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  };
}
