// Device tokens (OWASP's "device cookie"): proof that this client has logged in to this account before.
// A client presenting one is limited by its own failures (per device) instead of its network's, and is not
// refused by the account's ceiling, so an attacker's failures elsewhere cannot lock the owner out.
//
// A token is `<device id>.<issued at, seconds>.<HMAC>`; the HMAC covers the account's public id and its
// current password hash, so a password change (or a re-hash at a higher cost) ends every device's trust,
// and a token is worth nothing for another account. Nothing is stored: the key is derived with HKDF from
// the server's signing material, like the refresh-token rotation key.
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../shared/clock';

/** How long a device stays trusted after its last successful login. */
export const DEVICE_TOKEN_TTL_SECONDS = 365 * 24 * 60 * 60;
const DEVICE_ID_BYTES = 16;
const FORMAT = /^([A-Za-z0-9_-]{22})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/;

/** What a device token is bound to. */
export interface DeviceAccount {
  publicId: string;
  passwordHash: string;
}

export interface IssuedDevice {
  token: string;
  /** Seconds the token is valid for (the cookie's Max-Age). */
  expiresIn: number;
}

export interface DeviceTokens {
  /** A token for this client and account; `deviceId` keeps a device that presented a valid token the same id. */
  issue(account: DeviceAccount, deviceId?: string): IssuedDevice;
  /** The device id of `token` when it is ours, unexpired, and made for this account and its current password. */
  verify(token: string | undefined, account: DeviceAccount): string | undefined;
}

export function createDeviceTokens(keyMaterial: string, clock: Clock): DeviceTokens {
  const key = Buffer.from(hkdfSync('sha256', Buffer.from(keyMaterial, 'utf8'), Buffer.alloc(0), 'device-token v1', 32));
  const mac = (account: DeviceAccount, id: string, issuedAt: number) =>
    createHmac('sha256', key).update(`${account.publicId}\n${account.passwordHash}\n${id}\n${issuedAt}`).digest();

  return {
    issue(account, deviceId) {
      const id = deviceId ?? randomBytes(DEVICE_ID_BYTES).toString('base64url');
      const issuedAt = Math.floor(clock.now() / 1000);
      return { token: `${id}.${issuedAt}.${mac(account, id, issuedAt).toString('base64url')}`, expiresIn: DEVICE_TOKEN_TTL_SECONDS };
    },

    verify(token, account) {
      const match = token === undefined ? null : FORMAT.exec(token);
      if (!match) return undefined;
      const [, id, issued, given] = match;
      const issuedAt = Number(issued);
      const now = Math.floor(clock.now() / 1000);
      if (issuedAt > now || now - issuedAt >= DEVICE_TOKEN_TTL_SECONDS) return undefined;
      const expected = mac(account, id, issuedAt);
      const presented = Buffer.from(given, 'base64url');
      // Canonical base64url only: one spelling per token.
      if (presented.toString('base64url') !== given) return undefined;
      return presented.length === expected.length && timingSafeEqual(presented, expected) ? id : undefined;
    },
  };
}
