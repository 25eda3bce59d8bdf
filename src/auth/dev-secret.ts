// Development convenience: with no JWT_SECRET outside production, make a random one once and keep it
// under ./data/ (mode 0600) so tokens survive restarts. Production never gets here: it must be configured.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export const DEV_SECRET_PATH = './data/dev-jwt-secret';

/** Returns the secret, and whether it was generated just now. */
export function loadOrCreateDevSecret(path = DEV_SECRET_PATH): { secret: string; generated: boolean } {
  if (existsSync(path)) return { secret: readFileSync(path, 'utf8').trim(), generated: false };
  mkdirSync(dirname(path), { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(path, secret + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return { secret, generated: true };
}
