// JSON Web Keys: the RFC 7638 thumbprint we use as `kid`, and the public JWK we publish.
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import type { AsymmetricAlgorithm } from '../config';


/** RFC 7638 §3.2: the required members of each key type, in lexicographic order. */
const THUMBPRINT_MEMBERS: Record<string, readonly string[]> = {
  RSA: ['e', 'kty', 'n'],
  EC: ['crv', 'kty', 'x', 'y'],
  oct: ['k', 'kty'],
};

/**
 * The RFC 7638 JWK thumbprint (SHA-256, base64url) of a key: a stable id derived from the key itself.
 * A private key and its public key have the same thumbprint.
 */
export function jwkThumbprint(key: KeyObject): string {
  const jwk = key.export({ format: 'jwk' }) as Record<string, unknown>;
  const members = THUMBPRINT_MEMBERS[String(jwk.kty)];
  if (!members) throw new Error(`no thumbprint for key type ${String(jwk.kty)}`);
  // Members are base64url strings or short names: JSON.stringify adds no whitespace and needs no escaping.
  const canonical = JSON.stringify(Object.fromEntries(members.map((name) => [name, jwk[name]])));
  return createHash('sha256').update(canonical, 'utf8').digest('base64url');
}

export type PublicJwk =
  | { kty: 'RSA'; kid: string; alg: 'RS256'; use: 'sig'; n: string; e: string }
  | { kty: 'EC'; kid: string; alg: 'ES256'; use: 'sig'; crv: string; x: string; y: string };

/**
 * The public JWK of an asymmetric key, built member by member from the public half
 * (never a spread of the export, so a private member cannot slip through).
 */
export function publicJwk(key: KeyObject, alg: AsymmetricAlgorithm, kid: string): PublicJwk {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  if (publicKey.type !== 'public') throw new Error('only an asymmetric key has a public JWK');
  const jwk = publicKey.export({ format: 'jwk' });
  if (alg === 'RS256') return { kty: 'RSA', kid, alg, use: 'sig', n: String(jwk.n), e: String(jwk.e) };
  return { kty: 'EC', kid, alg, use: 'sig', crv: String(jwk.crv), x: String(jwk.x), y: String(jwk.y) };
}
