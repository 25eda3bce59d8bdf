// Development convenience: with no JWT_SECRET outside production, make a random one once and keep it
// under ./data/ (mode 0600) so tokens survive restarts. Production never gets here: it must be configured.
import { randomBytes } from 'node:crypto';
import { ConfigError } from '../config';
import { DEV_DATA_DIR, readOrCreateSecretFile } from '../shared/private-files';

export const DEV_SECRET_PATH = `${DEV_DATA_DIR}/dev-jwt-secret`;

/** Returns the secret, and whether it was generated just now. Throws a ConfigError when others could read it. */
export function loadOrCreateDevSecret(path = DEV_SECRET_PATH): { secret: string; generated: boolean } {
  return readOrCreateSecretFile(
    path,
    () => randomBytes(48).toString('base64url'),
    (problem) => new ConfigError('JWT_SECRET', `the development secret ${problem} (or delete it to generate a new one)`),
  );
}
