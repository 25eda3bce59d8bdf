// CORS for the GraphQL endpoint: an allow-list of origins, with credentials (the refresh cookie).
// A listed origin gets its own origin echoed back, never "*"; CORS_ORIGINS=* (refused in cookie mode)
// lets any origin call with a bearer token but never with credentials.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Header } from '../shared/http-names';

const ALLOWED_METHODS = 'GET, POST, OPTIONS';
// Apollo Client may send the last two; allowing them costs nothing.
const ALLOWED_HEADERS = [Header.AUTHORIZATION, Header.CONTENT_TYPE, Header.ACCESS_TOKEN, Header.REQUEST_ID, 'apollo-require-preflight', 'x-apollo-operation-name'].join(', ');
const PREFLIGHT_MAX_AGE_SECONDS = 600;

/**
 * Add CORS headers for the request's origin. Answers a preflight (OPTIONS) itself and returns true;
 * returns false when the request should go on to GraphQL.
 */
export function handleCors(req: IncomingMessage, res: ServerResponse, origins: readonly string[]): boolean {
  const origin = req.headers.origin;
  const any = origins.includes('*');
  const allowed = origin !== undefined && (any || origins.includes(origin));
  res.setHeader('vary', 'Origin');
  if (allowed) {
    res.setHeader('access-control-allow-origin', any ? '*' : origin);
    if (!any) res.setHeader('access-control-allow-credentials', 'true');
    res.setHeader('access-control-expose-headers', `${Header.REQUEST_ID}, ${Header.RETRY_AFTER}`);
  }
  if (req.method !== 'OPTIONS') return false;
  if (allowed) {
    res.setHeader('access-control-allow-methods', ALLOWED_METHODS);
    res.setHeader('access-control-allow-headers', ALLOWED_HEADERS);
    res.setHeader('access-control-max-age', String(PREFLIGHT_MAX_AGE_SECONDS));
  }
  // Without the allow headers the browser refuses the real request; the status says why to a human.
  res.writeHead(allowed ? 204 : 403);
  res.end();
  return true;
}
