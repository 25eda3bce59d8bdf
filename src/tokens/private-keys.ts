// Turn PEM text into a private KeyObject and decide which algorithm it signs with.
// Messages say what is wrong with a key, never what is in it.
import { createPrivateKey, type KeyObject } from 'node:crypto';
import type { AsymmetricAlgorithm } from '../config';

export const MIN_RSA_BITS = 2048;

/** A problem with a key, worded to follow the key's name: "<where> is not a PEM private key". */
export class KeyProblem extends Error {
  constructor(problem: string) {
    super(problem);
    this.name = 'KeyProblem';
  }
}

/** Parse a PEM private key (PKCS#8, or PKCS#1 / SEC1). Literal "\n" sequences are accepted, as one-line env values carry them. */
export function parsePrivateKeyPem(text: string): KeyObject {
  const pem = !text.includes('\n') && text.includes('\\n') ? text.replace(/\\n/g, '\n') : text;
  try {
    return createPrivateKey({ key: pem, format: 'pem' });
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_MISSING_PASSPHRASE') {
      throw new KeyProblem('is an encrypted private key; store it unencrypted, readable only by the server (mode 0600)');
    }
    throw new KeyProblem('is not a PEM private key (expected "-----BEGIN PRIVATE KEY-----", as npm run keys:generate writes)');
  }
}

/** RS256 for an RSA key of at least 2048 bits, ES256 for an EC P-256 key; anything else is refused. */
export function algorithmForKey(key: KeyObject): AsymmetricAlgorithm {
  const type = key.asymmetricKeyType;
  if (type === 'rsa') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) throw new KeyProblem(`is a ${bits}-bit RSA key; RSA keys must have at least ${MIN_RSA_BITS} bits`);
    return 'RS256';
  }
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1') return 'ES256';
    throw new KeyProblem(`is an EC key on curve ${curve ?? 'unknown'}; only P-256 (ES256) is supported`);
  }
  throw new KeyProblem(`is a ${type ?? 'symmetric'} key; only RSA (RS256) and EC P-256 (ES256) keys are supported`);
}
