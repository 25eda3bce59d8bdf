// Hand-made tokens for attack tests: built with node:crypto only, independent of the code under test.
import { createHmac } from 'node:crypto';

export function b64url(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

/** Sign `header.payload` with HMAC; `algorithm` picks sha256/384/512. Pass secret null for an unsigned token. */
export function forgeToken(
  header: Record<string, unknown>,
  payload: unknown,
  secret: string | null,
  algorithm: 'sha256' | 'sha384' | 'sha512' = 'sha256',
): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  if (secret === null) return `${input}.`;
  return `${input}.${createHmac(algorithm, secret).update(input).digest('base64url')}`;
}

export function decodePayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
}

export function decodeHeader(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8'));
}
