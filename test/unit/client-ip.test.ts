import type { IncomingMessage } from 'node:http';
import { createClientIpResolver } from '../../src/http/client-ip';
import { canonicalIp, clientNetwork } from '../../src/shared/ip';

function request(remoteAddress: string, forwardedFor?: string): IncomingMessage {
  return { socket: { remoteAddress }, headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor } } as unknown as IncomingMessage;
}

describe('client IP', () => {
  it('is the socket peer when no proxy is trusted, whatever X-Forwarded-For says', () => {
    const resolve = createClientIpResolver([]);
    expect(resolve(request('192.0.2.7', '203.0.113.1'))).toBe('192.0.2.7');
  });

  it('unwraps IPv4-mapped IPv6 peers', () => {
    expect(createClientIpResolver([])(request('::ffff:192.0.2.7'))).toBe('192.0.2.7');
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', () => {
    const resolve = createClientIpResolver(['10.0.0.0/8']);
    expect(resolve(request('192.0.2.7', '203.0.113.1'))).toBe('192.0.2.7');
  });

  it('reads X-Forwarded-For from the right, skipping trusted proxies, through a trusted peer', () => {
    const resolve = createClientIpResolver(['10.0.0.0/8', '192.168.1.1']);
    // spoofed, real client, then two of our proxies
    expect(resolve(request('10.1.2.3', '6.6.6.6, 203.0.113.9, 192.168.1.1, 10.0.0.5'))).toBe('203.0.113.9');
  });

  it('falls back to the proxy itself on a garbled header, and to the leftmost hop when all are trusted', () => {
    const resolve = createClientIpResolver(['10.0.0.0/8']);
    expect(resolve(request('10.0.0.1', 'not-an-ip'))).toBe('10.0.0.1');
    expect(resolve(request('10.0.0.1', '10.0.0.9, 10.0.0.8'))).toBe('10.0.0.9');
    expect(resolve(request('10.0.0.1'))).toBe('10.0.0.1');
  });

  it('handles IPv6 proxies', () => {
    const resolve = createClientIpResolver(['::1']);
    expect(resolve(request('::1', '2001:db8::5'))).toBe('2001:db8::5');
  });

  it('spells an IPv6 peer one way (RFC 5952), without a zone', () => {
    const resolve = createClientIpResolver([]);
    expect(resolve(request('2001:0DB8:0000:0000:0000:0000:0000:0001'))).toBe('2001:db8::1');
    expect(resolve(request('fe80::1%eth0'))).toBe('fe80::1');
    expect(resolve(request('::ffff:c000:207'))).toBe('192.0.2.7');
  });

  it('reads a forwarded IPv6 client in the same spelling', () => {
    expect(createClientIpResolver(['127.0.0.1'])(request('127.0.0.1', '2001:DB8::0:5'))).toBe('2001:db8::5');
  });
});

describe('client network', () => {
  it('is the address itself for IPv4, and for IPv4-mapped IPv6', () => {
    expect(clientNetwork('192.0.2.7', 64)).toBe('192.0.2.7');
    expect(clientNetwork('::ffff:192.0.2.7', 64)).toBe('192.0.2.7');
  });

  it('is the /64 (or the configured prefix) for IPv6, whatever the spelling', () => {
    expect(clientNetwork('2001:db8:1:2:3:4:5:6', 64)).toBe('2001:db8:1:2::/64');
    expect(clientNetwork('2001:DB8:1:2::ffff', 64)).toBe('2001:db8:1:2::/64');
    expect(clientNetwork('2001:db8:1:2:3:4:5:6', 48)).toBe('2001:db8:1::/48');
    expect(clientNetwork('2001:db8:1:2:3:4:5:6', 128)).toBe('2001:db8:1:2:3:4:5:6');
  });

  it('leaves what is not an IP address alone', () => {
    expect(canonicalIp('unknown')).toBe('unknown');
    expect(clientNetwork('unknown', 64)).toBe('unknown');
  });
});
