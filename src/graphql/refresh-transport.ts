// How a refresh token travels: in the response body and the refreshToken argument (the default), or,
// with AUTH_COOKIE_MODE, only in an HttpOnly cookie limited to the GraphQL path.
//
// CSRF: the cookie is the only ambient credential, and only refreshToken (a mutation: never over GET)
// reads it. A POST must be JSON (http/graphql-handler.ts), which refuses the "simple" requests a browser
// would send cross-site without a preflight; on top of that a refresh from the cookie requires an Origin
// header listed in CORS_ORIGINS. Browsers always send Origin on POST, so a forged cross-site form or
// fetch is refused even if the cookie rides along.
import type { Config } from '../config';
import { AuthReason, ForbiddenReason, forbidden, unauthenticated } from '../shared/errors';
import { readCookie, serializeCookie } from '../shared/cookies';
import type { HttpExchange } from './http-exchange';
import type { IssuedRefresh } from '../sessions/session.service';
import { Header } from '../shared/http-names';

export const REFRESH_COOKIE = 'refresh_token';

export class RefreshTransport {
  constructor(
    private readonly cookie: Config['cookie'],
    private readonly corsOrigins: readonly string[],
    private readonly path: string,
  ) {}

  /** Hand a new refresh token to the client: what goes in AuthPayload.refreshToken (null in cookie mode). */
  deliver(http: HttpExchange, refresh: IssuedRefresh): string | null {
    if (!this.cookie.enabled) return refresh.token;
    http.setCookie(this.serialize(refresh.token, refresh.expiresIn));
    return null;
  }

  /** The presented token: the argument if given; else, in cookie mode, the cookie (from an allowed origin only). */
  read(http: HttpExchange, argument: string | null | undefined): string {
    if (argument !== null && argument !== undefined) return argument;
    if (!this.cookie.enabled) throw unauthenticated(AuthReason.REFRESH_TOKEN_MISSING);
    const origin = http.header(Header.ORIGIN);
    if (!origin || this.corsOrigins.includes('*') || !this.corsOrigins.includes(origin)) {
      throw forbidden(ForbiddenReason.ORIGIN_NOT_ALLOWED);
    }
    const token = readCookie(http.header(Header.COOKIE), REFRESH_COOKIE);
    if (!token) throw unauthenticated(AuthReason.REFRESH_TOKEN_MISSING);
    return token;
  }

  clear(http: HttpExchange): void {
    if (this.cookie.enabled) http.setCookie(this.serialize('', 0));
  }

  private serialize(value: string, maxAgeSeconds: number): string {
    return serializeCookie(REFRESH_COOKIE, value, {
      path: this.path,
      maxAgeSeconds,
      secure: this.cookie.secure,
      sameSite: this.cookie.sameSite,
    });
  }
}
