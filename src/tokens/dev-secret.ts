// Development convenience: with no JWT_SECRET outside production, make a random one once and keep it
// under ./data/ (mode 0600) so tokens survive restarts. Production never gets here: it must be configured.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError } from '../config';
import { ensurePrivateDir, exposedSecretProblem } from '../shared/private-files';

export const DEV_SECRET_PATH = './data/dev-jwt-secret';

/** Returns the secret, and whether it was generated just now. Throws a ConfigError when others could read it. */
export function loadOrCreateDevSecret(path = DEV_SECRET_PATH): { secret: string; generated: boolean } {
  if (existsSync(path)) {
    const problem = exposedSecretProblem(path);
    if (problem) throw new ConfigError('JWT_SECRET', `the development secret ${problem} (or delete it to generate a new one)`);
    return { secret: readFileSync(path, 'utf8').trim(), generated: false };
  }
  ensurePrivateDir(dirname(path));
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(path, secret + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return { secret, generated: true };
}
