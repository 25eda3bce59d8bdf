// The pages the emailed links open when APP_URL is the API itself (its default, http://localhost:4000), so that a
// developer who opens an .eml file of DATA_DIR/outbox after `npm start` lands somewhere: GET /reset-password asks
// for a new password and calls resetPassword, GET /verify-email calls verifyEmail when its button is pressed (not
// on load: mail scanners fetch links, and a page that spent the token on load would let them). An SPA hosts its
// own pages instead (RESET_PASSWORD_URL, VERIFY_EMAIL_URL); these are served anyway, and are harmless: they hold
// nothing but the token of the address they were opened with.
//
// Each page is self-contained, like the playground (playground.ts): one inline script and one inline style,
// allowed by their hashes in the content-security policy, and no request to any other origin. The token is
// taken out of the address bar as soon as it is read, the page sends no Referer, is never cached, and keeps
// no session: it calls the API without credentials and selects no token from the answer.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode, InputReason, UnavailableReason } from '../shared/errors';
import { Header } from '../shared/http-names';
import { LinkPath } from '../shared/link-paths';
import { scriptJson } from './playground-session';

type PageKind = 'resetPassword' | 'verifyEmail';

/** What the page's script is given, as JSON. */
interface PageConfig {
  kind: PageKind;
  /** The GraphQL endpoint's path on this origin. */
  endpoint: string;
  /** What to say for an error, by its extensions.reason (else by its code; else its message is shown). */
  sayings: Record<string, string>;
  reasons: { invalidInput: string; deadLink: readonly string[] };
  said: { noToken: string; unreachable: string; reset: string; verified: string; verifiedAddress: string };
}

const TITLES: Record<PageKind, string> = {
  resetPassword: 'Choose a new password',
  verifyEmail: 'Confirm your email address',
};

const ASK_AGAIN = 'Ask for a new link.';
const SAYINGS: Record<string, string> = {
  [InputReason.LINK_INVALID]: `This link does not work: it was used already, or a newer link was sent since. ${ASK_AGAIN}`,
  [InputReason.LINK_EXPIRED]: `This link has expired. ${ASK_AGAIN}`,
  [InputReason.EMAIL_TAKEN]: 'Another account has this email address now, so nothing was changed.',
  [UnavailableReason.MAIL_DISABLED]: 'This server has email turned off, so its links do not work.',
  [ErrorCode.RATE_LIMITED]: 'Too many attempts from your network. Try again in {retryAfter} seconds.',
};

const REASONS: PageConfig['reasons'] = {
  invalidInput: InputReason.INVALID_INPUT,
  // After these the link is spent or dead: the page stops offering it.
  deadLink: [InputReason.LINK_INVALID, InputReason.LINK_EXPIRED, InputReason.EMAIL_TAKEN],
};

const SAID: PageConfig['said'] = {
  noToken: `This address has no token in it: open the link from the email exactly as it is, or ${ASK_AGAIN.toLowerCase()}`,
  unreachable: 'The server could not be reached. Try again.',
  reset: 'Your password is changed. Sign in with it.',
  verified: 'Your email address is verified.',
  verifiedAddress: 'Your email address {email} is verified.',
};

const STYLE = `
body { font: 16px/1.5 system-ui, sans-serif; margin: 0; background: #f4f5f7; color: #1d2433; }
main { max-width: 26rem; margin: 4rem auto; padding: 2rem; background: #fff; border-radius: 8px; box-shadow: 0 1px 4px rgba(0, 0, 0, 0.12); }
h1 { font-size: 1.35rem; margin: 0 0 1rem; }
label { display: block; margin-bottom: 0.25rem; }
input { box-sizing: border-box; width: 100%; padding: 0.5rem; font: inherit; margin-bottom: 1rem; }
button { font: inherit; padding: 0.5rem 1rem; cursor: pointer; }
[hidden] { display: none; }
#message:empty { display: none; }
#message { margin: 1rem 0 0; padding: 0.75rem; border-radius: 6px; background: #eef1f6; }
#message[data-tone="ok"] { background: #e3f4e8; }
#message[data-tone="error"] { background: #fbe7e7; }
`;

// The browser side, plain JavaScript; `config` is bound by the wrapper around it (PageConfig).
const SCRIPT_SOURCE = String.raw`
'use strict';
const message = document.getElementById('message');
const form = document.getElementById('form');
const button = form.querySelector('button');
function show(text, tone) {
  message.textContent = text;
  message.dataset.tone = tone;
}
function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (whole, name) => (values[name] === undefined || values[name] === null ? whole : String(values[name])));
}

// Read the token, then take it out of the address bar and the history at once.
let token = new URLSearchParams(location.search).get('token');
if (location.search || location.hash) history.replaceState(null, '', location.pathname);

/** The first error of an answer, said for a person. */
function saying(error) {
  const extensions = error.extensions || {};
  const fields = extensions.fields || {};
  const names = Object.keys(fields);
  if (extensions.reason === config.reasons.invalidInput && names.length > 0) return names.map((name) => fields[name]).join(' ');
  const template = config.sayings[extensions.reason] || config.sayings[extensions.code];
  return template ? fill(template, extensions) : error.message;
}

async function call(query, variables) {
  const response = await fetch(config.endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
    // No cookie goes, and none is kept: the page holds no session.
    credentials: 'omit',
    cache: 'no-store',
  });
  return response.json();
}

const operations = {
  resetPassword: {
    query: 'mutation ResetPassword($token: String!, $newPassword: String!) { resetPassword(token: $token, newPassword: $newPassword) { __typename } }',
    variables: () => ({ token, newPassword: form.elements.newPassword.value }),
    said: () => config.said.reset,
  },
  verifyEmail: {
    query: 'mutation VerifyEmail($token: String!) { verifyEmail(token: $token) { email emailVerified } }',
    variables: () => ({ token }),
    said: (data) => (data.verifyEmail.email ? fill(config.said.verifiedAddress, { email: data.verifyEmail.email }) : config.said.verified),
  },
};
const operation = operations[config.kind];

if (!token) {
  show(config.said.noToken, 'error');
} else {
  form.hidden = false;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    button.disabled = true;
    show('', '');
    let answer;
    try {
      answer = await call(operation.query, operation.variables());
    } catch {
      button.disabled = false;
      show(config.said.unreachable, 'error');
      return;
    }
    const error = answer.errors && answer.errors[0];
    if (!error && answer.data) {
      token = null;
      form.reset();
      form.hidden = true;
      show(operation.said(answer.data), 'ok');
      return;
    }
    show(saying(error || { message: config.said.unreachable }), 'error');
    const reason = error && error.extensions && error.extensions.reason;
    // A dead link stays dead; anything else (a weak password, a limit) may be tried again.
    if (config.reasons.deadLink.includes(reason)) {
      token = null;
      form.hidden = true;
    } else {
      button.disabled = false;
    }
  });
}
`;

const FORMS: Record<PageKind, string> = {
  resetPassword: `<form id="form" hidden>
        <label for="new-password">New password</label>
        <input id="new-password" name="newPassword" type="password" autocomplete="new-password" required />
        <button type="submit">Set the new password</button>
      </form>`,
  verifyEmail: `<form id="form" hidden>
        <p>Press the button to confirm that this email address is yours.</p>
        <button type="submit">Confirm my address</button>
      </form>`,
};

export interface RecoveryPage {
  html: string;
  contentSecurityPolicy: string;
}

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

export function renderRecoveryPage(kind: PageKind, endpoint: string): RecoveryPage {
  const config: PageConfig = { kind, endpoint, sayings: SAYINGS, reasons: REASONS, said: SAID };
  const script = `(function (config) {${SCRIPT_SOURCE}})(${scriptJson(config)});`;
  const html = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="referrer" content="no-referrer" />
    <meta name="robots" content="noindex" />
    <title>${TITLES[kind]}</title>
    <style>${STYLE}</style>
  </head>
  <body>
    <main>
      <h1>${TITLES[kind]}</h1>
      <noscript>This page needs JavaScript.</noscript>
      ${FORMS[kind]}
      <p id="message" role="status" aria-live="polite"></p>
    </main>
    <script>${script}</script>
  </body>
</html>
`;
  const contentSecurityPolicy = [
    "default-src 'none'",
    `script-src ${sha256(script)}`,
    `style-src ${sha256(STYLE)}`,
    "connect-src 'self'",
    "base-uri 'none'",
    // The form is sent by the script, never by the browser (which would put the password in the address).
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { html, contentSecurityPolicy };
}

const KINDS: Record<string, PageKind> = {
  [LinkPath.RESET_PASSWORD]: 'resetPassword',
  [LinkPath.VERIFY_EMAIL]: 'verifyEmail',
};

export interface RecoveryPages {
  /** Answers GET or HEAD of a link's page and returns true; false for any other request. */
  serve(req: IncomingMessage, res: ServerResponse, pathname: string): boolean;
}

export function createRecoveryPages(endpoint: string): RecoveryPages {
  const pages = new Map<string, { body: Buffer; csp: string }>();
  for (const [path, kind] of Object.entries(KINDS)) {
    const { html, contentSecurityPolicy } = renderRecoveryPage(kind, endpoint);
    pages.set(path, { body: Buffer.from(html, 'utf8'), csp: contentSecurityPolicy });
  }
  return {
    serve(req, res, pathname) {
      const page = pages.get(pathname);
      if (!page || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
      res.setHeader(Header.CONTENT_TYPE, 'text/html; charset=utf-8');
      res.setHeader('content-security-policy', page.csp);
      // The address carries a token: no cache keeps the page, and no Referer carries the address anywhere.
      res.setHeader(Header.CACHE_CONTROL, 'no-store');
      res.setHeader('referrer-policy', 'no-referrer');
      res.setHeader('x-content-type-options', 'nosniff');
      res.setHeader('content-length', page.body.length);
      res.statusCode = 200;
      res.end(req.method === 'HEAD' ? undefined : page.body);
      return true;
    },
  };
}
