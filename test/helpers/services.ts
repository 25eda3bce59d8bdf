// Outside services (Redis, …) that some tests need. Where a service is unreachable the tests that
// need it are skipped with a loud message, so `npm test` passes on a laptop; under CI=true a missing
// service fails the run instead, never a skip.
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';

const probed = new Map<string, boolean>();

/** True when a TCP connection to host:port succeeds within a second. Synchronous, for use while defining tests. */
export function reachable(host: string, port: number): boolean {
  const key = `${host}:${port}`;
  if (!probed.has(key)) {
    const probe = `require('node:net').connect(${port}, '${host}').on('connect', () => process.exit(0)).on('error', () => process.exit(1)).setTimeout(1000, () => process.exit(1))`;
    probed.set(key, spawnSync(process.execPath, ['-e', probe], { timeout: 5000 }).status === 0);
  }
  return probed.get(key) as boolean;
}

/**
 * `describe` when what the tests need is there. Otherwise the one sanctioned skip of this suite: a loud
 * one on a contributor's machine, so `npm test` still passes there; under CI=true a failure instead.
 */
export function describeWhenAvailable(available: boolean, missing: string, title: string, body: () => void): void {
  if (available) {
    describe(title, body);
    return;
  }
  if (process.env.CI === 'true') {
    describe(title, () => {
      it('has what it needs', () => {
        throw new Error(`${missing}: under CI=true this is a failure, not a skip`);
      });
    });
    return;
  }
  // eslint-disable-next-line no-console
  console.warn(`\n!!! SKIPPED "${title}": ${missing}. Install or start it to run these tests (CI always does).\n`);
  describe.skip(title, body);
}

/** The same rule for single tests inside a describe that otherwise runs: `it`, or a loudly skipped `it`. */
export function itWhenAvailable(available: boolean, missing: string): jest.It {
  if (available || process.env.CI === 'true') return it;
  // eslint-disable-next-line no-console
  console.warn(`\n!!! SKIPPING the tests that need it: ${missing}. Install it to run them (CI always does).\n`);
  return it.skip;
}

export function describeWithService(service: { name: string; host: string; port: number }, title: string, body: () => void): void {
  describeWhenAvailable(reachable(service.host, service.port), `${service.name} is not reachable at ${service.host}:${service.port}`, title, body);
}

export const REDIS = { name: 'Redis', host: '127.0.0.1', port: 6379, url: 'redis://127.0.0.1:6379' };

/** A TCP port nothing listens on now, for a private server (redis-server, a PostgreSQL cluster). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}
