// The keys directory (JWT_KEYS_DIR): several private keys, one of them active for signing.
//
//   <dir>/20261123T112000123Z.<kid>.pem   one PKCS#8 private key per file, mode 0600; the name carries
//                                         when it was made and its RFC 7638 thumbprint
//   <dir>/active                          the kid of the key that signs; every other key only verifies
//
// The server reads it once at start-up; the keys:* commands write it.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AsymmetricAlgorithm } from '../config';
import { jwkThumbprint } from './jwk';
import { exposedSecretProblem } from '../shared/private-files';
import { algorithmForKey, KeyProblem, MIN_RSA_BITS, parsePrivateKeyPem } from './private-keys';

export const ACTIVE_FILE = 'active';
export const DEFAULT_KEYS_DIR = './keys';
const KEY_FILE = /^(\d{8}T\d{9}Z)\.([A-Za-z0-9_-]{43})\.pem$/;

export interface StoredKey {
  readonly file: string;
  readonly kid: string;
  readonly alg: AsymmetricAlgorithm;
  readonly created: Date;
  readonly privateKey: KeyObject;
}

export interface KeyDirContents {
  /** Newest first. */
  readonly keys: readonly StoredKey[];
  readonly activeKid: string | undefined;
}

/** 2026-11-23T11:20:00.123Z → 20261123T112000123Z: sortable, and safe in a file name everywhere. */
function stamp(date: Date): string {
  return date.toISOString().replace(/[-:.]/g, '');
}

function unstamp(text: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z$/.exec(text);
  return m ? new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${m[7]}Z`) : new Date(NaN);
}

/** Read and parse every key in the directory. Throws a KeyProblem naming the directory or file at fault. */
export function readKeyDir(dir: string): KeyDirContents {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new KeyProblem(`${dir} is not a directory; create a key in it with: npm run keys:generate -- --alg ES256`);
  }
  const keys: StoredKey[] = [];
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith('.pem')) continue;
    const name = KEY_FILE.exec(file);
    if (!name) throw new KeyProblem(`${join(dir, file)} is not named <created>.<kid>.pem; add keys with npm run keys:generate`);
    const where = join(dir, file);
    const problem = existsSync(where) ? exposedSecretProblem(where) : undefined;
    if (problem) throw new KeyProblem(problem);
    let privateKey: KeyObject;
    let alg: AsymmetricAlgorithm;
    try {
      privateKey = parsePrivateKeyPem(readFileSync(where, 'utf8'));
      alg = algorithmForKey(privateKey);
    } catch (error) {
      if (error instanceof KeyProblem) throw new KeyProblem(`${where} ${error.message}`);
      throw new KeyProblem(`${where} cannot be read (${(error as { code?: string }).code ?? 'error'})`);
    }
    const kid = jwkThumbprint(privateKey);
    if (kid !== name[2]) throw new KeyProblem(`${where} holds a key whose kid is ${kid}, not the one in its name`);
    keys.push({ file, kid, alg, created: unstamp(name[1]), privateKey });
  }
  keys.reverse();

  const activePath = join(dir, ACTIVE_FILE);
  const activeKid = existsSync(activePath) ? readFileSync(activePath, 'utf8').trim() : undefined;
  if (activeKid !== undefined && !keys.some((key) => key.kid === activeKid)) {
    throw new KeyProblem(`${activePath} names kid ${activeKid}, which has no key file in ${dir}`);
  }
  return { keys, activeKid };
}

/** The key that signs. Throws a KeyProblem when there is none. */
export function activeKey(dir: string, contents: KeyDirContents): StoredKey {
  if (contents.keys.length === 0) throw new KeyProblem(`${dir} holds no keys; create one with: npm run keys:generate -- --alg ES256`);
  const active = contents.keys.find((key) => key.kid === contents.activeKid);
  if (!active) throw new KeyProblem(`${dir} has no active key; choose the newest with: npm run keys:rotate`);
  return active;
}

/** Make `kid` the signing key. Atomic: a reader sees the old or the new id, never half of one. */
export function activateKey(dir: string, kid: string): void {
  const temporary = join(dir, `${ACTIVE_FILE}.tmp`);
  writeFileSync(temporary, `${kid}\n`, { mode: 0o600 });
  renameSync(temporary, join(dir, ACTIVE_FILE));
}

export interface GeneratedKey {
  readonly key: StoredKey;
  /** True when no key was active yet (a new directory), so this one was made active at once. */
  readonly activated: boolean;
}

/**
 * Make a new private key in the directory (created with mode 0700; the key file 0600). It only verifies
 * until keys:rotate makes it active, unless no key was active yet: the first key signs at once.
 */
export function generateKey(dir: string, alg: AsymmetricAlgorithm, options: { now?: Date; rsaBits?: number } = {}): GeneratedKey {
  const rsaBits = options.rsaBits ?? MIN_RSA_BITS;
  if (rsaBits < MIN_RSA_BITS) throw new KeyProblem(`RSA keys must have at least ${MIN_RSA_BITS} bits, not ${rsaBits}`);
  const { privateKey } =
    alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: rsaBits, publicExponent: 0x10001 })
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });

  const existing = existsSync(dir) ? readKeyDir(dir) : undefined;
  if (!existing) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
  }
  const created = options.now ?? new Date();
  const kid = jwkThumbprint(privateKey);
  const file = `${stamp(created)}.${kid}.pem`;
  const path = join(dir, file);
  writeFileSync(path, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);

  const activated = existing?.activeKid === undefined;
  if (activated) activateKey(dir, kid);
  return { key: { file, kid, alg, created, privateKey }, activated };
}
