// The keys:* commands run as real processes (the compiled dist/cli/keys.js, as npm run does), and a
// rotation carried out with them against the real server: nobody is logged out, and the JWKS follows.
import { spawnSync } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { calculateJwkThumbprint, createRemoteJWKSet, jwtVerify, type JWK } from 'jose';
import { TestClock } from '../helpers/clock';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { decodeHeader } from '../helpers/jwt';
import { privatePem } from '../helpers/keys';
import { childEnv, MAIN, startServerProcess, stop } from '../helpers/process';
import { errorOf, signUp, startTestServer, type SignedUp, type TestServer } from '../helpers/server';

const root = resolve(__dirname, '../..');
const KEYS_CLI = resolve(root, 'dist/cli/keys.js');

let scratch: string;
let dir: string;
let database: TestDatabase;
beforeEach(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'keys-cli-'));
  dir = join(scratch, 'keys');
  database = await createTestDatabase();
});
afterEach(async () => {
  rmSync(scratch, { recursive: true, force: true });
  await database.drop();
});

function keys(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [KEYS_CLI, ...args], { cwd: scratch, env: childEnv(database, env), encoding: 'utf8' });
}

function generate(alg: string): string {
  const result = keys(['generate', '--alg', alg, '--dir', dir]);
  expect(result.status).toBe(0);
  return result.stdout.trim();
}

/** The kid of a key file, computed by jose from the file alone. */
async function thumbprintOfFile(file: string): Promise<string> {
  const jwk = createPublicKey(readFileSync(join(dir, file), 'utf8')).export({ format: 'jwk' }) as JWK;
  return calculateJwkThumbprint(jwk);
}

describe('npm run keys:generate', () => {
  it.each(['ES256', 'RS256'])('writes a %s key with mode 0600 into a new 0700 directory, prints its kid, and makes it active', async (alg) => {
    const result = keys(['generate', '--alg', alg, '--dir', dir]);
    expect(result.status).toBe(0);
    const kid = result.stdout.trim();
    expect(kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(result.stderr).toContain(`It is the active signing key: start the server with JWT_ALGORITHM=${alg} JWT_KEYS_DIR=${dir}`);

    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const [file] = readdirSync(dir).filter((name) => name.endsWith('.pem'));
    expect(file).toMatch(new RegExp(`^\\d{8}T\\d{9}Z\\.${kid}\\.pem$`));
    expect(statSync(join(dir, file)).mode & 0o777).toBe(0o600);
    expect(await thumbprintOfFile(file)).toBe(kid);
    expect(readFileSync(join(dir, 'active'), 'utf8').trim()).toBe(kid);
  });

  it('adds a later key as verify-only, and says how to make it sign', () => {
    const first = generate('ES256');
    const result = keys(['generate', '--alg', 'ES256', '--dir', dir]);
    expect(result.stdout.trim()).not.toBe(first);
    expect(result.stderr).toContain('It only verifies for now');
    expect(readFileSync(join(dir, 'active'), 'utf8').trim()).toBe(first);
  });

  it('uses JWT_KEYS_DIR when there is no --dir', () => {
    const result = keys(['generate', '--alg', 'ES256'], { JWT_KEYS_DIR: dir });
    expect(result.status).toBe(0);
    expect(readdirSync(dir)).toContain('active');
  });

  it.each([
    ['no --alg', ['generate'], /--alg must be one of RS256, ES256/],
    ['--alg HS256', ['generate', '--alg', 'HS256'], /--alg must be one of RS256, ES256/],
    ['a 1024-bit RSA key', ['generate', '--alg', 'RS256', '--bits', '1024'], /RSA keys must have at least 2048 bits, not 1024/],
    ['--bits for ES256', ['generate', '--alg', 'ES256', '--bits', '4096'], /--bits is for RS256 keys only/],
    ['an unknown flag', ['generate', '--alg', 'ES256', '--force'], /Unknown option '--force'/],
    ['an unknown command', ['delete'], /Usage: npm run keys:generate/],
    ['a flag of another command', ['list', '--alg', 'ES256'], /--alg does not apply to list/],
    ['listing a directory that does not exist', ['list'], /is not a directory/],
    ['rotating to a kid that does not exist', ['rotate', '--kid', 'nope'], /has no key with kid nope/],
  ])('exits 1 with a clear message on %s', (_name, args, message) => {
    if (args[0] === 'rotate') generate('ES256');
    const result = keys([...args, '--dir', dir]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(message);
  });
});

describe('npm run keys:list and keys:rotate', () => {
  it('lists kid, alg, created and active, newest first', () => {
    const older = generate('ES256');
    const newer = generate('RS256');
    const lines = keys(['list', '--dir', dir]).stdout.trim().split('\n');
    expect(lines[0].split(/\s+/)).toEqual(['kid', 'alg', 'created', 'active']);
    expect(lines[1].split(/\s+/)).toEqual([newer, 'RS256', expect.stringMatching(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/), 'no']);
    expect(lines[2].split(/\s+/)).toEqual([older, 'ES256', expect.any(String), 'yes']);
  });

  it('makes the newest key active, says the old one now only verifies and when to delete it', () => {
    const older = generate('ES256');
    const newer = generate('ES256');
    const result = keys(['rotate', '--dir', dir], { JWT_ACCESS_TTL: '1h' });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`Active key is now ${newer} (ES256`);
    expect(result.stdout).toContain(`${older} (ES256) now only verifies`);
    expect(result.stdout).toContain('(JWT_ACCESS_TTL + JWT_CLOCK_TOLERANCE = 3600s)');
    expect(readFileSync(join(dir, 'active'), 'utf8').trim()).toBe(newer);

    const again = keys(['rotate', '--dir', dir]);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('is already the active key; nothing changed');
  });

  it('takes a kid that starts with a dash (one in 64 do) after --kid', () => {
    generate('ES256');
    const result = keys(['rotate', '--kid', '-NoSuchKid', '--dir', dir]);
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 1, stderr: expect.stringContaining('has no key with kid -NoSuchKid') });
  });

  it('rolls back to a named key with --kid', () => {
    const older = generate('ES256');
    generate('ES256');
    keys(['rotate', '--dir', dir]);
    expect(keys(['rotate', '--kid', older, '--dir', dir]).status).toBe(0);
    expect(readFileSync(join(dir, 'active'), 'utf8').trim()).toBe(older);
  });
});

describe('a rotation with the server', () => {
  async function jwksKids(server: TestServer): Promise<string[]> {
    const { keys: published } = (await (await fetch(`${server.baseUrl}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> };
    return published.map((key) => key.kid);
  }

  it('keeps old tokens working until they expire, stops them once their key is removed, and the JWKS follows', async () => {
    const clock = new TestClock(Date.now());
    const env = { JWT_ALGORITHM: 'ES256', JWT_KEYS_DIR: dir, JWT_SECRET: '', ...database.env };
    const me = (server: TestServer, user: SignedUp) => server.graphql('{ me { id } }', {}, { token: user.token });
    let server: TestServer | undefined;
    const restart = async () => {
      await server?.close();
      server = await startTestServer(env, clock);
      return server;
    };
    try {
      // 1. One key, A: it signs and is the only one published.
      const a = generate('ES256');
      let s = await restart();
      const alice = await signUp(s);
      expect(decodeHeader(alice.token).kid).toBe(a);
      expect(await jwksKids(s)).toEqual([a]);

      // 2. B is made: published before it signs, so verifiers can fetch it first; A still signs.
      const b = generate('ES256');
      s = await restart();
      expect(await jwksKids(s)).toEqual([a, b]);
      expect(decodeHeader((await signUp(s)).token).kid).toBe(a);

      // 3. Rotate: B signs; A only verifies, so Alice stays logged in.
      expect(keys(['rotate', '--dir', dir]).status).toBe(0);
      s = await restart();
      expect(await jwksKids(s)).toEqual([b, a]);
      const bob = await signUp(s);
      expect(decodeHeader(bob.token).kid).toBe(b);
      expect((await me(s, alice)).body.data).toEqual({ me: { id: alice.id } });
      // An independent verifier follows the JWKS too: both tokens verify against it.
      const jwks = createRemoteJWKSet(new URL(`${s.baseUrl}/.well-known/jwks.json`));
      for (const token of [alice.token, bob.token]) await jwtVerify(token, jwks, { algorithms: ['ES256'] });

      // 4. Alice's A token works until it expires, like any token, and not a second longer.
      clock.advance(s.config.jwt.accessTtlSeconds - 1);
      expect((await me(s, alice)).body.data).toEqual({ me: { id: alice.id } });
      clock.advance(1);
      expect(errorOf(await me(s, alice))).toEqual({ code: 'UNAUTHENTICATED', reason: 'TOKEN_EXPIRED' });
      clock.advance(-s.config.jwt.accessTtlSeconds);

      // 5. A is removed: its tokens stop at once (even unexpired ones), B's go on, and A leaves the JWKS.
      const aFile = readdirSync(dir).find((name) => name.includes(a));
      rmSync(join(dir, aFile!));
      s = await restart();
      expect(await jwksKids(s)).toEqual([b]);
      expect(errorOf(await me(s, alice))).toEqual({ code: 'UNAUTHENTICATED', reason: 'TOKEN_INVALID' });
      expect((await me(s, bob)).body.data).toEqual({ me: { id: bob.id } });
    } finally {
      await server?.close();
    }
  });
});

describe('npm start (dist/main.js) with signing keys', () => {
  function start(env: Record<string, string>) {
    return spawnSync(process.execPath, [MAIN], {
      cwd: scratch,
      env: childEnv(database, env),
      encoding: 'utf8',
      timeout: 15_000,
    });
  }

  it('refuses an RSA key under 2048 bits at start-up, naming the variable and never printing the key', () => {
    const pem = privatePem('rsa-1024');
    writeFileSync(join(scratch, 'weak.pem'), pem, { mode: 0o600 });
    const sources: Record<string, string>[] = [{ JWT_PRIVATE_KEY_FILE: join(scratch, 'weak.pem') }, { JWT_PRIVATE_KEY: pem }];
    for (const env of sources) {
      const result = start({ JWT_ALGORITHM: 'RS256', ...env });
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(/^Configuration error: JWT_PRIVATE_KEY(_FILE)?: .*1024-bit RSA key; RSA keys must have at least 2048 bits/);
      expect(result.stderr + result.stdout).not.toContain(pem.split('\n')[1]);
    }
  });

  it('refuses RS256 with no key, naming JWT_ALGORITHM and how to make one', () => {
    const result = start({ JWT_ALGORITHM: 'RS256' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Configuration error: JWT_ALGORITHM: RS256 needs a private key: set JWT_KEYS_DIR');
  });
});

describe('npm start (dist/main.js) from a keys directory', () => {
  it('starts in production with no JWT_SECRET, logs the signing kid, makes no dev secret, and serves the JWKS', async () => {
    const kid = generate('ES256');
    const server = await startServerProcess(scratch, database, { NODE_ENV: 'production', MAIL_DISABLED: 'true', JWT_ALGORITHM: 'ES256', JWT_KEYS_DIR: dir });
    try {
      const ready = server.lines().find((line) => line.msg === 'ready')!;
      expect(ready).toMatchObject({ algorithm: 'ES256', kid });
      expect(existsSync(join(scratch, 'data/dev-jwt-secret'))).toBe(false);
      const jwks = await fetch(String(ready.url).replace('/graphql', '/.well-known/jwks.json'));
      expect(((await jwks.json()) as { keys: Array<{ kid: string }> }).keys.map((key) => key.kid)).toEqual([kid]);
    } finally {
      expect(await stop(server.child)).toBe(0);
    }
  });

  it('warns while JWT_SECRET is kept beside a private key: HS256 tokens still verify', async () => {
    generate('RS256');
    const secret = 'the-old-hs256-secret-0123456789abcdef';
    const server = await startServerProcess(scratch, database, { JWT_ALGORITHM: 'RS256', JWT_KEYS_DIR: dir, JWT_SECRET: secret });
    try {
      // The warning is the line after "ready": it may arrive after the start resolved.
      await server.waitForOutput(/"level":40,/, 1);
      expect(server.lines()).toContainEqual(expect.objectContaining({ level: 40, msg: expect.stringContaining('HS256 tokens still verify') }));
      expect(JSON.stringify(server.lines())).not.toContain(secret);
    } finally {
      await stop(server.child);
    }
  });
});
