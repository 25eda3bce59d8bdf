// The authenticator app of the tests: codes for a base32 secret at a time of the test clock, made with
// @otplib/totp directly (not through src/mfa), as an app would from the otpauth:// URL.
import { NodeCryptoPlugin } from '@otplib/plugin-crypto-node';
import { generateSync } from '@otplib/totp';
import { base32 } from 'rfc4648';

const crypto = new NodeCryptoPlugin();
export const STEP_MS = 30_000;

/** The 6-digit SHA-1 code of `secret` (base32) at `atMs`. */
export function totpCode(secret: string, atMs: number): string {
  return generateSync({ secret: base32.parse(secret, { loose: true }), epoch: Math.floor(atMs / 1000), crypto, algorithm: 'sha1', digits: 6, period: 30 });
}

/** The secret of an otpauth:// URL. */
export function secretOf(otpauthUrl: string): string {
  return new URL(otpauthUrl).searchParams.get('secret')!;
}
