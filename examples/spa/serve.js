// npm run example:spa [-- --port 5173 --api-port 4000]: the SPA example, ready to try in a browser.
// Serves examples/spa on its own origin, starts the API (dist/main.js) in cookie mode with that origin
// in CORS_ORIGINS and its emailed links pointing at this page, and prints the URL to open. Ctrl-C stops both.
// Without SMTP_URL the API writes each email as an .eml file under ./data/outbox and logs its path.
'use strict';
const { spawn } = require('node:child_process');
const { readFileSync } = require('node:fs');
const { createServer } = require('node:http');
const { join, resolve } = require('node:path');

const PAGE = { file: 'index.html', type: 'text/html; charset=utf-8' };
const FILES = {
  '/': PAGE,
  // The pages the API's emailed links open (RESET_PASSWORD_URL, VERIFY_EMAIL_URL below).
  '/reset-password': PAGE,
  '/verify-email': PAGE,
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
};
const MAIN = resolve(__dirname, '../../dist/main.js');
// The API's "ready" line (level info) is how this script learns its URL.
const VERBOSE_ENOUGH = ['info', 'debug', 'trace'];

function option(name, fallback) {
  const index = process.argv.indexOf(name);
  const value = index < 0 ? fallback : Number(process.argv[index + 1]);
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    process.stderr.write(`${name} takes a port number\n`);
    process.exit(2);
  }
  return value;
}

function serveSpa(port) {
  const server = createServer((req, res) => {
    const entry = FILES[new URL(req.url ?? '/', 'http://localhost').pathname];
    if (!entry) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': entry.type, 'cache-control': 'no-cache' }).end(readFileSync(join(__dirname, entry.file)));
  });
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, 'localhost', () => resolvePromise(server));
  });
}

/** Start the API and resolve with its URL once it logs that it is ready. */
function startApi(port, spaOrigin) {
  const apiOrigin = `http://localhost:${port}`;
  const child = spawn(process.execPath, [MAIN], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      ...process.env,
      LOG_LEVEL: VERBOSE_ENOUGH.includes(process.env.LOG_LEVEL ?? '') ? process.env.LOG_LEVEL : 'info',
      PORT: String(port),
      HOST: 'localhost',
      AUTH_COOKIE_MODE: 'true',
      // Plain http on this machine: a Secure cookie would never be sent back.
      AUTH_COOKIE_SECURE: 'false',
      // The SPA's origin, and the API's own for the playground (a refresh from the cookie checks Origin).
      CORS_ORIGINS: [spaOrigin, ...(port === 0 ? [] : [apiOrigin])].join(','),
      // The links in password-reset and verification emails open this SPA, which calls the API.
      RESET_PASSWORD_URL: `${spaOrigin}/reset-password?token={token}`,
      VERIFY_EMAIL_URL: `${spaOrigin}/verify-email?token={token}`,
    },
  });
  // However this script ends, the API ends with it.
  process.on('exit', () => child.kill('SIGTERM'));
  return new Promise((resolvePromise, reject) => {
    let pending = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.includes('"msg":"ready"')) continue;
        resolvePromise({ child, url: JSON.parse(line).url });
      }
    });
    child.on('exit', (code) => reject(new Error(`the API exited with ${code}`)));
  });
}

async function main() {
  const spa = await serveSpa(option('--port', 5173));
  const spaPort = spa.address().port;
  const api = await startApi(option('--api-port', 4000), `http://localhost:${spaPort}`);
  process.stdout.write(`\nSPA example (cookie mode): open http://localhost:${spaPort}/?api=${api.url}\n`);
  process.stdout.write(`Playground: ${api.url}    Ctrl-C stops both.\n\n`);
  const stop = () => {
    api.child.removeAllListeners('exit');
    api.child.once('exit', () => spa.close(() => process.exit(0)));
    api.child.kill('SIGTERM');
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error) => {
  process.stderr.write(`example:spa: ${error.message}\n`);
  process.exit(1);
});
