// The playground over HTTP: who gets the page, how it is compressed and cached, its content-security
// policy, and when it is off. test/browser/playground.test.ts drives the page itself in chromium.
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { getNamedType, isObjectType } from 'graphql';
import { chooseEncoding, SIGN_IN_MUTATIONS } from '../../src/http/playground';
import { buildAppSchema } from '../../src/graphql/schema';
import { startTestServer, type TestServer } from '../helpers/server';

/** What a browser sends when it navigates to a page. */
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';

interface Raw {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A request with node:http, which (unlike fetch) leaves the body as it was sent: compressed or not. */
function raw(url: string, headers: Record<string, string>, method = 'GET'): Promise<Raw> {
  return new Promise((resolvePromise, reject) => {
    const req = httpRequest(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

let server: TestServer;
let page: Raw;
beforeAll(async () => {
  server = await startTestServer();
  page = await raw(server.url, { accept: BROWSER_ACCEPT });
});
afterAll(() => server.close());

describe('the page', () => {
  it('is served to a browser on GET /graphql as HTML', () => {
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body.toString('utf8')).toMatch(/^<!doctype html>/);
    expect(page.body.toString('utf8')).toContain('YogaGraphiQL.renderYogaGraphiQL');
  });

  it('is sent with a content-security policy that names no origin and allows scripts only by hash', () => {
    const directives = Object.fromEntries(
      String(page.headers['content-security-policy'])
        .split('; ')
        .map((directive) => [directive.split(' ')[0], directive.split(' ').slice(1)]),
    );
    expect(directives['default-src']).toEqual(["'none'"]);
    expect(directives['script-src']).toEqual([expect.stringMatching(/^'sha256-[A-Za-z0-9+/]{43}='$/), expect.stringMatching(/^'sha256-/)]);
    expect(directives['connect-src']).toEqual(["'self'"]);
    expect(directives['worker-src']).toEqual(['blob:']);
    expect(directives['frame-ancestors']).toEqual(["'none'"]);
    expect(String(page.headers['content-security-policy'])).not.toMatch(/unsafe-eval|https?:|\*/);
  });

  it('is kept by the browser but checked on every visit: Cache-Control no-cache with an ETag', () => {
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.headers.etag).toMatch(/^"[\w-]+"$/);
    expect(page.headers.vary).toBe('Accept, Accept-Encoding');
  });

  it('answers 304 with no body when the ETag still matches', async () => {
    const again = await raw(server.url, { accept: BROWSER_ACCEPT, 'if-none-match': String(page.headers.etag) });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
  });

  it('answers HEAD with the headers and no body', async () => {
    const head = await raw(server.url, { accept: BROWSER_ACCEPT }, 'HEAD');
    expect(head.status).toBe(200);
    expect(Number(head.headers['content-length'])).toBe(page.body.length);
    expect(head.body.length).toBe(0);
  });
});

describe('compression', () => {
  it('is brotli when the browser accepts it, and decompresses to the same page', async () => {
    const br = await raw(server.url, { accept: BROWSER_ACCEPT, 'accept-encoding': 'gzip, deflate, br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.body.length).toBeLessThan(page.body.length / 3);
    expect(brotliDecompressSync(br.body).equals(page.body)).toBe(true);
  });

  it('is gzip when only gzip is accepted, with its own ETag', async () => {
    const gz = await raw(server.url, { accept: BROWSER_ACCEPT, 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.headers.etag).not.toBe(page.headers.etag);
    expect(gunzipSync(gz.body).equals(page.body)).toBe(true);
  });

  it('is none without Accept-Encoding', () => {
    expect(page.headers['content-encoding']).toBeUndefined();
  });

  it.each([
    ['br;q=0, gzip', 'gzip'],
    ['*', 'br'],
    ['*;q=0', 'identity'],
    ['deflate', 'identity'],
    ['GZIP;q=0.5', 'gzip'],
  ])('reads Accept-Encoding "%s" as %s', (header, expected) => {
    expect(chooseEncoding(header)).toBe(expected);
  });
});

describe('who gets it', () => {
  it('a GraphQL client asking for JSON on GET gets a GraphQL answer, not the page', async () => {
    const res = await fetch(`${server.url}?query=${encodeURIComponent('{ __typename }')}`, { headers: { accept: 'application/json' } });
    expect(await res.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('a POST from a browser still runs GraphQL', async () => {
    const res = await server.graphql('{ __typename }', {}, { headers: { accept: BROWSER_ACCEPT } });
    expect(res.body).toEqual({ data: { __typename: 'Query' } });
  });
});

describe('when it is off', () => {
  async function pageOf(env: Record<string, string>): Promise<Raw> {
    const other = await startTestServer(env);
    try {
      return await raw(other.url, { accept: BROWSER_ACCEPT });
    } finally {
      await other.close();
    }
  }

  it('is off in production: a browser gets a GraphQL error, not a page', async () => {
    const res = await pageOf({ NODE_ENV: 'production', MAIL_DISABLED: 'true' });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(res.body.toString()).errors[0].extensions.code).toBe('BAD_REQUEST');
  });

  it('is on in production with PLAYGROUND=true', async () => {
    const res = await pageOf({ NODE_ENV: 'production', MAIL_DISABLED: 'true', PLAYGROUND: 'true' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
  });

  it('is off in development with PLAYGROUND=false', async () => {
    const res = await pageOf({ NODE_ENV: 'development', PLAYGROUND: 'false' });
    expect(res.headers['content-type']).toMatch(/^application\/json/);
  });
});

it('signs in on every mutation that returns an AuthPayload', () => {
  const mutation = buildAppSchema().getMutationType();
  if (!mutation || !isObjectType(mutation)) throw new Error('no Mutation type');
  const authPayloadFields = Object.values(mutation.getFields())
    .filter((field) => getNamedType(field.type).name === 'AuthPayload')
    .map((field) => field.name);
  expect(authPayloadFields.length).toBeGreaterThan(0);
  expect(SIGN_IN_MUTATIONS).toEqual(expect.arrayContaining(authPayloadFields));
});
