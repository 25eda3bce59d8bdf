// Hand-made tokens for attack tests: built with node:crypto only, independent of the code under test.
import { constants, createHmac, sign, type KeyObject } from 'node:crypto';

export function b64url(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

/** Sign `header.payload` with HMAC; `algorithm` picks sha256/384/512. Pass secret null for an unsigned token. */
export function forgeToken(
  header: Record<string, unknown>,
  payload: unknown,
  secret: string | null,
  algorithm: 'sha256' | 'sha384' | 'sha512' = 'sha256',
): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  if (secret === null) return `${input}.`;
  return `${input}.${createHmac(algorithm, secret).update(input).digest('base64url')}`;
}

export function decodePayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
}

export function decodeHeader(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8'));
}

/**
 * Sign `header.payload` with a private key, by node:crypto alone: RS256/RS512 (PKCS#1 v1.5), PS256 (PSS),
 * ES256 (r||s, as JWS wants it). For attack tests, and for tokens from keys the server does not know.
 * A string header is used as it is (to send JSON that JSON.stringify cannot make, like a repeated name).
 */
export function signWithKey(
  header: Record<string, unknown> | string,
  payload: unknown,
  privateKey: KeyObject,
  algorithm: 'RS256' | 'RS512' | 'PS256' | 'ES256' = (typeof header === 'string' ? JSON.parse(header) : header).alg,
): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  const hash = algorithm === 'RS512' ? 'sha512' : 'sha256';
  const options =
    algorithm === 'ES256'
      ? { key: privateKey, dsaEncoding: 'ieee-p1363' as const }
      : algorithm === 'PS256'
        ? { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }
        : { key: privateKey };
  return `${input}.${sign(hash, Buffer.from(input), options).toString('base64url')}`;
}
