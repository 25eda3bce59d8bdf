// The client's IP address: the socket's peer, unless that peer is a proxy we were told to trust,
// in which case X-Forwarded-For is read from the right, skipping trusted proxies.
// Addresses come out in one canonical spelling (RFC 5952 for IPv6; IPv4-mapped IPv6 as plain IPv4),
// and clientNetwork() says which network a limit counts them in: IPv4 per address, IPv6 per prefix.
import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

export type ClientIpResolver = (req: IncomingMessage) => string;

/**
 * One spelling per address: `2001:DB8:0::1` and `2001:db8::1` are one client, and so are `::ffff:192.0.2.7`,
 * `::ffff:c000:207` and `192.0.2.7`. Anything that is not an IP address comes back as it is.
 */
export function canonicalIp(address: string): string {
  // isIP is strict (no octal or short IPv4 forms, which ipaddr.js would also accept); it allows an IPv6 zone.
  const family = isIP(address);
  if (family !== 6) return address;
  // This runs on every request: IPv4 on a dual-stack socket is answered without parsing.
  if (address.startsWith('::ffff:') && isIP(address.slice(7)) === 4) return address.slice(7);
  const v6 = ipaddr.IPv6.parse(address);
  if (v6.isIPv4MappedAddress()) return v6.toIPv4Address().toString();
  // A zone (fe80::1%eth0) names the server's own interface, not the client: drop it.
  v6.zoneId = undefined;
  return v6.toRFC5952String();
}

/**
 * The key a per-client limit counts an address under: an IPv4 address itself; for IPv6, its first
 * `ipv6Prefix` bits (every IPv6 user holds at least a /64, so one address per user would not limit them).
 */
export function clientNetwork(address: string, ipv6Prefix: number): string {
  const canonical = canonicalIp(address);
  if (isIP(canonical) !== 6 || ipv6Prefix === 128) return canonical;
  return `${ipaddr.IPv6.networkAddressFromCIDR(`${canonical}/${ipv6Prefix}`).toRFC5952String()}/${ipv6Prefix}`;
}

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
    const header = req.headers['x-forwarded-for'];
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
