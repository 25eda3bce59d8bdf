// The key set: the one key that signs, every key that verifies (looked up by kid), and the JWKS we publish.
// Built once at start-up from the configuration; after that, verifying a token never touches a file.
import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError, type Config, type KeySource } from '../config';
import type { AsymmetricAlgorithm, JwtAlgorithm } from '../config';
import { jwkThumbprint, publicJwk, type PublicJwk } from './jwk';
import { activeKey, readKeyDir } from './key-dir';
import { exposedSecretProblem } from '../shared/private-files';
import { algorithmForKey, KeyProblem, parsePrivateKeyPem } from './private-keys';

export interface VerificationKey {
  readonly kid: string;
  /** The only algorithm this key verifies. */
  readonly alg: JwtAlgorithm;
  /** The public key (RS256, ES256) or the HMAC secret (HS256). */
  readonly key: KeyObject;
}

export interface SigningKey {
  readonly kid: string;
  readonly alg: JwtAlgorithm;
  /** The private key (RS256, ES256) or the HMAC secret (HS256). */
  readonly key: KeyObject;
}

export interface KeySet {
  readonly signing: SigningKey;
  /** Every key that verifies, by kid. A kid not in here is an invalid token. */
  readonly byKid: ReadonlyMap<string, VerificationKey>;
  /** The HMAC key, which also verifies tokens with no kid (issued before tokens carried one); undefined without JWT_SECRET. */
  readonly withoutKid: VerificationKey | undefined;
  /** What /.well-known/jwks.json serves: public keys only, the signing key first. Empty in HS256 mode. */
  readonly jwks: { readonly keys: readonly PublicJwk[] };
}

interface AsymmetricKey {
  readonly kid: string;
  readonly alg: AsymmetricAlgorithm;
  readonly privateKey: KeyObject;
}

function hmacKey(secret: string): VerificationKey {
  const key = createSecretKey(Buffer.from(secret, 'utf8'));
  return { kid: jwkThumbprint(key), alg: 'HS256', key };
}

function fromPem(variable: KeySource['variable'], where: string, pem: string): AsymmetricKey {
  try {
    const privateKey = parsePrivateKeyPem(pem);
    const alg = algorithmForKey(privateKey); // first: it refuses key types that have no thumbprint
    return { kid: jwkThumbprint(privateKey), alg, privateKey };
  } catch (error) {
    if (error instanceof KeyProblem) throw new ConfigError(variable, `${where} ${error.message}`);
    throw error;
  }
}

/** The active key first, then the keys that only verify. */
function loadAsymmetricKeys(source: KeySource): AsymmetricKey[] {
  switch (source.variable) {
    case 'JWT_PRIVATE_KEY':
      return [fromPem(source.variable, 'the key', source.pem)];
    case 'JWT_PRIVATE_KEY_FILE': {
      let pem: string;
      let problem: string | undefined;
      try {
        pem = readFileSync(source.path, 'utf8');
        problem = exposedSecretProblem(source.path);
      } catch (error) {
        throw new ConfigError(source.variable, `cannot read ${source.path} (${(error as { code?: string }).code ?? 'error'})`);
      }
      // A platform that can only mount secrets group-readable can pass the PEM text in JWT_PRIVATE_KEY instead.
      if (problem) throw new ConfigError(source.variable, problem);
      return [fromPem(source.variable, source.path, pem)];
    }
    case 'JWT_KEYS_DIR':
      try {
        const contents = readKeyDir(source.dir);
        const active = activeKey(source.dir, contents);
        return [active, ...contents.keys.filter((key) => key !== active)];
      } catch (error) {
        if (error instanceof KeyProblem) throw new ConfigError(source.variable, error.message);
        throw error;
      }
  }
}

/** Read and parse the keys the configuration names. Throws a ConfigError naming the setting at fault. */
export function loadKeySet(settings: Config['jwt']): KeySet {
  const hmac = settings.secret === undefined ? undefined : hmacKey(settings.secret);
  if (settings.algorithm === 'HS256') {
    if (!hmac) throw new ConfigError('JWT_SECRET', 'is required with JWT_ALGORITHM=HS256');
    return { signing: hmac, byKid: new Map([[hmac.kid, hmac]]), withoutKid: hmac, jwks: { keys: [] } };
  }
  if (!settings.keySource) throw new ConfigError('JWT_ALGORITHM', `${settings.algorithm} needs a private key`);

  const asymmetric = loadAsymmetricKeys(settings.keySource);
  const [active] = asymmetric;
  if (active.alg !== settings.algorithm) {
    throw new ConfigError(
      'JWT_ALGORITHM',
      `is ${settings.algorithm}, but the signing key from ${settings.keySource.variable} (kid ${active.kid}) is an ${active.alg} key`,
    );
  }
  const verifying: VerificationKey[] = asymmetric.map(({ kid, alg, privateKey }) => ({ kid, alg, key: createPublicKey(privateKey) }));
  if (hmac) verifying.push(hmac);
  return {
    signing: { kid: active.kid, alg: active.alg, key: active.privateKey },
    byKid: new Map(verifying.map((key) => [key.kid, key])),
    withoutKid: hmac,
    jwks: { keys: asymmetric.map(({ kid, alg, privateKey }) => publicJwk(privateKey, alg, kid)) },
  };
}
