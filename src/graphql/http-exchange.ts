// The request as the GraphQL layer sees it: the HTTP edge (http/graphql-handler.ts) makes one per request.

/** What a resolver may see of and do to the HTTP exchange: read a request header, add a Set-Cookie. */
export interface HttpExchange {
  header(name: string): string | undefined;
  setCookie(cookie: string): void;
}
