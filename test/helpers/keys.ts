// Key pairs for tests, made on first use and shared within a test file (RSA generation takes ~0.5 s here).
import { generateKeyPairSync, type KeyObject } from 'node:crypto';

type Kind = 'rsa' | 'rsa-other' | 'rsa-1024' | 'ec' | 'ec-other' | 'ec-p384' | 'ed25519';
const made = new Map<Kind, { privateKey: KeyObject; publicKey: KeyObject }>();

export function keyPair(kind: Kind): { privateKey: KeyObject; publicKey: KeyObject } {
  let pair = made.get(kind);
  if (!pair) {
    if (kind === 'rsa' || kind === 'rsa-other') pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    else if (kind === 'rsa-1024') pair = generateKeyPairSync('rsa', { modulusLength: 1024 });
    else if (kind === 'ec' || kind === 'ec-other') pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    else if (kind === 'ec-p384') pair = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    else pair = generateKeyPairSync('ed25519');
    made.set(kind, pair);
  }
  return pair;
}

/** PKCS#8 PEM of the private key, as keys:generate writes it. */
export function privatePem(kind: Kind): string {
  return keyPair(kind).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
}

export function publicPem(kind: Kind): string {
  return keyPair(kind).publicKey.export({ type: 'spki', format: 'pem' }) as string;
}
