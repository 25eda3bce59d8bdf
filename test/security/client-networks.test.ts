// IPv6 clients hold at least a /64: limits count them per RATE_LIMIT_IPV6_PREFIX bits (64), whatever the
// spelling, and an IPv4-mapped IPv6 address is the IPv4 client it maps. Through a trusted proxy, as deployed.
import { LoginDocument } from '../../src/client/graphql';
import { errorOf, signUp, TEST_PASSWORD, type TestServer } from '../helpers/server';
import { DEFAULT_LIMITS, startAttackedServer } from './harness';

let server: TestServer;
beforeAll(async () => {
  server = await startAttackedServer({ ...DEFAULT_LIMITS, RATE_LIMIT_SIGNUP_IP: '1000/1m', TRUSTED_PROXIES: '127.0.0.1' });
});
afterAll(() => server.close());

let guess = 0;
/** A wrong login for an email nobody has, from `address` (as the trusted proxy forwards it). */
async function sprayFrom(address: string): Promise<unknown> {
  guess += 1;
  const res = await server.execute(LoginDocument, { input: { email: `sprayed-${guess}@example.com`, password: 'wrong password' } }, { headers: { 'x-forwarded-for': address } });
  return errorOf(res).code;
}

const thirtyAllowedThenRefused = (count: number) => [...Array(30).fill('UNAUTHENTICATED'), ...Array(count - 30).fill('RATE_LIMITED')];

it('36 logins from 36 addresses of one /64 are limited as one client: 30 answered, 6 refused', async () => {
  const codes = [];
  for (let i = 1; i <= 36; i++) codes.push(await sprayFrom(`2001:db8:aaaa:1::${i.toString(16)}`));
  expect(codes).toEqual(thirtyAllowedThenRefused(36));
  // Another /64 is another client.
  expect(await sprayFrom('2001:db8:aaaa:2::1')).toBe('UNAUTHENTICATED');
});

it('every spelling of addresses in one /64 counts as that one client', async () => {
  const spellings = ['2001:DB8:BBBB:1::1', '2001:0db8:bbbb:0001:0000:0000:0000:0002', '2001:db8:bbbb:1:ffff:ffff:ffff:ffff', '2001:db8:bbbb:1:0::3'];
  const codes = [];
  for (let i = 0; i < 32; i++) codes.push(await sprayFrom(spellings[i % spellings.length]));
  expect(codes).toEqual(thirtyAllowedThenRefused(32));
});

it('an IPv4-mapped IPv6 address counts as the IPv4 address it maps', async () => {
  const spellings = ['198.51.100.77', '::ffff:198.51.100.77', '::FFFF:c633:644d', '0:0:0:0:0:ffff:198.51.100.77'];
  const codes = [];
  for (let i = 0; i < 32; i++) codes.push(await sprayFrom(spellings[i % spellings.length]));
  expect(codes).toEqual(thirtyAllowedThenRefused(32));
  // IPv4 clients stay per address: the neighbour is not limited.
  expect(await sprayFrom('198.51.100.78')).toBe('UNAUTHENTICATED');
});

it("the login backoff counts per /64 too: another address of the attacker's /64 is still backed off", async () => {
  const { email } = await signUp(server);
  const from = (address: string) => ({ 'x-forwarded-for': address });
  for (let i = 1; i <= 5; i++) {
    const res = await server.execute(LoginDocument, { input: { email, password: 'wrong password' } }, { headers: from(`2001:db8:cccc:1::${i}`) });
    expect(errorOf(res).reason).toBe('INVALID_CREDENTIALS');
  }
  const sameNetwork = await server.execute(LoginDocument, { input: { email, password: TEST_PASSWORD } }, { headers: from('2001:db8:cccc:1:1234::6') });
  expect(errorOf(sameNetwork).code).toBe('RATE_LIMITED');
  const otherNetwork = await server.execute(LoginDocument, { input: { email, password: TEST_PASSWORD } }, { headers: from('2001:db8:cccc:2::1') });
  expect(otherNetwork.body.errors).toBeUndefined();
});
