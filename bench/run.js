// npm run bench [-- --smoke]
// Starts the real server (dist/main.js) on a temporary SQLite database, seeds it, warms up, and prints one
// table of ratios measured side by side in this run, with PASS/FAIL against each bar, plus the raw figures.
// Rows 9-11 run on PostgreSQL (BENCH_POSTGRES_URL, default the local server; a scratch database is made and
// dropped), and say SKIPPED when none answers.
// The full result goes to bench/results/<time>.json. --smoke: tiny sizes, a few seconds, no peer, no bars.
'use strict';
require('reflect-metadata');
const { spawn, spawnSync } = require('node:child_process');
const { createHmac, randomBytes, randomUUID } = require('node:crypto');
const { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } = require('node:fs');
const { availableParallelism, cpus, tmpdir } = require('node:os');
const { join, resolve } = require('node:path');
const autocannon = require('autocannon');
const Database = require('better-sqlite3');
const bcrypt = require('bcryptjs');

const root = resolve(__dirname, '..');
const dist = (path) => require(join(root, 'dist', path));
const { createTokenService } = dist('tokens/access-tokens');
const { readDatabase } = dist('config');
const { openDatabase } = dist('db/database');
const { toDate } = dist('db/sql');
const { createLogger } = dist('shared/logger');
const { Client } = require('pg');
const { URL } = require('node:url');
const { encodeCursor } = dist('users/cursor');
const { HASH_WORKER_NICE } = dist('passwords/passwords');

const smoke = process.argv.includes('--smoke');
const S = smoke
  ? { cost: 4, users: 2_000, page: 50, seconds: 1, pairs: 2, pairSeconds: 1, stormPairs: 1, warmSeconds: 0.5, rate: 50, loginSamples: 3, pageSamples: 20, loops: 2_000 }
  : { cost: 12, users: 100_000, page: 5_000, seconds: 5, pairs: 5, pairSeconds: 3, stormPairs: 3, warmSeconds: 2, rate: 200, loginSamples: 9, pageSamples: 200, loops: 20_000 };
const PEER = resolve(root, '../shared/peers/flask_peer.py');
const PEER_PYTHON = '/usr/bin/python3';
const WRK = 'wrk';
const PASSWORD = 'bench-password-1';
const SECRET = randomBytes(48).toString('base64url');
const CONNECTIONS = 16;
// The bench's own settings, read here: it is a command-line program beside the server, not the server.
const POSTGRES_URL = process.env.BENCH_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
/** Processes of ours that share the machine in the multi-process rows (2, 8-10). */
const PROCESSES = 2;

const scratch = mkdtempSync(join(tmpdir(), 'auth-bench-'));
const children = new Set();
const log = (message) => process.stderr.write(`[bench] ${message}\n`);

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
const round = (value, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------- processes ----------

function startServer(name, env) {
  const probe = join(scratch, `probe-${name}`);
  const child = spawn(process.execPath, ['-r', join(__dirname, 'probe.js'), join(root, 'dist/main.js')], {
    cwd: scratch,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      // Nothing here sends mail; production refuses to start without SMTP_URL otherwise.
      MAIL_DISABLED: 'true',
      HOST: '127.0.0.1',
      PORT: '0',
      JWT_SECRET: SECRET,
      BCRYPT_COST: String(S.cost),
      LOG_LEVEL: 'info',
      // The login storm comes from one address: the brute-force limits would (rightly) stop it,
      // and this measures what the logins that get through cost everyone else.
      RATE_LIMIT_LOGIN_IP: '1000000/1m',
      RATE_LIMIT_SIGNUP_IP: '1000000/1m',
      LOGIN_MAX_FAILURES: '1000',
      BENCH_PROBE_FILE: probe,
      ...env,
    },
  });
  children.add(child);
  let output = '';
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start:\n${output}`)), 30_000);
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const line = output.split('\n').find((l) => l.includes('"msg":"ready"'));
      if (line) {
        clearTimeout(timer);
        const url = JSON.parse(line).url;
        resolvePromise({ child, url, probe: () => readProbe(probe, child.pid), resetProbe: () => child.kill('SIGUSR2') });
      }
    });
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('exit', (code) => {
      children.delete(child);
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code}:\n${output}`));
    });
  });
}

function readProbe(base, pid) {
  try {
    return JSON.parse(readFileSync(`${base}.${pid}.json`, 'utf8'));
  } catch {
    return null;
  }
}

function stopChild(child) {
  if (!child || child.exitCode !== null) return Promise.resolve();
  return new Promise((resolvePromise) => {
    child.removeAllListeners('exit');
    child.once('exit', () => {
      children.delete(child);
      resolvePromise();
    });
    child.kill('SIGTERM');
  });
}

async function graphql(url, query, variables, token) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  if (body.errors) throw new Error(`${query}: ${JSON.stringify(body.errors)}`);
  return body.data;
}

/** autocannon, in this process. Returns throughput and latency, and refuses a run that saw errors. */
function load(name, options) {
  return new Promise((resolvePromise, reject) => {
    autocannon({ connections: CONNECTIONS, duration: S.seconds, ...options }, (error, result) => {
      if (error) return reject(error);
      if (result.errors > 0 || result.non2xx > 0 || result.timeouts > 0 || result.mismatches > 0) {
        return reject(new Error(`${name}: ${result.errors} errors, ${result.non2xx} non-2xx, ${result.timeouts} timeouts, ${result.mismatches} unexpected bodies`));
      }
      resolvePromise({
        requestsPerSecond: round(result.requests.average, 0),
        total: result.requests.total,
        latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
      });
    });
  });
}

function gqlRequest(url, query, variables, token) {
  return {
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  };
}

/**
 * `request` with the one body every answer to it must have (autocannon's expectBody): asked once here, and
 * refused unless it is a 200 with data and no errors. A run that gets any other body fails (load() above).
 */
async function answeredAlike(request) {
  const res = await fetch(request.url, { method: request.method, headers: request.headers, body: request.body });
  const text = await res.text();
  const body = JSON.parse(text);
  if (res.status !== 200 || body.errors || !body.data) throw new Error(`${request.body}: ${res.status} ${text}`);
  return { ...request, expectBody: text };
}

// ---------- seeding ----------

/** The database of `env` (DB_PATH or DATABASE_URL), migrated, through the app's own storage layer. */
function openBenchDatabase(env) {
  return openDatabase(readDatabase(env), createLogger('silent'), { migrate: true, lock: false, cacheSessions: false });
}

/** 100,000 users by raw SQL in one transaction, all with one precomputed hash; created_at 1 ms apart. */
async function seed(env, count, hash) {
  const db = await openBenchDatabase(env);
  const start = Date.now() - count - 60_000;
  await db.sql.transaction(async (tx) => {
    const batch = 500;
    for (let from = 0; from < count; from += batch) {
      const rows = [];
      const params = [];
      for (let i = from; i < Math.min(count, from + batch); i += 1) {
        rows.push('(?, ?, ?, ?, ?, ?, ?)');
        params.push(randomUUID(), `Seeded ${i}`, `seeded${i}@example.com`, hash, 'USER', new Date(start + i), new Date(start + i));
      }
      await tx.run(`insert into users (public_id, name, email, password_hash, role, created_at, updated_at) values ${rows.join(', ')}`, params);
    }
  });
  await db.close();
}

// ---------- the rows ----------

function row1TokenVerify() {
  const settings = { algorithm: 'HS256', secret: SECRET, issuer: 'bench', audience: 'bench', accessTtlSeconds: 900, clockToleranceSeconds: 0 };
  const tokens = createTokenService(settings, { now: () => Date.now() });
  const { token } = tokens.signAccessToken({ id: randomUUID(), role: 'USER' }, randomUUID());
  if (!tokens.verifyAccessToken(token).ok) throw new Error('the bench token does not verify');
  const signingInput = token.slice(0, token.lastIndexOf('.'));
  const secret = Buffer.from(SECRET, 'utf8');
  const perCall = (fn) => {
    for (let i = 0; i < S.loops / 4; i += 1) fn();
    const started = process.hrtime.bigint();
    for (let i = 0; i < S.loops; i += 1) fn();
    return Number(process.hrtime.bigint() - started) / S.loops / 1000;
  };
  const verify = [];
  const hmac = [];
  for (let round_ = 0; round_ < 5; round_ += 1) {
    verify.push(perCall(() => tokens.verifyAccessToken(token)));
    hmac.push(perCall(() => createHmac('sha256', secret).update(signingInput).digest('base64url')));
  }
  return { verifyUs: round(median(verify)), hmacUs: round(median(hmac)) };
}

async function warm(url, query, token) {
  await load('warm-up', { ...gqlRequest(url, query, {}, token), duration: S.warmSeconds });
}

async function main() {
  const started = Date.now();
  const result = {
    date: new Date().toISOString(),
    mode: smoke ? 'smoke' : 'full',
    machine: { cores: availableParallelism(), cpu: cpus()[0]?.model, node: process.version },
    settings: { ...S, connections: CONNECTIONS },
    raw: {},
    rows: [],
  };
  const raw = result.raw;

  log('row 1: verifyAccessToken vs a bare HMAC');
  raw.tokenVerify = row1TokenVerify();

  log(`bare bcryptjs at cost ${S.cost}`);
  const bareHash = [];
  let hash;
  for (let i = 0; i < 3; i += 1) {
    const t = performance.now();
    hash = await bcrypt.hash(PASSWORD, S.cost);
    bareHash.push(performance.now() - t);
  }
  const bareCompare = [];
  for (let i = 0; i < 5; i += 1) {
    const t = performance.now();
    await bcrypt.compare(PASSWORD, hash);
    bareCompare.push(performance.now() - t);
  }
  raw.bcrypt = { cost: S.cost, hashMs: round(median(bareHash), 1), compareMs: round(median(bareCompare), 1) };

  const dbPath = join(scratch, 'bench.db');
  log(`seeding ${S.users} users`);
  let t = performance.now();
  await seed({ DB_PATH: dbPath }, S.users, hash);
  raw.seedMs = Math.round(performance.now() - t);

  const server = await startServer('single', { DB_PATH: dbPath, WEB_CONCURRENCY: '1' });
  const url = server.url;
  const me = await graphql(url, 'mutation($input: SignupInput!) { signup(input: $input) { accessToken user { id } } }', {
    input: { name: 'Bench', email: 'bench@example.com', password: PASSWORD },
  });
  const token = me.signup.accessToken;
  const ME = '{ me { id name email role } }';
  const TYPENAME = '{ __typename }';
  const LOGIN = 'mutation($input: LoginInput!) { login(input: $input) { accessToken } }';
  const LOGIN_VARIABLES = { input: { email: 'bench@example.com', password: PASSWORD } };
  await warm(url, TYPENAME);
  await warm(url, ME, token);
  // A few logins too, so that rows 3-5 measure what a login costs a running server, not its first compilation.
  for (let i = 0; i < 5; i += 1) await graphql(url, LOGIN, LOGIN_VARIABLES);

  log(`rows 3-4: me at ${S.rate} req/s, without and with a login storm, in ${S.stormPairs} adjacent pairs`);
  const fixedRate = () => load('me at a fixed rate', { ...gqlRequest(url, ME, {}, token), connections: 8, overallRate: S.rate });
  // Like row 2, the ratio is the median of adjacent pairs: one stall of the shared machine spoils a pair, not the row.
  const stormPairs = [];
  for (let i = 0; i < S.stormPairs; i += 1) {
    const quiet = await fixedRate();
    server.resetProbe();
    await sleep(50);
    const [stormy, storm] = await Promise.all([
      fixedRate(),
      load('login storm', { ...gqlRequest(url, LOGIN, LOGIN_VARIABLES), connections: 4 }),
    ]);
    await sleep(250);
    stormPairs.push({
      meQuietMs: quiet.latencyMs,
      meDuringStormMs: stormy.latencyMs,
      ratio: round(stormy.latencyMs.p99 / Math.max(1, quiet.latencyMs.p99)),
      logins: { total: storm.total, perSecond: storm.requestsPerSecond, latencyMs: storm.latencyMs },
      eventLoopDelayMs: server.probe()?.eventLoopDelayMs ?? null,
    });
  }
  // The control: the same rate beside a plain busy loop in another process at the hash threads' nice, and no
  // logins. What it adds to the p99 is what any busy core costs on this machine, whatever the server does.
  const burner = spawn(process.execPath, ['-e', `require('node:os').setPriority(${HASH_WORKER_NICE}); for (;;);`], { stdio: 'ignore' });
  children.add(burner);
  const busy = await fixedRate();
  burner.kill('SIGKILL');
  children.delete(burner);
  const quietAfter = await fixedRate();
  raw.loginStorm = {
    pairs: stormPairs,
    medianRatio: median(stormPairs.map((pair) => pair.ratio)),
    // Row 4 takes the worst storm, not the median.
    eventLoopDelayP99Ms: stormPairs.some((pair) => pair.eventLoopDelayMs) ? Math.max(...stormPairs.map((pair) => pair.eventLoopDelayMs?.p99 ?? 0)) : null,
    busyLoopControl: { meBesideBusyLoopMs: busy.latencyMs, meQuietMs: quietAfter.latencyMs, ratio: round(busy.latencyMs.p99 / Math.max(1, quietAfter.latencyMs.p99)) },
  };

  log('row 5: login on an idle server, alternating with a bare compare here');
  await sleep(500);
  const logins = [];
  const compares = [];
  for (let i = 0; i < S.loginSamples; i += 1) {
    t = performance.now();
    await graphql(url, LOGIN, LOGIN_VARIABLES);
    logins.push(performance.now() - t);
    t = performance.now();
    await bcrypt.compare(PASSWORD, hash);
    compares.push(performance.now() - t);
  }
  raw.loginIdleMs = { p50: round(median(logins), 1), samples: logins.map((v) => round(v, 1)) };
  raw.bcrypt.compareAlternatingMs = round(median(compares), 1);

  log(`row 6: users(first: 20), page 1 vs page ${S.page}`);
  const target = await (async () => {
    const db = await openBenchDatabase({ DB_PATH: dbPath });
    try {
      return await db.sql.one('select created_at, public_id from users order by created_at desc, public_id desc limit 1 offset ?', [(S.page - 1) * 20 - 1]);
    } finally {
      await db.close();
    }
  })();
  const deepCursor = encodeCursor({ createdAt: toDate(target.created_at), publicId: target.public_id });
  const USERS = 'query($after: String) { users(first: 20, after: $after) { totalCount nodes { id } pageInfo { endCursor } } }';
  const timePage = async (after) => {
    const t0 = performance.now();
    const data = await graphql(url, USERS, { after }, token);
    if (data.users.nodes.length !== 20) throw new Error('a page of users is short');
    return performance.now() - t0;
  };
  for (let i = 0; i < 20; i += 1) await timePage(i % 2 ? deepCursor : null);
  // Interleaved request by request, so drift on a shared machine falls on both alike.
  const first = [];
  const deep = [];
  for (let i = 0; i < S.pageSamples; i += 1) {
    first.push(await timePage(null));
    deep.push(await timePage(deepCursor));
  }
  raw.usersPageMs = { first: round(median(first)), deep: round(median(deep)), page: S.page, users: S.users };

  const singleProbe = server.probe();
  raw.peakRssMb = singleProbe ? round(singleProbe.maxRssBytes / 2 ** 20, 1) : null;
  await stopChild(server.child);

  // ---------- the whole machine: WEB_CONCURRENCY=2 ----------
  const cluster = await startServer('cluster', { DB_PATH: dbPath, WEB_CONCURRENCY: String(PROCESSES) });
  try {
    await warm(cluster.url, TYPENAME);
    await warm(cluster.url, ME, token);
    log(`row 2: me vs { __typename } with WEB_CONCURRENCY=${PROCESSES}, alternating`);
    // Short runs in adjacent pairs; the ratio is the median of the pairs' ratios, so a neighbour's
    // burst of load on a shared machine spoils one pair, not the answer.
    // Every answer checked: the same body each time, the one a single request got (answeredAlike).
    const typenameRequest = await answeredAlike(gqlRequest(cluster.url, TYPENAME));
    const meRequest = await answeredAlike(gqlRequest(cluster.url, ME, {}, token));
    const typename = [];
    const meRuns = [];
    for (let i = 0; i < S.pairs; i += 1) {
      typename.push(await load('typename', { ...typenameRequest, duration: S.pairSeconds }));
      meRuns.push(await load('me', { ...meRequest, duration: S.pairSeconds }));
    }
    raw.throughput = {
      typename: typename.map((r) => r.requestsPerSecond),
      me: meRuns.map((r) => r.requestsPerSecond),
      pairRatios: meRuns.map((r, i) => round(r.requestsPerSecond / typename[i].requestsPerSecond)),
      meLatencyMs: meRuns.map((r) => r.latencyMs),
    };

    log(`row 8: me under WEB_CONCURRENCY=${PROCESSES} vs the Flask peer under gunicorn, on SQLite`);
    raw.peer = await comparePeer({ PEER_DB: join(scratch, 'peer.db') }, seedPeerSqlite, hash, gqlRequest(cluster.url, ME, {}, token)).catch(
      (error) => ({ skipped: `the peer run failed: ${error.message}` }),
    );

    log('rows 9-11: PostgreSQL');
    raw.postgres = await postgresRows(hash, cluster, token, ME).catch((error) => ({ skipped: `the PostgreSQL rows failed: ${error.message}` }));
  } finally {
    await stopChild(cluster.child);
  }

  // ---------- the table ----------
  const r = raw;
  const rows = [
    ['1', 'verifyAccessToken vs bare HMAC-SHA256', r.tokenVerify.verifyUs / r.tokenVerify.hmacUs, '<=', 4,
      `${r.tokenVerify.verifyUs} µs vs ${r.tokenVerify.hmacUs} µs`],
    ['2', `me vs { __typename } throughput (WEB_CONCURRENCY=${PROCESSES})`, median(r.throughput.pairRatios), '>=', 0.85,
      `${round(median(r.throughput.me), 0)} vs ${round(median(r.throughput.typename), 0)} req/s (median of ${S.pairs} pairs)`],
    ['3', `me p99 at ${S.rate} req/s: login storm vs none`, r.loginStorm.medianRatio, '<=', 3,
      `${r.loginStorm.pairs.map((pair) => `${pair.meDuringStormMs.p99}/${pair.meQuietMs.p99}`).join(', ')} ms (median of ${S.stormPairs}; ` +
        `${Math.min(...r.loginStorm.pairs.map((pair) => pair.logins.total))}+ logins each); busy loop, no logins: ${r.loginStorm.busyLoopControl.ratio}`],
    ['4', 'event-loop delay p99 in the storm vs one hash', r.loginStorm.eventLoopDelayP99Ms === null ? NaN : r.loginStorm.eventLoopDelayP99Ms / r.bcrypt.hashMs, '<=', 0.25,
      `${r.loginStorm.eventLoopDelayP99Ms} vs ${r.bcrypt.hashMs} ms (worst storm)`],
    ['5', 'login p50 (idle) vs one bare bcrypt compare', r.loginIdleMs.p50 / r.bcrypt.compareAlternatingMs, '<=', 1.2,
      `${r.loginIdleMs.p50} vs ${r.bcrypt.compareAlternatingMs} ms`],
    ['6', `users(first: 20): page ${S.page} vs page 1`, r.usersPageMs.deep / r.usersPageMs.first, '<=', 1.5,
      `${r.usersPageMs.deep} vs ${r.usersPageMs.first} ms, ${S.users} users`],
    ['7', 'peak RSS of the server (MB)', r.peakRssMb, '<=', 250, `${r.peakRssMb} MB`],
    ['8', `me throughput vs Flask peer (WEB_CONCURRENCY=${PROCESSES})`, r.peer.skipped ? NaN : r.peer.ratio, '>=', 5,
      r.peer.skipped ? `SKIPPED: ${r.peer.skipped}` : `${r.peer.ours} vs ${r.peer.theirs} req/s (${r.peer.workers} workers each, median of ${S.pairs} pairs)`],
    ['9', `me: ${PROCESSES} instances on PostgreSQL vs WEB_CONCURRENCY=${PROCESSES} on SQLite`, r.postgres.skipped ? NaN : r.postgres.vsSqlite.ratio, '>=', 0.6,
      r.postgres.skipped ? `SKIPPED: ${r.postgres.skipped}` : `${r.postgres.vsSqlite.postgres} vs ${r.postgres.vsSqlite.sqlite} req/s (median of ${S.pairs} pairs)`],
    ['10', 'me on PostgreSQL vs Flask peer on PostgreSQL', r.postgres.skipped || r.postgres.peer.skipped ? NaN : r.postgres.peer.ratio, '>=', 3,
      r.postgres.skipped
        ? `SKIPPED: ${r.postgres.skipped}`
        : r.postgres.peer.skipped
          ? `SKIPPED: ${r.postgres.peer.skipped}`
          : `${r.postgres.peer.ours} vs ${r.postgres.peer.theirs} req/s (${r.postgres.peer.workers} workers each, median of ${S.pairs} pairs)`],
    ['11', 'revocation: logout on A until B refuses, p99 (ms)', r.postgres.skipped ? NaN : r.postgres.revocation.p99Ms, '<=', 100,
      r.postgres.skipped ? `SKIPPED: ${r.postgres.skipped}` : `p50 ${r.postgres.revocation.p50Ms}, max ${r.postgres.revocation.maxMs} ms over ${r.postgres.revocation.samples} logouts`],
  ];
  result.rows = rows.map(([n, measure, value, op, bar, detail]) => {
    const skipped = Number.isNaN(value) || value === null;
    const pass = !skipped && (op === '<=' ? value <= bar : value >= bar);
    return {
      row: Number(n),
      measure,
      value: skipped ? null : round(value, n === '7' || n === '11' ? 1 : 2),
      bar: `${op} ${bar}`,
      result: skipped ? 'SKIPPED' : smoke ? 'smoke' : pass ? 'PASS' : 'FAIL',
      detail,
    };
  });
  result.seconds = Math.round((Date.now() - started) / 1000);

  const header = ['#', 'measure', 'ratio', 'bar', 'result', 'raw figures'];
  const table = [header, ...result.rows.map((row) => [row.row, row.measure, row.value ?? '—', row.bar, row.result, row.detail].map(String))];
  const widths = header.map((_, i) => Math.max(...table.map((cells) => cells[i].length)));
  const line = (cells) => `| ${cells.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`;
  const out = [
    `graphql-jwt-auth bench, ${result.date}, ${result.mode}, ${result.machine.cores} cores, node ${result.machine.node}, bcrypt cost ${S.cost}, ${result.seconds} s`,
    line(header),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...table.slice(1).map(line),
  ].join('\n');
  process.stdout.write(`${out}\n`);

  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${result.date.replace(/[:.]/g, '-')}${smoke ? '-smoke' : ''}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`full result: ${file}\n`);
}

// ---------- the peer ----------

function peerMissing() {
  if (smoke) return 'smoke mode';
  if (!existsSync(PEER)) return `${PEER} not found`;
  if (spawnSync(WRK, ['--version']).error) return 'wrk is not installed (apt-get install -y wrk)';
  const check = spawnSync(PEER_PYTHON, ['-c', 'import flask, flask_sqlalchemy, jwt, bcrypt, gunicorn'], { encoding: 'utf8' });
  if (check.error || check.status !== 0) {
    return `Debian's python3 lacks the peer's packages (apt-get install -y python3-flask python3-flask-sqlalchemy python3-jwt python3-bcrypt gunicorn)`;
  }
  return null;
}

async function startPeer(peerEnv, workers) {
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const child = spawn(
    PEER_PYTHON,
    ['-m', 'gunicorn', '-w', String(workers), '-b', `127.0.0.1:${port}`, '--chdir', resolve(PEER, '..'), 'flask_peer:app'],
    { env: { PATH: process.env.PATH, ...peerEnv, JWT_SECRET: SECRET, BCRYPT_COST: String(S.cost) }, stdio: 'ignore' },
  );
  children.add(child);
  child.on('exit', () => children.delete(child));
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i += 1) {
    try {
      if ((await fetch(`${base}/health`)).ok) return { child, base };
    } catch {
      // not up yet
    }
    await sleep(100);
  }
  await stopChild(child);
  throw new Error('the Flask peer did not start');
}

let wrkScripts = 0;

/** wrk -t1 -c<connections> against one request, as a child process; resolves with requests per second, refuses a run with errors. */
function wrkAsync(name, request, seconds, connections = CONNECTIONS) {
  const script = join(scratch, `wrk-${(wrkScripts += 1)}.lua`);
  const headers = Object.entries(request.headers).map(([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`);
  writeFileSync(
    script,
    [`wrk.method = ${JSON.stringify(request.method)}`, ...headers, request.body ? `wrk.body = ${JSON.stringify(request.body)}` : ''].join('\n'),
  );
  return new Promise((resolvePromise, reject) => {
    const child = spawn(WRK, ['-t1', `-c${connections}`, `-d${Math.max(1, Math.round(seconds))}s`, '-s', script, request.url]);
    children.add(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (err += chunk));
    child.on('exit', (code) => {
      children.delete(child);
      const rate = /Requests\/sec:\s+([\d.]+)/.exec(out);
      if (code !== 0 || !rate) return reject(new Error(`${name}: wrk failed: ${err || out}`));
      if (/Non-2xx|Socket errors/.test(out)) return reject(new Error(`${name}: wrk saw errors:\n${out}`));
      resolvePromise(Math.round(Number(rate[1])));
    });
  });
}

const wrk = (name, request, seconds) => wrkAsync(name, request, seconds);

/** Several wrk runs at once (one per instance), summed: the load a balancer in front of them would spread. */
async function wrkAll(name, requests, seconds) {
  const each = Math.max(1, Math.round(CONNECTIONS / requests.length));
  const rates = await Promise.all(requests.map((request, i) => wrkAsync(`${name} ${i}`, request, seconds, each)));
  return rates.reduce((sum, rate) => sum + rate, 0);
}

/** The same users in the peer's SQLite database: it creates its table on start; we fill it like ours. */
async function seedPeerSqlite(peerEnv, hash) {
  const db = new Database(peerEnv.PEER_DB);
  const insert = db.prepare('insert into user (public_id, name, email, password) values (?, ?, ?, ?)');
  db.transaction(() => {
    for (let i = 0; i < S.users; i += 1) insert.run(randomUUID(), `Seeded ${i}`, `seeded${i}@example.com`, hash);
  })();
  db.close();
}

/** The peer against `ourMe` (a request to our server, already running), each with PROCESSES workers. */
async function comparePeer(peerEnv, seedPeer, hash, ourMe) {
  const missing = peerMissing();
  if (missing) return { skipped: missing };
  const workers = PROCESSES;
  const peer = await startPeer(peerEnv, workers);
  try {
    await seedPeer(peerEnv, hash);
    const signup = await fetch(`${peer.base}/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Bench', email: 'bench@example.com', password: PASSWORD }),
    });
    const peerToken = (await signup.json()).token;
    const peerMe = { url: `${peer.base}/me`, method: 'GET', headers: { authorization: `Bearer ${peerToken}` } };
    if (!(await fetch(peerMe.url, { headers: peerMe.headers })).ok) throw new Error('the peer refused its own token');

    // wrk for both sides: gunicorn's sync workers close every connection, which autocannon counts as errors.
    await wrk('warm-up ours', ourMe, S.warmSeconds);
    await wrk('warm-up peer', peerMe, S.warmSeconds);
    const oursRuns = [];
    const theirs = [];
    for (let i = 0; i < S.pairs; i += 1) {
      oursRuns.push(await wrk('ours', ourMe, S.pairSeconds));
      theirs.push(await wrk('peer', peerMe, S.pairSeconds));
    }
    const pairRatios = oursRuns.map((ours_, i) => round(ours_ / theirs[i]));
    return { workers, oursRuns, theirsRuns: theirs, pairRatios, ours: median(oursRuns), theirs: median(theirs), ratio: median(pairRatios) };
  } finally {
    await stopChild(peer.child);
  }
}

// ---------- PostgreSQL ----------

async function postgresAdmin(work) {
  const client = new Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function databaseUrl(name) {
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return url.href;
}

/** Rows 9-11 on a scratch database (and one for the peer), dropped afterwards. */
async function postgresRows(hash, sqliteCluster, token, ME) {
  const reachable = await postgresAdmin(async () => true).catch(() => false);
  if (!reachable) return { skipped: `no PostgreSQL answers at ${new URL(POSTGRES_URL).host} (BENCH_POSTGRES_URL)` };
  const name = `bench_${randomBytes(4).toString('hex')}`;
  const peerName = `${name}_peer`;
  await postgresAdmin(async (client) => {
    await client.query(`create database "${name}"`);
    await client.query(`create database "${peerName}"`);
  });
  const instances = [];
  try {
    log(`seeding ${S.users} users on PostgreSQL`);
    await seed({ DATABASE_URL: databaseUrl(name) }, S.users, hash);
    for (let i = 0; i < PROCESSES; i += 1) instances.push(await startServer(`pg-${i}`, { DATABASE_URL: databaseUrl(name), WEB_CONCURRENCY: '1' }));
    const [a, b] = instances;
    // The SQLite cluster's user signs up here too: the same account, the same shape of token.
    const pgToken = (await graphql(a.url, 'mutation($input: SignupInput!) { signup(input: $input) { accessToken } }', {
      input: { name: 'Bench', email: 'bench@example.com', password: PASSWORD },
    })).signup.accessToken;
    const pgMe = instances.map((instance) => gqlRequest(instance.url, ME, {}, pgToken));
    const sqliteMe = instances.map(() => gqlRequest(sqliteCluster.url, ME, {}, token));
    await wrkAll('warm-up postgres', pgMe, S.warmSeconds);
    await wrkAll('warm-up sqlite', sqliteMe, S.warmSeconds);

    log(`row 9: me on ${PROCESSES} PostgreSQL instances vs the SQLite cluster, alternating`);
    const postgresRuns = [];
    const sqliteRuns = [];
    for (let i = 0; i < S.pairs; i += 1) {
      postgresRuns.push(await wrkAll('postgres', pgMe, S.pairSeconds));
      sqliteRuns.push(await wrkAll('sqlite', sqliteMe, S.pairSeconds));
    }
    const pairRatios = postgresRuns.map((run, i) => round(run / sqliteRuns[i]));
    const vsSqlite = { postgresRuns, sqliteRuns, pairRatios, postgres: median(postgresRuns), sqlite: median(sqliteRuns), ratio: median(pairRatios) };

    log('row 11: revocation propagation, logout on A until B refuses');
    const delays = [];
    const LOGIN = 'mutation($input: LoginInput!) { login(input: $input) { accessToken } }';
    for (let i = 0; i < (smoke ? 5 : 50); i += 1) {
      const session = (await graphql(a.url, LOGIN, { input: { email: 'bench@example.com', password: PASSWORD } })).login.accessToken;
      for (let k = 0; k < 2; k += 1) await graphql(b.url, ME, {}, session);
      await graphql(a.url, 'mutation { logout }', {}, session);
      const loggedOut = performance.now();
      for (;;) {
        const res = await fetch(b.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${session}` }, body: JSON.stringify({ query: ME }) });
        await res.text();
        if (res.status === 401) break;
        if (performance.now() - loggedOut > 5000) throw new Error('B still accepted a token 5 s after its logout on A');
      }
      delays.push(performance.now() - loggedOut);
    }
    const sorted = [...delays].sort((x, y) => x - y);
    const revocation = {
      samples: delays.length,
      p50Ms: round(median(delays), 1),
      p99Ms: round(sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)], 1),
      maxMs: round(sorted.at(-1), 1),
    };
    await Promise.all(instances.splice(0).map((instance) => stopChild(instance.child)));

    log(`row 10: me on PostgreSQL (WEB_CONCURRENCY=${PROCESSES}) vs the Flask peer on PostgreSQL`);
    const ours = await startServer('pg-cluster', { DATABASE_URL: databaseUrl(name), WEB_CONCURRENCY: String(PROCESSES) });
    instances.push(ours);
    const peerEnv = { PEER_DATABASE_URL: databaseUrl(peerName).replace(/^postgres(ql)?:/, 'postgresql+psycopg2:') };
    const peer = await comparePeer(peerEnv, seedPeerPostgres(peerName), hash, gqlRequest(ours.url, ME, {}, pgToken)).catch((error) => ({
      skipped: `the peer run failed: ${error.message}`,
    }));
    return { vsSqlite, revocation, peer };
  } finally {
    await Promise.all(instances.map((instance) => stopChild(instance.child)));
    await postgresAdmin(async (client) => {
      await client.query(`drop database if exists "${name}" with (force)`);
      await client.query(`drop database if exists "${peerName}" with (force)`);
    }).catch(() => undefined);
  }
}

/** The same users in the peer's PostgreSQL database (its table, "user", made when it started). */
function seedPeerPostgres(peerName) {
  return async (_peerEnv, hash) => {
    const client = new Client({ connectionString: databaseUrl(peerName) });
    await client.connect();
    try {
      await client.query('begin');
      const batch = 1000;
      for (let from = 0; from < S.users; from += batch) {
        const rows = [];
        const params = [];
        for (let i = from; i < Math.min(S.users, from + batch); i += 1) {
          const n = params.length;
          rows.push(`($${n + 1}, $${n + 2}, $${n + 3}, $${n + 4})`);
          params.push(randomUUID(), `Seeded ${i}`, `seeded${i}@example.com`, hash);
        }
        await client.query(`insert into "user" (public_id, name, email, password) values ${rows.join(', ')}`, params);
      }
      await client.query('commit');
    } finally {
      await client.end();
    }
  };
}

async function cleanUp() {
  await Promise.all([...children].map(stopChild));
  rmSync(scratch, { recursive: true, force: true });
}

process.on('SIGINT', () => cleanUp().then(() => process.exit(130)));
main()
  .then(cleanUp)
  .catch(async (error) => {
    process.stderr.write(`bench failed: ${error.stack ?? error}\n`);
    await cleanUp();
    process.exit(1);
  });
