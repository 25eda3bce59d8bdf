// The client's IP address: the socket's peer, unless that peer is a proxy we were told to trust,
// in which case X-Forwarded-For is read from the right, skipping trusted proxies. Addresses come out in
// one canonical spelling (shared/ip.ts).
import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';
import { Header } from '../shared/http-names';
import { canonicalIp } from '../shared/ip';

export type ClientIpResolver = (req: IncomingMessage) => string;

export function createClientIpResolver(trustedProxies: readonly string[]): ClientIpResolver {
  const trusted = new BlockList();
  for (const entry of trustedProxies) {
    const [address, bits] = entry.split('/');
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) trusted.addAddress(address, family);
    else trusted.addSubnet(address, Number(bits), family);
  }
  const isTrusted = (address: string) => {
    const family = isIP(address);
    return family !== 0 && trusted.check(address, family === 6 ? 'ipv6' : 'ipv4');
  };

  return (req) => {
    const peer = canonicalIp(req.socket.remoteAddress ?? 'unknown');
    if (trustedProxies.length === 0 || !isTrusted(peer)) return peer;
    const header = req.headers[Header.FORWARDED_FOR];
    const hops = (Array.isArray(header) ? header.join(',') : (header ?? ''))
      .split(',')
      .map((hop) => canonicalIp(hop.trim()))
      .filter(Boolean);
    // Walk from the nearest hop outwards: the first address we do not trust is the client.
    for (let i = hops.length - 1; i >= 0; i--) {
      if (!isIP(hops[i])) return peer; // a garbled header from behind a trusted proxy: fall back to the proxy itself
      if (!isTrusted(hops[i])) return hops[i];
    }
    return hops[0] ?? peer;
  };
}
