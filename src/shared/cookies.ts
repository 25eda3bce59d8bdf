// Just enough of RFC 6265 for one cookie: read it from a Cookie header, write Set-Cookie values.

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const index = part.indexOf('=');
    if (index > 0 && part.slice(0, index).trim() === name) return part.slice(index + 1).trim();
  }
  return undefined;
}

export interface CookieAttributes {
  path: string;
  maxAgeSeconds: number;
  secure: boolean;
  sameSite: 'Strict' | 'Lax' | 'None';
}

/** Always HttpOnly: no cookie of ours is for JavaScript. `value` must be cookie-safe (ours are base64url). */
export function serializeCookie(name: string, value: string, attributes: CookieAttributes): string {
  return [
    `${name}=${value}`,
    `Max-Age=${Math.max(0, Math.floor(attributes.maxAgeSeconds))}`,
    `Path=${attributes.path}`,
    'HttpOnly',
    ...(attributes.secure ? ['Secure'] : []),
    `SameSite=${attributes.sameSite}`,
  ].join('; ');
}
