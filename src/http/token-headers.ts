// The request headers an access token may come in, each with every value the request carried (Node keeps only
// the first of two Authorization headers in req.headers; a proxy in front may read the last). Read from the raw
// header list rather than req.headersDistinct, which builds an array for every header of every request.
import type { IncomingMessage } from 'node:http';
import { Header } from '../shared/http-names';

/** Each header an access token may come in, with all its values (undefined when absent). */
export function tokenHeaders(req: IncomingMessage): Readonly<Record<string, string[] | undefined>> {
  const raw = req.rawHeaders;
  let authorization: string[] | undefined;
  let accessToken: string[] | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    // Compare lengths first: most headers are neither, and toLowerCase allocates.
    if (name.length === Header.AUTHORIZATION.length && name.toLowerCase() === Header.AUTHORIZATION) (authorization ??= []).push(raw[i + 1]);
    else if (name.length === Header.ACCESS_TOKEN.length && name.toLowerCase() === Header.ACCESS_TOKEN) (accessToken ??= []).push(raw[i + 1]);
  }
  return { [Header.AUTHORIZATION]: authorization, [Header.ACCESS_TOKEN]: accessToken };
}
