// A minimal SPA for cookie mode (AUTH_COOKIE_MODE=true). Plain browser JavaScript, no build step.
// The API's address comes from ?api=…; its CORS_ORIGINS must list this page's origin.
'use strict';

const API = new URLSearchParams(location.search).get('api') || 'http://localhost:4000/graphql';

// The access token is kept in memory only: a reload forgets it, and refreshAccess() gets a new one
// from the HttpOnly refresh cookie, which JavaScript can neither read nor steal.
let accessToken = null;
let refreshTimer = null;

async function graphql(query, variables = {}) {
  const response = await fetch(API, {
    method: 'POST',
    credentials: 'include', // send and accept the refresh cookie
    headers: {
      'content-type': 'application/json',
      ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors && body.errors.length > 0) {
    const { message, extensions = {} } = body.errors[0];
    throw new Error(`${extensions.code}${extensions.reason ? ` / ${extensions.reason}` : ''}: ${message}`);
  }
  return body.data;
}

const PAIR = 'accessToken expiresIn refreshExpiresIn mfaRequired user { id email }';

/**
 * Keep the token in memory and refresh it a little before it expires. With mfaRequired the session may only
 * see itself, verify the second factor, or log out: ask for the code.
 */
function useTokens(payload) {
  accessToken = payload.accessToken;
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => refreshAccess().catch(showError), Math.max(1, payload.expiresIn - 30) * 1000);
  document.getElementById('mfa-verify').hidden = !payload.mfaRequired;
  show('status', payload.mfaRequired ? `second factor required for ${payload.user.email}` : `logged in as ${payload.user.email}`);
}

function forgetTokens() {
  accessToken = null;
  clearTimeout(refreshTimer);
  document.getElementById('mfa-verify').hidden = true;
  show('status', 'logged out');
}

async function refreshAccess() {
  // No argument: the server reads the refresh cookie (and checks this page's Origin).
  const data = await graphql(`mutation { refreshToken { ${PAIR} } }`);
  useTokens(data.refreshToken);
}

async function showMe() {
  const data = await graphql('{ me { id name email } }');
  show('me', data.me.email);
}

function show(id, text) {
  document.getElementById(id).textContent = text;
}

function showError(error) {
  show('error', error.message);
}

function onSubmit(id, handler) {
  document.getElementById(id).addEventListener('submit', (event) => {
    event.preventDefault();
    const fields = Object.fromEntries(new FormData(event.target));
    handler(fields).catch(showError);
  });
}

onSubmit('signup', async (input) => {
  const data = await graphql(`mutation($input: SignupInput!) { signup(input: $input) { ${PAIR} } }`, { input });
  useTokens(data.signup);
});

onSubmit('login', async (input) => {
  const data = await graphql(`mutation($input: LoginInput!) { login(input: $input) { ${PAIR} } }`, { input });
  useTokens(data.login);
});

onSubmit('mfa-verify', async ({ code }) => {
  // The same session, raised: a new pair, and a new refresh cookie (the old one stops working).
  const data = await graphql(`mutation($code: String!) { verifyMfa(code: $code) { ${PAIR} } }`, { code });
  document.getElementById('mfa-verify').reset();
  useTokens(data.verifyMfa);
});

document.getElementById('mfa-start-button').addEventListener('click', async () => {
  try {
    const { startTotpEnrollment } = await graphql('mutation { startTotpEnrollment { secret otpauthUrl qrCodeSvg } }');
    // An <img> of a data: URL shows the server's SVG without putting its markup into this page's DOM.
    document.getElementById('mfa-qr').src = `data:image/svg+xml,${encodeURIComponent(startTotpEnrollment.qrCodeSvg)}`;
    show('mfa-secret', startTotpEnrollment.secret);
    document.getElementById('mfa-enrollment').hidden = false;
  } catch (error) {
    showError(error);
  }
});

onSubmit('mfa-confirm', async ({ code }) => {
  const data = await graphql('mutation($code: String!) { confirmTotpEnrollment(code: $code) }', { code });
  document.getElementById('mfa-enrollment').hidden = true;
  show('recovery-codes', data.confirmTotpEnrollment.join(' '));
});

document.getElementById('me-button').addEventListener('click', () => {
  show('me', '');
  showMe().catch(showError);
});

document.getElementById('logout-button').addEventListener('click', async () => {
  try {
    await graphql('mutation { logout }'); // ends the session and clears the cookie
  } catch (error) {
    showError(error);
  }
  forgetTokens();
});

// On load: a previous session's cookie, if any, logs us straight back in.
refreshAccess()
  .then(showMe)
  .catch((error) => {
    forgetTokens();
    showError(error);
  });
