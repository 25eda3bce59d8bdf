// The device token travels in its own HttpOnly cookie, in every mode (not only AUTH_COOKIE_MODE): browsers
// keep it without any code in the page. Clients without a cookie jar are limited per network instead.
import type { Config } from '../config';
import { readCookie, serializeCookie } from '../shared/cookies';
import type { HttpExchange } from './http-exchange';
import type { IssuedDevice } from '../auth/device-tokens';
import { Header } from '../shared/http-names';

export const DEVICE_COOKIE = 'device_token';

/** The device token the request carries, if any (checked by the service, which knows the account). */
export function readDeviceToken(http: HttpExchange): string | undefined {
  return readCookie(http.header(Header.COOKIE), DEVICE_COOKIE);
}

export class DeviceCookie {
  constructor(
    private readonly cookie: Config['cookie'],
    private readonly path: string,
  ) {}

  deliver(http: HttpExchange, device: IssuedDevice): void {
    http.setCookie(
      serializeCookie(DEVICE_COOKIE, device.token, {
        path: this.path,
        maxAgeSeconds: device.expiresIn,
        secure: this.cookie.secure,
        sameSite: this.cookie.sameSite,
      }),
    );
  }
}
