// TOTP (RFC 6238) through otplib 13's own packages: SHA-1, 6 digits, 30-second steps, what every
// authenticator app reads from an otpauth:// URL. Nothing here is hand-written: codes come from
// @otplib/totp (HMAC by node:crypto), the URL from @otplib/uri, base32 from rfc4648, the QR code from qrcode.
// (The `otplib` bundle itself loads @scure/base and @noble/hashes, which are ES modules only: Node 20.11
// and Jest cannot require them.)
import { randomBytes } from 'node:crypto';
import { NodeCryptoPlugin } from '@otplib/plugin-crypto-node';
import { verifySync } from '@otplib/totp';
import { generateTOTP } from '@otplib/uri';
import { toString as qrToString } from 'qrcode';
import { base32 } from 'rfc4648';

export const TOTP_SETTINGS = {
  algorithm: 'sha1',
  digits: 6,
  periodSeconds: 30,
  /** Steps of clock drift accepted either way: a code of the step before or after the current one. */
  driftSteps: 1,
  /** RFC 4226's recommended length, and what the issue asks: 160 bits. */
  secretBytes: 20,
} as const;

const CODE_PATTERN = new RegExp(`^\\d{${TOTP_SETTINGS.digits}}$`);

const crypto = new NodeCryptoPlugin();

/** A new random secret, base32 without padding (what the user types into an app that cannot scan). */
export function newTotpSecret(): string {
  return base32.stringify(randomBytes(TOTP_SETTINGS.secretBytes), { pad: false });
}

/**
 * otpauth://totp/ISSUER:ACCOUNT?secret=…&issuer=ISSUER&algorithm=SHA1&digits=6&period=30. otplib leaves out
 * parameters that equal the defaults; they are written out, as some apps do not assume them.
 */
export function otpauthUrl(secret: string, issuer: string, account: string): string {
  const url = generateTOTP({ issuer, label: account, secret });
  return `${url}&algorithm=${TOTP_SETTINGS.algorithm.toUpperCase()}&digits=${TOTP_SETTINGS.digits}&period=${TOTP_SETTINGS.periodSeconds}`;
}

/** `text` as a QR code: SVG markup. */
export function qrCodeSvg(text: string): Promise<string> {
  return qrToString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
}

/** Whether `code` has the shape of a TOTP code (the digits alone). */
export function isTotpCode(code: string): boolean {
  return CODE_PATTERN.test(code);
}

/**
 * The time step whose code `code` is, within the drift window around `nowMs`, and later than `afterStep`
 * (a step already used is not accepted again); undefined when there is none.
 */
export function matchTotp(secret: string, code: string, nowMs: number, afterStep?: number): number | undefined {
  if (!isTotpCode(code)) return undefined;
  const epoch = Math.floor(nowMs / 1000);
  const result = verifySync({
    secret: base32.parse(secret, { loose: true }),
    token: code,
    crypto,
    algorithm: TOTP_SETTINGS.algorithm,
    digits: TOTP_SETTINGS.digits,
    period: TOTP_SETTINGS.periodSeconds,
    epoch,
    epochTolerance: TOTP_SETTINGS.driftSteps * TOTP_SETTINGS.periodSeconds,
    ...(afterStep === undefined ? {} : { afterTimeStep: afterStep }),
  });
  // delta: how many steps from the current one the code matched.
  return result.valid ? Math.floor(epoch / TOTP_SETTINGS.periodSeconds) + result.delta : undefined;
}
