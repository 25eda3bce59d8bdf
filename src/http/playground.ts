// The playground: GraphiQL on GET /graphql for a browser, every byte of it from this server.
// @graphql-yoga/render-graphiql carries GraphiQL 5 with React, its styles, the editor and the editor's
// workers as strings (no CDN), so the page works offline and under a strict content-security policy;
// graphiql's own package has no browser build for version 5, and version 4's needs React's UMD files
// beside it. We assemble the page from those strings (its render function's types would bring in
// graphql-yoga's, which clash with Apollo's), so our login helper runs before GraphiQL takes `fetch`.
// The page is ~9 MB: built and compressed once, on the first request, then answered from memory.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { brotliCompress, constants as zlib, gzip } from 'node:zlib';
import type * as GraphiQLBundle from '@graphql-yoga/render-graphiql/graphiql';
import { playgroundSessionScript, scriptJson } from './playground-session';

/**
 * The mutations whose AuthPayload signs the playground in. resetPassword and verifyMfa are named ahead
 * of their arrival; a test checks that every mutation returning an AuthPayload is listed.
 */
export const SIGN_IN_MUTATIONS = ['signup', 'login', 'refreshToken', 'changePassword', 'resetPassword', 'verifyMfa'] as const;

const TITLE = 'graphql-jwt-auth playground';
const BROTLI_QUALITY = 6; // measured on this page: 9.1 MB to 1.9 MB in 0.2-1 s; quality 11 saves 10 % more and takes ~35 s

const DEFAULT_DOCUMENT = `# Served by the API itself: this page needs no network.
#
# 1. Run "Signup" with the ▶ button (or "Login", if
#    the account exists). The playground keeps the
#    access token it answers with and sends it with
#    every later request; the bar at the bottom right
#    shows who is signed in, with a sign-out button.
# 2. Run "Me": it answers with that account, and no
#    header was typed by hand.
#
# A header typed under "Headers" (Authorization or
# X-Access-Token) wins over the kept token. The
# example values are under "Variables".

mutation Signup($signup: SignupInput!) {
  signup(input: $signup) {
    accessToken
    expiresIn
    user { id name email role }
  }
}

mutation Login($login: LoginInput!) {
  login(input: $login) {
    accessToken
    expiresIn
    user { id name email role }
  }
}

query Me {
  me { id name email role createdAt }
}
`;

const DEFAULT_VARIABLES = JSON.stringify(
  {
    signup: { name: 'Ada Lovelace', email: 'ada@example.com', password: 'correct horse battery' },
    login: { email: 'ada@example.com', password: 'correct horse battery' },
  },
  null,
  2,
);

export interface PlaygroundPage {
  html: string;
  contentSecurityPolicy: string;
}

/** What GraphiQL's render function takes (graphql-yoga's GraphiQLOptions, the part we use). */
interface GraphiQLOptions {
  title: string;
  endpoint: string;
  credentials: 'same-origin';
  defaultTabs: { query: string; variables: string }[];
  defaultEditorToolsVisibility: 'variables';
  shouldPersistHeaders: boolean;
}

/** The page, with the login helper before GraphiQL's script, and the policy that lets exactly those scripts run. */
export function renderPlayground(endpoint: string, graphiql: typeof GraphiQLBundle): PlaygroundPage {
  const options: GraphiQLOptions = {
    title: TITLE,
    endpoint,
    credentials: 'same-origin',
    defaultTabs: [{ query: DEFAULT_DOCUMENT, variables: DEFAULT_VARIABLES }],
    defaultEditorToolsVisibility: 'variables',
    shouldPersistHeaders: false,
  };
  const helper = playgroundSessionScript({ endpoint, signInFields: SIGN_IN_MUTATIONS });
  // The editor asks MonacoEnvironment for its workers; they are in the page, started from blob: URLs.
  const app = `
const workerUrl = (source) => URL.createObjectURL(new Blob([source], { type: 'application/javascript' }));
const workers = {
  editorWorkerService: workerUrl(${scriptJson(graphiql.editorWorkerService)}),
  json: workerUrl(${scriptJson(graphiql.jsonWorker)}),
  graphql: workerUrl(${scriptJson(graphiql.graphqlWorker)}),
};
self.MonacoEnvironment = { globalAPI: false, getWorkerUrl: (moduleId, label) => workers[label] };
// GraphiQL 5 fills the editors from its query/variables storage, not from the active tab (the variables
// editor stays empty), and opens a new tab when they differ from it: keep them equal to the active tab.
try {
  const saved = JSON.parse(localStorage.getItem('graphiql:tabState') || 'null');
  const tab = saved && Array.isArray(saved.tabs) ? saved.tabs[saved.activeTabIndex] : undefined;
  const seed = tab ?? { query: ${scriptJson(DEFAULT_DOCUMENT)}, variables: ${scriptJson(DEFAULT_VARIABLES)} };
  for (const key of ['query', 'variables']) {
    if (typeof seed[key] === 'string') localStorage.setItem('graphiql:' + key, seed[key]);
    else localStorage.removeItem('graphiql:' + key);
  }
} catch {}
${graphiql.js};
YogaGraphiQL.renderYogaGraphiQL(document.querySelector('#root'), ${scriptJson(options)});
`;
  const html = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>${TITLE}</title>
    <link rel="icon" href="${graphiql.favicon}" />
    <style>${graphiql.css}</style>
  </head>
  <body class="no-focus-outline">
    <noscript>The playground needs JavaScript.</noscript>
    <div id="root"></div>
    <script>${helper}</script>
    <script>${app}</script>
  </body>
</html>
`;
  const hashes = [helper, app].map((script) => `'sha256-${createHash('sha256').update(script).digest('base64')}'`);
  return { html, contentSecurityPolicy: contentSecurityPolicy(hashes) };
}

function contentSecurityPolicy(scriptHashes: readonly string[]): string {
  return [
    "default-src 'none'",
    // Exactly the two inline scripts, by hash: the login helper and GraphiQL.
    `script-src ${scriptHashes.join(' ')}`,
    // The editor (Monaco) adds <style> elements at run time; a hash cannot name those.
    "style-src 'unsafe-inline'",
    // The editor's workers are inlined in the page and started from blob: URLs.
    'worker-src blob:',
    "connect-src 'self'",
    // The favicon and the editor's icon font are data: URLs.
    'img-src data:',
    'font-src data:',
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

type Encoding = 'br' | 'gzip' | 'identity';

interface Variant {
  body: Buffer;
  etag: string;
}

/** The encoding to send: brotli, else gzip, else none, as the Accept-Encoding header allows (q=0 refuses). */
export function chooseEncoding(header: string | undefined): Encoding {
  const accepted = new Map<string, number>();
  for (const part of (header ?? '').split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    const q = params.map((param) => /^\s*q=([\d.]+)\s*$/.exec(param)).find(Boolean);
    accepted.set(name, q ? Number(q[1]) : 1);
  }
  const weight = (name: string) => accepted.get(name) ?? accepted.get('*') ?? 0;
  if (weight('br') > 0) return 'br';
  if (weight('gzip') > 0) return 'gzip';
  return 'identity';
}

/** A browser asking for a page: GET or HEAD with text/html in Accept. GraphQL clients do not ask for HTML. */
export function wantsPlayground(req: IncomingMessage): boolean {
  return (req.method === 'GET' || req.method === 'HEAD') && /\btext\/html\b/i.test(req.headers.accept ?? '');
}

export interface Playground {
  serve(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

export function createPlayground(endpoint: string): Playground {
  let variants: Promise<{ csp: string; byEncoding: Record<Encoding, Variant> }> | undefined;

  async function prepare() {
    // Loaded on the first page asked for, not at start-up: the bundle costs ~64 MB of memory, which a server
    // that never serves the page (production) should not carry.
    const graphiql = await import('@graphql-yoga/render-graphiql/graphiql');
    const { html, contentSecurityPolicy: csp } = renderPlayground(endpoint, graphiql);
    const identity = Buffer.from(html, 'utf8');
    const tag = createHash('sha256').update(identity).digest('base64url').slice(0, 27);
    // In the thread pool, off the event loop.
    const [br, gz] = await Promise.all([
      promisify(brotliCompress)(identity, {
        params: { [zlib.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY, [zlib.BROTLI_PARAM_SIZE_HINT]: identity.length },
      }),
      promisify(gzip)(identity),
    ]);
    // One strong ETag per encoding: they are different bytes.
    return {
      csp,
      byEncoding: {
        br: { body: br, etag: `"${tag}-br"` },
        gzip: { body: gz, etag: `"${tag}-gz"` },
        identity: { body: identity, etag: `"${tag}"` },
      },
    };
  }

  return {
    async serve(req, res) {
      variants ??= prepare();
      const { csp, byEncoding } = await variants;
      const encoding = chooseEncoding(req.headers['accept-encoding']);
      const { body, etag } = byEncoding[encoding];
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.setHeader('content-security-policy', csp);
      // The URL is not versioned: keep the page, but ask every time whether it is still this one.
      res.setHeader('cache-control', 'no-cache');
      res.setHeader('etag', etag);
      res.setHeader('vary', 'Accept, Accept-Encoding');
      res.setHeader('x-content-type-options', 'nosniff');
      res.setHeader('referrer-policy', 'no-referrer');
      if (encoding !== 'identity') res.setHeader('content-encoding', encoding);
      const ifNoneMatch = req.headers['if-none-match'];
      if (ifNoneMatch && ifNoneMatch.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === etag)) {
        res.statusCode = 304;
        res.end();
        return;
      }
      res.setHeader('content-length', body.length);
      res.statusCode = 200;
      res.end(req.method === 'HEAD' ? undefined : body);
    },
  };
}
