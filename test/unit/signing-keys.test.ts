import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jwkThumbprint } from '../../src/tokens/jwk';
import { activateKey, generateKey } from '../../src/tokens/key-dir';
import { loadKeySet } from '../../src/tokens/signing-keys';
import { ConfigError, loadConfig } from '../../src/config';
import { configErrorOf } from '../helpers/config-error';
import { keyPair, privatePem, publicPem } from '../helpers/keys';

const SECRET = 's'.repeat(40);
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];

let scratch: string;
beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), 'signing-keys-'));
});
afterEach(() => rmSync(scratch, { recursive: true, force: true }));

function keysFor(env: Record<string, string>) {
  return loadKeySet(loadConfig(env).jwt);
}

const failure = (env: Record<string, string>): ConfigError => configErrorOf(() => keysFor(env));

function writePem(pem: string): string {
  const path = join(scratch, 'key.pem');
  writeFileSync(path, pem, { mode: 0o600 });
  return path;
}

describe('HS256', () => {
  it('signs with the secret under its thumbprint, verifies tokens without a kid, and publishes nothing', () => {
    const keys = keysFor({ JWT_SECRET: SECRET });
    expect(keys.signing.alg).toBe('HS256');
    expect(keys.signing.kid).toBe(jwkThumbprint(keys.signing.key));
    expect(keys.withoutKid?.kid).toBe(keys.signing.kid);
    expect([...keys.byKid.keys()]).toEqual([keys.signing.kid]);
    expect(keys.jwks).toEqual({ keys: [] });
  });
});

describe.each([
  ['RS256', 'rsa'],
  ['ES256', 'ec'],
] as const)('%s from one key', (alg, kind) => {
  it('reads PEM text from JWT_PRIVATE_KEY', () => {
    const keys = keysFor({ JWT_ALGORITHM: alg, JWT_PRIVATE_KEY: privatePem(kind) });
    const kid = jwkThumbprint(keyPair(kind).publicKey);
    expect(keys.signing).toMatchObject({ kid, alg });
    expect(keys.signing.key.type).toBe('private');
    expect(keys.byKid.get(kid)?.key.type).toBe('public');
    expect(keys.withoutKid).toBeUndefined();
    expect(keys.jwks.keys).toEqual([expect.objectContaining({ kid, alg, use: 'sig' })]);
  });

  it('reads a PEM file from JWT_PRIVATE_KEY_FILE', () => {
    const keys = keysFor({ JWT_ALGORITHM: alg, JWT_PRIVATE_KEY_FILE: writePem(privatePem(kind)) });
    expect(keys.signing.kid).toBe(jwkThumbprint(keyPair(kind).publicKey));
  });

  it('publishes no private member in the JWKS', () => {
    const keys = keysFor({ JWT_ALGORITHM: alg, JWT_PRIVATE_KEY: privatePem(kind), JWT_SECRET: SECRET });
    for (const jwk of keys.jwks.keys) {
      for (const member of PRIVATE_MEMBERS) expect(jwk).not.toHaveProperty(member);
    }
    expect(JSON.stringify(keys.jwks)).not.toContain(Buffer.from(SECRET).toString('base64url'));
  });
});

describe('key loading refuses', () => {
  it('an RSA key under 2048 bits in JWT_PRIVATE_KEY_FILE, naming the variable', () => {
    const error = failure({ JWT_ALGORITHM: 'RS256', JWT_PRIVATE_KEY_FILE: writePem(privatePem('rsa-1024')) });
    expect(error.variable).toBe('JWT_PRIVATE_KEY_FILE');
    expect(error.message).toMatch(/1024-bit RSA key; RSA keys must have at least 2048 bits/);
  });

  it('an RSA key under 2048 bits in JWT_PRIVATE_KEY', () => {
    const error = failure({ JWT_ALGORITHM: 'RS256', JWT_PRIVATE_KEY: privatePem('rsa-1024') });
    expect(error.variable).toBe('JWT_PRIVATE_KEY');
    expect(error.message).toContain('at least 2048 bits');
  });

  it.each([
    ['an EC key on P-384', () => privatePem('ec-p384'), /curve secp384r1; only P-256/],
    ['an Ed25519 key', () => privatePem('ed25519'), /ed25519 key; only RSA \(RS256\) and EC P-256 \(ES256\)/],
    ['a public key', () => publicPem('rsa'), /not a PEM private key/],
    ['text that is not PEM', () => 'not a key at all', /not a PEM private key/],
  ])('%s', (_name, pem, message) => {
    const error = failure({ JWT_ALGORITHM: 'ES256', JWT_PRIVATE_KEY: pem() });
    expect(error.variable).toBe('JWT_PRIVATE_KEY');
    expect(error.message).toMatch(message);
  });

  it('never puts key material in the message', () => {
    const pem = privatePem('rsa-1024');
    const body = pem.split('\n')[1];
    expect(failure({ JWT_ALGORITHM: 'RS256', JWT_PRIVATE_KEY: pem }).message).not.toContain(body);
    const garbled = pem.replace(/[A-Z]/g, 'x');
    expect(failure({ JWT_ALGORITHM: 'RS256', JWT_PRIVATE_KEY: garbled }).message).not.toContain(garbled.split('\n')[1]);
  });

  it('an algorithm that does not match the key', () => {
    const error = failure({ JWT_ALGORITHM: 'RS256', JWT_PRIVATE_KEY: privatePem('ec') });
    expect(error.variable).toBe('JWT_ALGORITHM');
    expect(error.message).toMatch(/is RS256, but the signing key from JWT_PRIVATE_KEY .* is an ES256 key/);
  });

  it('a key file that cannot be read', () => {
    const error = failure({ JWT_ALGORITHM: 'RS256', JWT_PRIVATE_KEY_FILE: join(scratch, 'missing.pem') });
    expect(error.variable).toBe('JWT_PRIVATE_KEY_FILE');
    expect(error.message).toContain('ENOENT');
  });
});

it('accepts a one-line PEM with literal \\n, as .env files carry it', () => {
  const oneLine = privatePem('ec').trim().replace(/\n/g, '\\n');
  expect(keysFor({ JWT_ALGORITHM: 'ES256', JWT_PRIVATE_KEY: oneLine }).signing.kid).toBe(jwkThumbprint(keyPair('ec').publicKey));
});

describe('migration from HS256', () => {
  it('with JWT_SECRET kept, HS256 tokens still verify, but only the private key signs and is published', () => {
    const keys = keysFor({ JWT_ALGORITHM: 'RS256', JWT_PRIVATE_KEY: privatePem('rsa'), JWT_SECRET: SECRET });
    expect(keys.signing.alg).toBe('RS256');
    expect(keys.withoutKid?.alg).toBe('HS256');
    expect(keys.byKid.get(keys.withoutKid!.kid)?.alg).toBe('HS256');
    expect(keys.jwks.keys.map((key) => key.alg)).toEqual(['RS256']);
  });
});

describe('JWT_KEYS_DIR', () => {
  const dir = () => join(scratch, 'keys');

  it('signs with the active key and verifies with every key, the active one first in the JWKS', () => {
    const first = generateKey(dir(), 'ES256', { now: new Date('2026-01-01T00:00:00Z') });
    const second = generateKey(dir(), 'RS256', { now: new Date('2026-02-01T00:00:00Z') });
    expect(first.activated).toBe(true);
    expect(second.activated).toBe(false);

    let keys = keysFor({ JWT_ALGORITHM: 'ES256', JWT_KEYS_DIR: dir() });
    expect(keys.signing.kid).toBe(first.key.kid);
    expect(keys.jwks.keys.map((key) => [key.kid, key.alg])).toEqual([
      [first.key.kid, 'ES256'],
      [second.key.kid, 'RS256'],
    ]);
    expect(keys.byKid.get(second.key.kid)?.alg).toBe('RS256');

    activateKey(dir(), second.key.kid);
    keys = keysFor({ JWT_ALGORITHM: 'RS256', JWT_KEYS_DIR: dir() });
    expect(keys.signing.kid).toBe(second.key.kid);
    expect(keys.jwks.keys.map((key) => key.kid)).toEqual([second.key.kid, first.key.kid]);
  });

  it.each([
    ['a directory that does not exist', () => undefined, /is not a directory; create a key in it with: npm run keys:generate/],
    ['an empty directory', () => mkdirSync(dir()), /holds no keys/],
    [
      'no active key',
      () => {
        generateKey(dir(), 'ES256');
        rmSync(join(dir(), 'active'));
      },
      /has no active key; choose the newest with: npm run keys:rotate/,
    ],
    [
      'an active kid with no key file',
      () => {
        generateKey(dir(), 'ES256');
        writeFileSync(join(dir(), 'active'), 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs\n');
      },
      /names kid NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs, which has no key file/,
    ],
    [
      'a key file whose name carries another kid',
      () => {
        const { key } = generateKey(dir(), 'ES256');
        const forged = key.file.replace(key.kid, 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
        renameSync(join(dir(), key.file), join(dir(), forged));
      },
      /holds a key whose kid is .*, not the one in its name/,
    ],
    [
      'a key file not made by keys:generate',
      () => {
        generateKey(dir(), 'ES256');
        writeFileSync(join(dir(), 'mine.pem'), privatePem('ec-other'), { mode: 0o600 });
      },
      /mine\.pem is not named <created>\.<kid>\.pem/,
    ],
    [
      'a weak RSA key among the verify-only keys',
      () => {
        generateKey(dir(), 'ES256', { now: new Date('2026-01-01T00:00:00Z') });
        writeFileSync(join(dir(), `20250101T000000000Z.${jwkThumbprint(keyPair('rsa-1024').publicKey)}.pem`), privatePem('rsa-1024'), { mode: 0o600 });
      },
      /1024-bit RSA key; RSA keys must have at least 2048 bits/,
    ],
  ])('refuses %s, naming JWT_KEYS_DIR', (_name, arrange, message) => {
    arrange();
    const error = failure({ JWT_ALGORITHM: 'ES256', JWT_KEYS_DIR: dir() });
    expect(error.variable).toBe('JWT_KEYS_DIR');
    expect(error.message).toMatch(message);
  });
});
