// A minimal SPA for cookie mode (AUTH_COOKIE_MODE=true). Plain browser JavaScript, no build step.
// The API's address comes from ?api=…; its CORS_ORIGINS must list this page's origin.
// The same page also serves the links the API emails (RESET_PASSWORD_URL, VERIFY_EMAIL_URL point here):
// /reset-password?token=… and /verify-email?token=….
'use strict';

const params = new URLSearchParams(location.search);
// A link from an email carries only its token, so this browser remembers the API named by ?api= last time
// (an example's convenience: a real app has its API's address built in).
if (params.get('api')) localStorage.setItem('api', params.get('api'));
const API = params.get('api') || localStorage.getItem('api') || 'http://localhost:4000/graphql';

// A link's token is read once and taken out of the address bar, so it stays out of the history.
const linkToken = params.get('token');
if (linkToken !== null) {
  params.delete('token');
  history.replaceState(null, '', `${location.pathname}${params.size > 0 ? `?${params}` : ''}`);
}

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
    // What is wrong with each input field, e.g. a new password that is too short.
    const fields = Object.entries(extensions.fields ?? {}).map(([name, problem]) => ` (${name}: ${problem})`).join('');
    const error = new Error(`${extensions.code}${extensions.reason ? ` / ${extensions.reason}` : ''}: ${message}${fields}`);
    error.reason = extensions.reason;
    throw error;
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

// ---- Account recovery: "forgot password", and the pages the emailed links open ----

/** What a link's refusal means for the person who clicked it. */
const LINK_PROBLEMS = {
  LINK_INVALID: 'This link does not work (it was used already, or a newer one was sent): ask for a new one.',
  LINK_EXPIRED: 'This link has expired: ask for a new one.',
};

function showLinkProblem(error) {
  showError(error);
  if (LINK_PROBLEMS[error.reason]) show('notice', LINK_PROBLEMS[error.reason]);
}

onSubmit('forgot', async ({ email }) => {
  show('notice', '');
  // The API answers true whether or not it knows the address, so the page cannot tell either.
  await graphql('mutation($email: String!) { requestPasswordReset(email: $email) }', { email });
  document.getElementById('forgot').reset();
  show('error', '');
  show('notice', 'If an account has that address, a link to reset its password is on its way to it.');
});

document.getElementById('reset-password').addEventListener('submit', (event) => {
  event.preventDefault();
  const { newPassword } = Object.fromEntries(new FormData(event.target));
  // After the start-up refresh has settled, so that its answer cannot log the new session out again.
  resumed.then(() => resetPassword(newPassword)).catch(showLinkProblem);
});

async function resetPassword(newPassword) {
  const mutation = `mutation($token: String!, $newPassword: String!) { resetPassword(token: $token, newPassword: $newPassword) { ${PAIR} } }`;
  const data = await graphql(mutation, { token: linkToken ?? '', newPassword });
  // Logged in as after a login (a user with two-factor still owes the code); every other session has ended.
  useTokens(data.resetPassword);
  show('error', '');
  show('notice', 'Your password has been changed, and every other session has been logged out.');
  document.getElementById('reset-section').hidden = true;
  history.replaceState(null, '', `/${location.search}`);
}

async function verifyEmail() {
  // With a session, its access token goes along: after an email change, verifyEmail keeps this session.
  const data = await graphql('mutation($token: String!) { verifyEmail(token: $token) { email emailVerified } }', { token: linkToken ?? '' });
  show('notice', `Your email address ${data.verifyEmail.email} is verified.`);
  history.replaceState(null, '', `/${location.search}`);
  // A confirmed email change: the session kept shows its new address.
  if (accessToken) await showMe();
}

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

// On load: a previous session's cookie, if any, logs us straight back in. On a link's page having no
// session is no error, and the link is what the page is for.
const PAGE = { '/reset-password': 'reset', '/verify-email': 'verify' }[location.pathname] ?? 'home';
const resumed = refreshAccess()
  .then(showMe)
  .catch((error) => {
    forgetTokens();
    if (PAGE === 'home') showError(error);
  });
if (PAGE === 'reset') document.getElementById('reset-section').hidden = false;
if (PAGE === 'verify') resumed.then(verifyEmail).catch(showLinkProblem);
