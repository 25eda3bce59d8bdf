// npm run bench:jwt — the cost of signing and verifying one access token with each algorithm,
// through the server's own token service (dist/, built by the npm script), keys made once as at start-up.
// Per algorithm and operation: a warm-up, then a timed loop of about BENCH_JWT_MS milliseconds (default 400).
const { generateKeyPairSync, randomBytes } = require('node:crypto');
const { availableParallelism } = require('node:os');
const { loadConfig } = require('../dist/config');
const { createTokenService } = require('../dist/tokens/access-tokens');

const TIMED_MS = Number(process.env.BENCH_JWT_MS ?? 400);
const USER = { id: '6f1d3c1e-3a4b-4c5d-8e9f-0a1b2c3d4e5f', role: 'USER' };
const clock = { now: () => Date.now() };

function pem(type, options) {
  return generateKeyPairSync(type, options).privateKey.export({ type: 'pkcs8', format: 'pem' });
}

const SETUPS = {
  HS256: { JWT_SECRET: randomBytes(48).toString('base64url') },
  RS256: { JWT_ALGORITHM: 'RS256', JWT_PRIVATE_KEY: pem('rsa', { modulusLength: 2048 }) },
  ES256: { JWT_ALGORITHM: 'ES256', JWT_PRIVATE_KEY: pem('ec', { namedCurve: 'P-256' }) },
};

/** Microseconds per call of fn: warm up, then run for about TIMED_MS, checking the clock every batch. */
function microsPerOp(fn) {
  for (let i = 0; i < 200; i += 1) fn();
  let ops = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(TIMED_MS) * 1_000_000n;
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < 50; i += 1) fn();
    ops += 50;
    now = process.hrtime.bigint();
  }
  return { micros: Number(now - start) / 1000 / ops, ops };
}

const rows = [];
for (const [alg, env] of Object.entries(SETUPS)) {
  const tokens = createTokenService(loadConfig({ ...env, NODE_ENV: 'test' }).jwt, clock);
  const token = tokens.signAccessToken(USER).token;
  if (!tokens.verifyAccessToken(token).ok) throw new Error(`${alg}: the service refused its own token`);
  const sign = microsPerOp(() => tokens.signAccessToken(USER));
  const verify = microsPerOp(() => tokens.verifyAccessToken(token));
  rows.push({ alg, sign, verify, tokenBytes: token.length });
}

const fmt = (n) => n.toFixed(1).padStart(8);
process.stdout.write(`node ${process.version}, ${availableParallelism()} cores, ~${TIMED_MS} ms per measurement\n`);
process.stdout.write('alg      sign µs/op  verify µs/op  sign/s   verify/s  token bytes\n');
for (const { alg, sign, verify, tokenBytes } of rows) {
  process.stdout.write(
    `${alg.padEnd(8)} ${fmt(sign.micros)}    ${fmt(verify.micros)}     ${String(Math.round(1e6 / sign.micros)).padStart(6)}   ${String(
      Math.round(1e6 / verify.micros),
    ).padStart(7)}   ${String(tokenBytes).padStart(5)}\n`,
  );
}
