// Sign and verify access tokens. The key is built once, when the service is made:
// jsonwebtoken given a plain string secret re-parses it on every call (~50x slower).
import { createSecretKey, randomUUID, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { Clock } from '../clock';
import type { Config } from '../config';
import { AuthReason } from '../errors';
import { Role } from '../users/role';
import { hasDuplicateTopLevelKeys } from './json-keys';

/** Tokens longer than this are rejected before any parsing. */
export const MAX_TOKEN_BYTES = 8 * 1024;

export interface AccessClaims {
  sub: string;
  role: Role;
  /** The session's public id: the context checks that the session is still active on every request. */
  sid: string;
  jti: string;
  iat: number;
  nbf: number;
  exp: number;
  iss: string;
  aud: string;
}

export interface IssuedToken {
  token: string;
  expiresIn: number;
  claims: AccessClaims;
}

export type VerifyResult = { ok: true; claims: AccessClaims } | { ok: false; reason: AuthReason };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Fixes iat and jti, so that signing twice gives the same token (HS256 is deterministic): see sessions/refresh-tokens.ts. */
export interface SignOptions {
  issuedAtMs?: number;
  jti?: string;
}

export interface TokenService {
  signAccessToken(user: { id: string; role: Role }, sessionId: string, options?: SignOptions): IssuedToken;
  verifyAccessToken(token: string): VerifyResult;
}

export function createTokenService(settings: Config['jwt'], clock: Clock): TokenService {
  const key: KeyObject = createSecretKey(Buffer.from(settings.secret, 'utf8'));
  const algorithm = settings.algorithm;

  function signAccessToken(user: { id: string; role: Role }, sessionId: string, options: SignOptions = {}): IssuedToken {
    const iat = Math.floor((options.issuedAtMs ?? clock.now()) / 1000);
    const claims: AccessClaims = {
      sub: user.id,
      role: user.role,
      sid: sessionId,
      jti: options.jti ?? randomUUID(),
      iat,
      nbf: iat,
      exp: iat + settings.accessTtlSeconds,
      iss: settings.issuer,
      aud: settings.audience,
    };
    const token = jwt.sign(claims, key, { algorithm, header: { alg: algorithm, typ: 'JWT' } });
    return { token, expiresIn: settings.accessTtlSeconds, claims };
  }

  function verifyAccessToken(token: string): VerifyResult {
    if (token.length > MAX_TOKEN_BYTES) return { ok: false, reason: AuthReason.TOKEN_INVALID };
    let payload: unknown;
    try {
      payload = jwt.verify(token, key, {
        algorithms: [algorithm],
        issuer: settings.issuer,
        audience: settings.audience,
        clockTolerance: settings.clockToleranceSeconds,
        clockTimestamp: Math.floor(clock.now() / 1000),
      });
    } catch (error) {
      return { ok: false, reason: error instanceof jwt.TokenExpiredError ? AuthReason.TOKEN_EXPIRED : AuthReason.TOKEN_INVALID };
    }
    if (hasDuplicateTopLevelKeys(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'))) {
      return { ok: false, reason: AuthReason.TOKEN_INVALID };
    }
    return checkClaims(payload);
  }

  return { signAccessToken, verifyAccessToken };
}

/** jsonwebtoken checks exp and nbf only when present; we require them, and the shape of our own claims. */
function checkClaims(payload: unknown): VerifyResult {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return { ok: false, reason: AuthReason.TOKEN_INVALID };
  }
  const claims = payload as Partial<AccessClaims>;
  const valid =
    typeof claims.exp === 'number' &&
    typeof claims.nbf === 'number' &&
    typeof claims.iat === 'number' &&
    typeof claims.sub === 'string' &&
    UUID.test(claims.sub) &&
    typeof claims.sid === 'string' &&
    UUID.test(claims.sid) &&
    typeof claims.jti === 'string' &&
    (claims.role === Role.USER || claims.role === Role.ADMIN);
  return valid ? { ok: true, claims: claims as AccessClaims } : { ok: false, reason: AuthReason.TOKEN_INVALID };
}
