// The playground's login helper, browser side: plain JavaScript that the page runs before GraphiQL.
// GraphiQL takes `fetch` when its bundle loads and its options are JSON (no fetcher function can be
// passed in), so the helper wraps window.fetch first: requests to the endpoint get the kept access
// token unless the person typed an Authorization or X-Access-Token header, and responses of the
// sign-in mutations hand it a new one. The token lives in this page's memory only: a reload forgets
// it (in cookie mode, running refreshToken signs the page back in).

/** What the server tells the helper; it is embedded in the page as JSON. */
export interface PlaygroundSessionConfig {
  /** The GraphQL endpoint's path on this origin. */
  endpoint: string;
  /** Root fields whose AuthPayload signs the page in. */
  signInFields: readonly string[];
}

/** The helper's source; `config` is bound by the wrapper the page builds around it. */
export const PLAYGROUND_SESSION_SOURCE = String.raw`
'use strict';
const nativeFetch = window.fetch.bind(window);
const signInFields = new Set(config.signInFields);
let session = null; // { token } while signed in

const bar = document.createElement('div');
bar.id = 'playground-session';
bar.setAttribute('role', 'status');
// CSSOM, not a style attribute: the page's content-security policy allows no inline style attributes.
Object.assign(bar.style, {
  position: 'fixed', bottom: '10px', right: '16px', zIndex: '1000', display: 'flex', gap: '8px', alignItems: 'center',
  padding: '4px 10px', borderRadius: '6px', font: '13px system-ui, sans-serif',
  background: 'rgba(59, 75, 104, 0.9)', color: '#fff',
});
const text = document.createElement('span');
text.id = 'playground-session-text';
const signOutButton = document.createElement('button');
signOutButton.id = 'playground-sign-out';
signOutButton.type = 'button';
signOutButton.textContent = 'Sign out';
Object.assign(signOutButton.style, { font: 'inherit', cursor: 'pointer' });
bar.append(text, signOutButton);

function show(message, signedIn) {
  text.textContent = message;
  signOutButton.hidden = !signedIn;
}
show('Not signed in: run signup or login', false);
document.addEventListener('DOMContentLoaded', () => document.body.append(bar));

function isEndpoint(input) {
  const raw = typeof input === 'string' || input instanceof URL ? String(input) : input.url;
  const url = new URL(raw, location.href);
  return url.origin === location.origin && url.pathname === config.endpoint;
}

function post(operationName, query, token) {
  return nativeFetch(config.endpoint, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', authorization: 'Bearer ' + token },
    body: JSON.stringify({ operationName, query }),
  }).then((response) => response.json());
}

function signIn(token) {
  session = { token };
  show('Signed in: checking who…', true);
  post('PlaygroundWhoAmI', 'query PlaygroundWhoAmI { me { email name role } }', token).then(
    (body) => {
      if (session?.token !== token) return;
      const me = body.data?.me;
      show(me ? 'Signed in as ' + (me.email ?? me.name) + ' (' + me.role + ')' : 'Signed in (me failed: ' + describe(body) + ')', true);
    },
    () => show('Signed in (me failed: no answer)', true),
  );
}

function signOut() {
  const ending = session;
  session = null;
  show('Not signed in: run signup or login', false);
  // Ends the session on the server too (and, in cookie mode, clears the refresh cookie).
  if (ending) post('PlaygroundSignOut', 'mutation PlaygroundSignOut { logout }', ending.token).catch(() => undefined);
}
signOutButton.addEventListener('click', signOut);

function describe(body) {
  const extensions = body.errors?.[0]?.extensions ?? {};
  return [extensions.code, extensions.reason].filter(Boolean).join(' / ') || 'no data';
}

function observe(body, sentKeptToken) {
  const data = body?.data;
  if (data && typeof data === 'object') {
    for (const [field, value] of Object.entries(data)) {
      if (!signInFields.has(field) || !value || typeof value !== 'object') continue;
      if (typeof value.accessToken === 'string') signIn(value.accessToken);
      else show(field + ' ran, but without accessToken in its selection: add it to sign the page in', Boolean(session));
      return;
    }
    if (sentKeptToken && data.logout === true) {
      session = null;
      show('Signed out (logout ran)', false);
      return;
    }
  }
  const reason = body?.errors?.[0]?.extensions?.reason;
  if (sentKeptToken && (reason === 'TOKEN_EXPIRED' || reason === 'TOKEN_REVOKED')) {
    show('The kept token was refused (' + reason + '): run login or refreshToken', true);
  }
}

window.fetch = function playgroundFetch(input, init) {
  if (!isEndpoint(input)) return nativeFetch(input, init);
  const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
  // A header the person typed wins over the kept token.
  const sentKeptToken = Boolean(session) && !headers.has('authorization') && !headers.has('x-access-token');
  if (sentKeptToken) headers.set('authorization', 'Bearer ' + session.token);
  return nativeFetch(input, { ...init, headers, credentials: 'same-origin' }).then((response) => {
    if ((response.headers.get('content-type') ?? '').includes('json')) {
      response.clone().json().then((body) => observe(body, sentKeptToken), () => undefined);
    }
    return response;
  });
};
`;

/** JSON that is safe inside a <script> element: with `<` escaped, no value can close it. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

/** The helper as one inline script, with its configuration bound. */
export function playgroundSessionScript(config: PlaygroundSessionConfig): string {
  return `(function (config) {${PLAYGROUND_SESSION_SOURCE}})(${scriptJson(config)});`;
}
