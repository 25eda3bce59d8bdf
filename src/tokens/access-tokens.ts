// Sign and verify access tokens. Keys are built once, when the service is made:
// jsonwebtoken given a plain string secret re-parses it on every call (~50x slower).
// The token's kid picks the key from an in-memory map, and that key verifies with its own algorithm only.
// The signature is checked by hand for HS256 (one HMAC; jsonwebtoken spends ~4x that on decoding and option
// checks) and by jsonwebtoken for RS256 and ES256; after it, both paths check the payload the same way
// (checkPayload): the time rules (time-rules.ts), iss and aud, and the shape of our claims.
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { Clock } from '../shared/clock';
import type { Config } from '../config';
import { AuthReason } from '../shared/errors';
import { isAal, isAuthMethod, PASSWORD_ONLY, type Aal, type Assurance, type AuthMethod } from '../shared/assurance';
import { UUID_PATTERN } from '../shared/patterns';
import { Role } from '../shared/role';
import { hasDuplicateTopLevelKeys } from './json-keys';
import { timeProblem } from './time-rules';
import { loadKeySet, type KeySet, type VerificationKey } from './signing-keys';

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
  /**
   * How the session was authenticated when the token was signed, for other services reading the JWKS;
   * this API reads the session row instead. Absent in tokens signed before two-factor existed.
   */
  aal?: Aal;
  amr?: AuthMethod[];
}

export interface IssuedToken {
  token: string;
  expiresIn: number;
  claims: AccessClaims;
}

export type VerifyResult = { ok: true; claims: AccessClaims } | { ok: false; reason: AuthReason };

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const INVALID: VerifyResult = Object.freeze({ ok: false, reason: AuthReason.TOKEN_INVALID });

// ES256 signatures are r || s, 32 bytes each. (r, s) and (r, n - s) both verify, so only the low form
// (s <= n / 2) is made and accepted: one spelling per token (P-256's group order n, from SEC 2).
const P256_ORDER = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
const P256_HALF_ORDER = P256_ORDER / BigInt(2);
const ES256_SIGNATURE_BYTES = 64;

const sOf = (signature: Buffer) => BigInt(`0x${signature.subarray(32).toString('hex')}`);

function toLowS(signature: Buffer): Buffer {
  const s = sOf(signature);
  if (s <= P256_HALF_ORDER) return signature;
  return Buffer.concat([signature.subarray(0, 32), Buffer.from((P256_ORDER - s).toString(16).padStart(64, '0'), 'hex')]);
}

/**
 * The one spelling of an RS256/ES256 signature that is accepted: canonical base64url (no spare bits set in
 * the last character), the key's exact length, and for ES256 low S. jsonwebtoken takes every variant.
 */
function isCanonicalSignature(segment: string, key: VerificationKey): boolean {
  if (!BASE64URL.test(segment)) return false;
  const bytes = Buffer.from(segment, 'base64url');
  if (bytes.toString('base64url') !== segment) return false;
  if (key.alg === 'ES256') return bytes.length === ES256_SIGNATURE_BYTES && sOf(bytes) <= P256_HALF_ORDER;
  return bytes.length * 8 === key.key.asymmetricKeyDetails?.modulusLength;
}

/** A base64url JSON object segment (and its text), or undefined for anything else. */
function parseSegment(segment: string): { value: Record<string, unknown>; json: string } | undefined {
  if (!BASE64URL.test(segment)) return undefined;
  try {
    const json = Buffer.from(segment, 'base64url').toString('utf8');
    const value: unknown = JSON.parse(json);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? { value: value as Record<string, unknown>, json } : undefined;
  } catch {
    return undefined;
  }
}

/** The key for a token, and its header when it had to be parsed (undefined: one of our exact headers). */
interface KeyMatch {
  key: VerificationKey;
  header?: Record<string, unknown>;
}

/** Fixes iat and jti, so that signing twice gives the same token (HS256 is deterministic): see sessions/refresh-tokens.ts. */
export interface SignOptions {
  issuedAtMs?: number;
  jti?: string;
  /** The session's aal and amr, as claims (a password login when not given). */
  assurance?: Assurance;
}

export interface TokenService {
  signAccessToken(user: { id: string; role: Role }, sessionId: string, options?: SignOptions): IssuedToken;
  verifyAccessToken(token: string): VerifyResult;
}

export function createTokenService(settings: Config['jwt'], clock: Clock, keys: KeySet = loadKeySet(settings)): TokenService {
  const { signing } = keys;
  const header = { alg: signing.alg, typ: 'JWT', kid: signing.kid };

  // The exact header segment each key signs with ({alg, typ, kid}, in jsonwebtoken's order): a token
  // of ours is matched by string lookup, without decoding or parsing its header.
  const knownHeaders = new Map<string, VerificationKey>();
  for (const key of keys.byKid.values()) {
    knownHeaders.set(Buffer.from(JSON.stringify({ alg: key.alg, typ: 'JWT', kid: key.kid })).toString('base64url'), key);
  }

  /** The one key a token may be verified with, from its kid; no kid means the HMAC key (tokens from before kids). */
  function keyFor(token: string): KeyMatch | undefined {
    const dot = token.indexOf('.');
    if (dot <= 0) return undefined;
    const known = knownHeaders.get(token.slice(0, dot));
    if (known) return { key: known };
    const parsed = parseSegment(token.slice(0, dot));
    if (!parsed) return undefined;
    // Two kids (or two algs): refuse rather than guess which one a verifier would read.
    if (hasDuplicateTopLevelKeys(parsed.json)) return undefined;
    // Only kid is read; jku, x5u, jwk and x5c are never used to find, fetch or build a key.
    const { kid } = parsed.value;
    const key = kid === undefined ? keys.withoutKid : typeof kid === 'string' ? keys.byKid.get(kid) : undefined;
    return key ? { key, header: parsed.value } : undefined;
  }

  function signAccessToken(user: { id: string; role: Role }, sessionId: string, options: SignOptions = {}): IssuedToken {
    const iat = Math.floor((options.issuedAtMs ?? clock.now()) / 1000);
    const assurance = options.assurance ?? PASSWORD_ONLY;
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
      aal: assurance.aal,
      amr: [...assurance.amr],
    };
    const signed = jwt.sign(claims, signing.key, { algorithm: signing.alg, header });
    const token = signing.alg === 'ES256' ? withLowS(signed) : signed;
    return { token, expiresIn: settings.accessTtlSeconds, claims };
  }

  /** `token` as read from a request (bearer.ts: its size already checked there, once). */
  function verifyAccessToken(token: string): VerifyResult {
    const match = keyFor(token);
    if (!match) return INVALID;
    return match.key.alg === 'HS256' ? verifyHmac(token, match) : verifyAsymmetric(token, match.key);
  }

  /**
   * HS256 by hand, with jsonwebtoken's rules: exactly three segments, exactly this algorithm, and the
   * signature checked (constant time, canonical encoding only) before anything in the payload is trusted.
   */
  function verifyHmac(token: string, { key, header }: KeyMatch): VerifyResult {
    const first = token.indexOf('.');
    const second = token.indexOf('.', first + 1);
    if (second <= first + 1 || second === token.length - 1 || token.indexOf('.', second + 1) !== -1) return INVALID;
    if (header && (header.alg !== 'HS256' || 'crit' in header)) return INVALID;
    const given = Buffer.from(token.slice(second + 1), 'latin1');
    const expected = Buffer.from(createHmac('sha256', key.key).update(token.slice(0, second)).digest('base64url'), 'latin1');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return INVALID;
    return checkPayload(token.slice(first + 1, second));
  }

  /** RS256/ES256: jsonwebtoken checks the signature (one spelling of it only, isCanonicalSignature) and nothing else. */
  function verifyAsymmetric(token: string, key: VerificationKey): VerifyResult {
    if (!isCanonicalSignature(token.slice(token.lastIndexOf('.') + 1), key)) return INVALID;
    try {
      jwt.verify(token, key.key, { algorithms: [key.alg], ignoreExpiration: true, ignoreNotBefore: true });
    } catch {
      return INVALID;
    }
    return checkPayload(token.split('.')[1]);
  }

  /** After the signature, on either path: one key of each name, the time rules, iss and aud, then our claims. */
  function checkPayload(segment: string): VerifyResult {
    const parsed = parseSegment(segment);
    if (!parsed || hasDuplicateTopLevelKeys(parsed.json)) return INVALID;
    const payload = parsed.value;
    const late = timeProblem(payload, Math.floor(clock.now() / 1000), settings.clockToleranceSeconds);
    if (late) return { ok: false, reason: late };
    if (payload.iss !== settings.issuer) return INVALID;
    const audience = payload.aud;
    if (audience !== settings.audience && !(Array.isArray(audience) && audience.includes(settings.audience))) return INVALID;
    return checkClaims(payload);
  }

  return { signAccessToken, verifyAccessToken };
}

/** OpenSSL makes either form of an ECDSA signature: send the low one, the only one verifiers here accept. */
function withLowS(token: string): string {
  const dot = token.lastIndexOf('.');
  return `${token.slice(0, dot + 1)}${toLowS(Buffer.from(token.slice(dot + 1), 'base64url')).toString('base64url')}`;
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
    UUID_PATTERN.test(claims.sub) &&
    typeof claims.sid === 'string' &&
    UUID_PATTERN.test(claims.sid) &&
    typeof claims.jti === 'string' &&
    (claims.role === Role.USER || claims.role === Role.ADMIN) &&
    (claims.aal === undefined || isAal(claims.aal)) &&
    (claims.amr === undefined || (Array.isArray(claims.amr) && claims.amr.length > 0 && claims.amr.every(isAuthMethod)));
  return valid ? { ok: true, claims: claims as AccessClaims } : { ok: false, reason: AuthReason.TOKEN_INVALID };
}
