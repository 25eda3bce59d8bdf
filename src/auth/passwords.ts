// Hash and verify passwords with bcrypt (bcryptjs). Hashes are standard `$2b$` strings.
import { randomBytes } from 'node:crypto';
import bcrypt from 'bcryptjs';

/** bcrypt reads at most 72 bytes of a password; longer ones are refused, never truncated silently. */
export const MAX_PASSWORD_BYTES = 72;
export const MIN_PASSWORD_CHARS = 8;

export interface PasswordHasher {
  readonly cost: number;
  hash(password: string): Promise<string>;
  verify(password: string, hash: string): Promise<boolean>;
  /**
   * Spend the time a real comparison takes, against a hash of the configured cost, so that
   * a login for an unknown email takes as long as one with a wrong password.
   */
  verifyDummy(password: string): Promise<false>;
  /** True when the stored hash was made with a lower cost than configured. */
  needsRehash(hash: string): boolean;
}

export async function createPasswordHasher(cost: number): Promise<PasswordHasher> {
  const dummyHash = await bcrypt.hash(randomBytes(16).toString('hex'), cost);
  return {
    cost,
    hash: (password) => bcrypt.hash(password, cost),
    verify: (password, hash) => bcrypt.compare(password, hash),
    verifyDummy: async (password) => {
      await bcrypt.compare(password, dummyHash);
      return false;
    },
    needsRehash: (hash) => bcrypt.getRounds(hash) < cost,
  };
}
