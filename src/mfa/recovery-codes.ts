// Recovery codes: ten random single-use codes, shown once and stored only as SHA-256 hashes. Each holds 80
// random bits, so a fast hash is enough (as for refresh tokens): no guessing of a stored hash can succeed.
import { createHash, randomBytes } from 'node:crypto';
import { base32 } from 'rfc4648';

export const RECOVERY_CODE_COUNT = 10;
const CODE_BYTES = 10;
const GROUP = 4;

/** "abcd-efgh-ijkl-mnop": 16 base32 characters in groups, lower case for reading aloud. */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const text = base32.stringify(randomBytes(CODE_BYTES), { pad: false }).toLowerCase();
    return text.match(new RegExp(`.{1,${GROUP}}`, 'g'))!.join('-');
  });
}

/** A code as typed: any case, with or without its hyphens and spaces. */
export function normalizeRecoveryCode(code: string): string {
  return code.replace(/[\s-]/g, '').toUpperCase();
}

export function hashRecoveryCode(code: string): string {
  return createHash('sha256').update(normalizeRecoveryCode(code)).digest('base64url');
}
