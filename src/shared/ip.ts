// IP addresses in one canonical spelling (RFC 5952 for IPv6; IPv4-mapped IPv6 as plain IPv4), and the
// network a per-client limit counts an address in: IPv4 per address, IPv6 per prefix.
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

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

