// The authenticator app of the tests: codes for a base32 secret at a time of the test clock, made with
// @otplib/totp directly (not through src/mfa), as an app would from the otpauth:// URL.
import { NodeCryptoPlugin } from '@otplib/plugin-crypto-node';
import { generateSync } from '@otplib/totp';
import { base32 } from 'rfc4648';
import { ConfirmTotpEnrollmentDocument, StartTotpEnrollmentDocument } from '../../src/client/graphql';
import type { TestServer } from './server';

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

/** A user with TOTP on, as a client would turn it on: the secret their app holds, and the recovery codes shown once. */
export interface Enrolled {
  secret: string;
  recoveryCodes: string[];
}

/**
 * startTotpEnrollment then confirmTotpEnrollment with the current code, from the session of `token` (which is
 * raised to aal2). The confirming code's step is used: advance the clock a step before the next code.
 */
export async function enrollTotp(server: TestServer, token: string): Promise<Enrolled> {
  const started = await server.execute(StartTotpEnrollmentDocument, {}, { token });
  if (!started.body.data) throw new Error(`startTotpEnrollment failed: ${started.text}`);
  const secret = started.body.data.startTotpEnrollment.secret;
  const confirmed = await server.execute(ConfirmTotpEnrollmentDocument, { code: totpCode(secret, server.clock.now()) }, { token });
  if (!confirmed.body.data) throw new Error(`confirmTotpEnrollment failed: ${confirmed.text}`);
  return { secret, recoveryCodes: confirmed.body.data.confirmTotpEnrollment };
}
