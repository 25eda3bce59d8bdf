// TOTP secrets at rest: AES-256-GCM under MFA_ENCRYPTION_KEY, a fresh 96-bit nonce per secret, and the
// user's public id as associated data, so a sealed secret copied onto another user's row does not open.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const ALGORITHM = 'aes-256-gcm';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** The format's version leads each sealed value, so that a later format can sit beside this one. */
const VERSION = 'v1';

export interface SecretBox {
  /** `plaintext` encrypted and authenticated for `context`: "v1.<nonce>.<ciphertext>.<tag>", base64url. */
  seal(plaintext: string, context: string): string;
  /** Throws when the value was not sealed with this key for this context, or was changed. */
  open(sealed: string, context: string): string;
}

export function createSecretBox(hexKey: string): SecretBox {
  const key = Buffer.from(hexKey, 'hex');
  if (key.length !== 32) throw new Error('An AES-256 key is 32 bytes');
  return {
    seal(plaintext, context) {
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv(ALGORITHM, key, nonce, { authTagLength: TAG_BYTES }).setAAD(Buffer.from(context));
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return [VERSION, nonce, ciphertext, cipher.getAuthTag()].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
    },
    open(sealed, context) {
      const [version, nonce, ciphertext, tag, extra] = sealed.split('.');
      if (version !== VERSION || !nonce || !ciphertext || !tag || extra !== undefined) throw new Error('Not a sealed secret of this format');
      const decipher = createDecipheriv(ALGORITHM, key, Buffer.from(nonce, 'base64url'), { authTagLength: TAG_BYTES })
        .setAAD(Buffer.from(context))
        .setAuthTag(Buffer.from(tag, 'base64url'));
      try {
        return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
      } catch {
        throw new Error('A sealed secret does not open: another MFA_ENCRYPTION_KEY, or the value was changed');
      }
    },
  };
}
