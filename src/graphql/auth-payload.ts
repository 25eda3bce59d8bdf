// An AuthResult as the client gets it: the refresh token in the body or its cookie (RefreshTransport), the
// device cookie, and the viewer's own record. Every mutation that opens a session answers through this.
import type { AuthResult } from '../auth/auth.service';
import type { Context } from './context';
import type { DeviceCookie } from './device-cookie';
import type { RefreshTransport } from './refresh-transport';
import type { AuthPayload } from './types/auth.types';
import { toUserView } from './types/user.types';

export function toAuthPayload(
  { user, access, refresh, device, mfaRequired }: AuthResult,
  context: Context,
  transport: RefreshTransport,
  deviceCookie: DeviceCookie,
): AuthPayload {
  const refreshToken = transport.deliver(context.http, refresh);
  if (device) deviceCookie.deliver(context.http, device);
  return {
    accessToken: access.token,
    tokenType: 'Bearer',
    expiresIn: access.expiresIn,
    refreshToken,
    refreshExpiresIn: refresh.expiresIn,
    user: toUserView(user, user),
    mfaRequired,
  };
}
