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

/** The jti of every hand-made token: never one the server issued. */
const FORGED_JTI = '0b7c6d2e-1f3a-4b5c-8d9e-0a1b2c3d4e5f';

/**
 * The claims `server` would sign for `user`'s session now (subject, role, session, issuer and audience read
 * from the token it issued; the times from its clock and access-token lifetime): the base that a hand-made
 * token changes one thing of. An override of undefined leaves the claim out.
 */
export function claimsFor(
  user: { token: string },
  server: { clock: { now(): number }; config: { jwt: { accessTtlSeconds: number } } },
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  const { sub, role, sid, iss, aud } = decodePayload(user.token);
  const now = Math.floor(server.clock.now() / 1000);
  return { sub, role, sid, jti: FORGED_JTI, iat: now, nbf: now, exp: now + server.config.jwt.accessTtlSeconds, iss, aud, ...overrides };
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
