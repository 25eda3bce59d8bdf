// npm run keys:generate -- --alg ES256|RS256 [--bits 3072] [--dir ./keys]
// npm run keys:rotate [-- --kid <kid>] [--dir ./keys]
// npm run keys:list [-- --dir ./keys]
// The keys directory is JWT_KEYS_DIR (default ./keys); see auth/key-dir.ts for its layout.
// The server reads it at start-up: restart it after generate or rotate.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ASYMMETRIC_ALGORITHMS, ConfigError, toolSettings, type AsymmetricAlgorithm } from '../config';
import { activateKey, DEFAULT_KEYS_DIR, generateKey, readKeyDir } from '../tokens/key-dir';
import { KeyProblem } from '../tokens/private-keys';

const USAGE = [
  'Usage: npm run keys:generate -- --alg ES256|RS256 [--bits 2048] [--dir <keys dir>]',
  '       npm run keys:rotate [-- --kid <kid>] [--dir <keys dir>]',
  '       npm run keys:list [-- --dir <keys dir>]',
  `The keys dir defaults to JWT_KEYS_DIR, else ${DEFAULT_KEYS_DIR}.`,
].join('\n');

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Notes for the person at the terminal; stdout keeps what a script wants (the kid, the table). */
function note(line: string): void {
  process.stderr.write(`${line}\n`);
}

type Options = { dir?: string; alg?: string; bits?: string; kid?: string };

function generate(dir: string, options: Options): void {
  const alg = options.alg?.toUpperCase();
  if (!alg || !(ASYMMETRIC_ALGORITHMS as readonly string[]).includes(alg)) {
    fail(`--alg must be one of ${ASYMMETRIC_ALGORITHMS.join(', ')}\n${USAGE}`);
  }
  if (options.bits !== undefined && alg !== 'RS256') fail('--bits is for RS256 keys only');
  if (options.bits !== undefined && !/^\d+$/.test(options.bits)) fail(`--bits must be a whole number, got "${options.bits}"`);
  const { key, activated } = generateKey(dir, alg as AsymmetricAlgorithm, { rsaBits: options.bits ? Number(options.bits) : undefined });
  say(key.kid);
  note(`Wrote ${key.alg} key ${key.kid} to ${join(dir, key.file)} (mode 0600).`);
  if (activated) {
    note(`It is the active signing key: start the server with JWT_ALGORITHM=${key.alg} JWT_KEYS_DIR=${dir}`);
  } else {
    note('It only verifies for now. Restart the server to publish it in /.well-known/jwks.json; once verifiers');
    note('have fetched it (JWT_JWKS_MAX_AGE), make it sign with: npm run keys:rotate, and restart again.');
  }
}

function rotate(dir: string, options: Options): void {
  const contents = readKeyDir(dir);
  if (contents.keys.length === 0) fail(`${dir} holds no keys; create one with: npm run keys:generate -- --alg ES256`);
  const next = options.kid === undefined ? contents.keys[0] : contents.keys.find((key) => key.kid === options.kid);
  if (!next) fail(`${dir} has no key with kid ${options.kid}; see npm run keys:list`);
  const previous = contents.keys.find((key) => key.kid === contents.activeKid);
  if (previous === next) {
    say(`${next.kid} (${next.alg}) is already the active key; nothing changed.`);
    return;
  }
  activateKey(dir, next.kid);
  say(`Active key is now ${next.kid} (${next.alg}, created ${next.created.toISOString()}). Restart the server to sign with it.`);
  if (previous) {
    const graceSeconds = toolSettings.tokenGraceSeconds();
    const until = new Date(Date.now() + graceSeconds * 1000).toISOString();
    say(`${previous.kid} (${previous.alg}) now only verifies. Its last tokens expire by ${until}`);
    say(`(JWT_ACCESS_TTL + JWT_CLOCK_TOLERANCE = ${graceSeconds}s); after that, delete ${join(dir, previous.file)} and restart.`);
  }
}

function list(dir: string): void {
  const { keys, activeKid } = readKeyDir(dir);
  if (keys.length === 0) {
    note(`${dir} holds no keys; create one with: npm run keys:generate -- --alg ES256`);
    return;
  }
  const rows = [['kid', 'alg', 'created', 'active'], ...keys.map((key) => [key.kid, key.alg, key.created.toISOString(), key.kid === activeKid ? 'yes' : 'no'])];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  for (const row of rows) say(row.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd());
}

function main(): void {
  const [command, ...rest] = process.argv.slice(2);
  // A kid is base64url, so one in 64 starts with '-', which parseArgs would refuse as an ambiguous
  // option value: read `--kid <kid>` as `--kid=<kid>`.
  const args: string[] = [];
  for (let i = 0; i < rest.length; i += 1) {
    if (rest[i] === '--kid' && i + 1 < rest.length) args.push(`--kid=${rest[++i]}`);
    else args.push(rest[i]);
  }
  let options: Options;
  try {
    ({ values: options } = parseArgs({
      args,
      options: { dir: { type: 'string' }, alg: { type: 'string' }, bits: { type: 'string' }, kid: { type: 'string' } },
      strict: true,
    }));
  } catch (error) {
    fail(`${(error as Error).message}\n${USAGE}`);
  }
  const allowed: Record<string, string[]> = { generate: ['dir', 'alg', 'bits'], rotate: ['dir', 'kid'], list: ['dir'] };
  const stray = Object.keys(options).find((name) => !(allowed[command] ?? []).includes(name));
  if (stray) fail(`--${stray} does not apply to ${command ?? 'this command'}\n${USAGE}`);
  const dir = options.dir ?? toolSettings.keysDir() ?? DEFAULT_KEYS_DIR;
  try {
    if (command === 'generate') return generate(dir, options);
    if (command === 'rotate') return rotate(dir, options);
    if (command === 'list') return list(dir);
    fail(USAGE);
  } catch (error) {
    if (error instanceof KeyProblem) fail(error.message);
    if (error instanceof ConfigError) fail(`Configuration error: ${error.message}`);
    throw error;
  }
}

try {
  main();
} catch (error) {
  fail(`Failed: ${error instanceof Error ? error.message : String(error)}`);
}
