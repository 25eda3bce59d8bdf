// The layers of src/ and what each may import: the one statement of the architecture that both the lint
// (eslint.config.mjs, per folder) and the tests (test/unit/layers.test.ts: every import, and no cycle) enforce.
// A folder of src/ (or a file at its top: config, app, main) may import from itself and the folders listed
// here; anything else is an arrow running the wrong way. See docs/architecture.md.
'use strict';

const LAYERS = {
  // Facts every layer shares: roles, error vocabulary, header names, the clock, the logger, cookies, IPs.
  shared: [],
  // The only reader of the environment.
  config: ['shared'],
  // Storage: every SQL statement, the ORM, migrations.
  db: ['shared', 'config'],
  // The domain, lowest first: each module's services, typed records and plain errors; no GraphQL, no HTTP.
  tokens: ['shared', 'config'],
  passwords: ['shared', 'config'],
  limits: ['shared', 'config'],
  users: ['shared', 'config', 'db', 'passwords'],
  sessions: ['shared', 'config', 'db', 'tokens'],
  // The second factor: TOTP, recovery codes, secrets at rest, the MFA_REQUIRED rule.
  mfa: ['shared', 'config', 'db'],
  // Mail: the background sender of the outbox (db/outbox.store.ts), over SMTP or to .eml files.
  mail: ['shared', 'config', 'db'],
  auth: ['shared', 'config', 'db', 'tokens', 'passwords', 'limits', 'users', 'sessions', 'mfa'],
  // Account recovery by email: password reset, email verification, email change (sessions through auth).
  recovery: ['shared', 'config', 'db', 'tokens', 'passwords', 'limits', 'users', 'sessions', 'mfa', 'mail', 'auth'],
  // The GraphQL edge: resolvers, types, the guard, the context, error translation, Apollo.
  graphql: ['shared', 'config', 'db', 'tokens', 'passwords', 'limits', 'users', 'sessions', 'mfa', 'auth', 'recovery'],
  // The HTTP edge: routes, the Apollo bridge, CORS, the playground, the client's address.
  http: ['shared', 'config', 'graphql'],
  // The wiring, the process and the command-line tools.
  app: ['shared', 'config', 'db', 'tokens', 'passwords', 'limits', 'users', 'sessions', 'mfa', 'auth', 'recovery', 'graphql', 'http', 'mail'],
  main: ['shared', 'config', 'db', 'tokens', 'mfa', 'app', 'mail'],
  cli: ['shared', 'config', 'db', 'tokens', 'passwords', 'users', 'graphql'],
  // Declarations of untyped packages; the generated client.
  types: [],
  client: [],
};

// Packages only the edges may use: below the GraphQL edge nothing knows GraphQL or Apollo.
const EDGE_PACKAGES = ['graphql', 'type-graphql', 'graphql-scalars', '@apollo/*', '@graphql-tools/*', '@graphql-yoga/*'];
const EDGE_LAYERS = ['graphql', 'http', 'app', 'cli', 'client', 'types'];

module.exports = { LAYERS, EDGE_PACKAGES, EDGE_LAYERS };
