// Development convenience, like the development JWT secret: with no MFA_ENCRYPTION_KEY outside production,
// make a random key once and keep it beside that secret (mode 0600), so that the TOTP secrets of a
// development database still open after a restart.
import { randomBytes } from 'node:crypto';
import { ConfigError } from '../config';
import { DEV_DATA_DIR, readOrCreateSecretFile } from '../shared/private-files';

export const DEV_MFA_KEY_PATH = `${DEV_DATA_DIR}/mfa-encryption-key`;

/** Returns the key (64 hex digits), and whether it was generated just now. Throws a ConfigError when others could read it. */
export function loadOrCreateDevMfaKey(path = DEV_MFA_KEY_PATH): { secret: string; generated: boolean } {
  return readOrCreateSecretFile(
    path,
    () => randomBytes(32).toString('hex'),
    (problem) => new ConfigError('MFA_ENCRYPTION_KEY', `the development key ${problem} (or delete it to generate a new one)`),
  );
}
