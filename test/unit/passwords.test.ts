// The password hasher: a pool of worker threads running bcryptjs, with a bounded queue.
import bcrypt from 'bcryptjs';
import { toGraphQLError } from '../../src/graphql/errors';
import { DomainError } from '../../src/shared/errors';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createPasswordHasher, HASH_WORKER_NICE, type PasswordHasher } from '../../src/passwords/passwords';

const opened: PasswordHasher[] = [];
async function hasher(cost: number, workers = 1, queueMax = 32): Promise<PasswordHasher> {
  const made = await createPasswordHasher({ cost, workers, queueMax });
  opened.push(made);
  return made;
}
afterEach(async () => {
  await Promise.all(opened.splice(0).map((made) => made.close()));
});

describe('password hasher', () => {
  it('makes standard $2b$ hashes at the configured cost that bcryptjs itself verifies', async () => {
    const hash = await (await hasher(5)).hash('correct horse');
    expect(hash).toMatch(/^\$2b\$05\$.{53}$/);
    expect(await bcrypt.compare('correct horse', hash)).toBe(true);
    expect(await bcrypt.compare('correct horsE', hash)).toBe(false);
  });

  it('gives the same answers as bcryptjs for hashes bcryptjs made', async () => {
    const pool = await hasher(4);
    const hash = bcrypt.hashSync('correct horse', 4);
    for (const attempt of ['correct horse', 'correct horsE', '', 'correct horse ']) {
      expect(await pool.verify(attempt, hash)).toBe(await bcrypt.compare(attempt, hash));
    }
  });

  it('verifies the right password and rejects a wrong one', async () => {
    const pool = await hasher(4);
    const hash = await pool.hash('correct horse');
    expect(await pool.verify('correct horse', hash)).toBe(true);
    expect(await pool.verify('correct horsE', hash)).toBe(false);
  });

  it('passes an error thrown in a worker back to the caller', async () => {
    const pool = await hasher(4);
    await expect(pool.verify('correct horse', undefined as unknown as string)).rejects.toThrow(/Illegal arguments/);
    // The pool still works afterwards.
    expect(await pool.verify('correct horse', await pool.hash('correct horse'))).toBe(true);
  });

  it('asks for a re-hash only when the stored cost is lower than configured', async () => {
    const pool = await hasher(6);
    expect(pool.needsRehash(bcrypt.hashSync('pw-pw-pw-pw', 4))).toBe(true);
    expect(pool.needsRehash(bcrypt.hashSync('pw-pw-pw-pw', 6))).toBe(false);
    expect(pool.needsRehash(bcrypt.hashSync('pw-pw-pw-pw', 7))).toBe(false);
  });

  it('spends a real comparison in the pool on the dummy hash and always says no', async () => {
    const pool = await hasher(4);
    const dummy = pool.verifyDummy('anything at all');
    expect(pool.pending).toBe(1);
    await expect(dummy).resolves.toBe(false);
    expect(pool.pending).toBe(0);
  });

  it('refuses work beyond the running tasks and the queue bound with SERVICE_UNAVAILABLE and a retry hint', async () => {
    const pool = await hasher(8, 1, 2);
    const calls = Array.from({ length: 6 }, () => pool.hash('correct horse').then(
      (hash) => ({ hash }),
      (error: unknown) => ({ error }),
    ));
    const results = await Promise.all(calls);
    const accepted = results.filter((result) => 'hash' in result);
    const refused = results.map((result) => ('error' in result ? result.error : undefined)).filter(Boolean);
    // One running on the single worker, two waiting: the other three are refused at once.
    expect(accepted).toHaveLength(3);
    expect(refused).toHaveLength(3);
    for (const error of refused) {
      expect(error).toBeInstanceOf(DomainError);
      expect(error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryAfter: expect.any(Number) });
      expect((error as DomainError).retryAfter).toBeGreaterThanOrEqual(1);
      // As the client sees it: HTTP 503.
      expect((toGraphQLError(error as DomainError).extensions.http as { status: number }).status).toBe(503);
    }
    // Once the queue drains, work is accepted again.
    expect(await pool.verify('correct horse', await pool.hash('correct horse'))).toBe(true);
  });

  it('runs the configured number of worker threads and stops them on close', async () => {
    const pool = await createPasswordHasher({ cost: 4, workers: 2, queueMax: 4 });
    await Promise.all([pool.hash('a-password'), pool.hash('b-password')]);
    expect(pool.threads).toBe(2);
    await pool.close();
    expect(pool.threads).toBe(0);
    await expect(pool.hash('a-password')).rejects.toThrow('closed');
    expect(pool.threads).toBe(0);
  });

  // Linux only: there nice is per thread and /proc shows it.
  const onLinux = existsSync('/proc/self/task') ? it : it.skip;
  onLinux('runs its threads HASH_WORKER_NICE below the event loop in CPU priority', async () => {
    const niceOf = (stat: string) => Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
    const threadNices = () =>
      readdirSync('/proc/self/task').map((tid) => ({ tid, nice: niceOf(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')) }));
    const main = niceOf(readFileSync('/proc/self/stat', 'utf8'));
    const before = new Set(threadNices().map((thread) => thread.tid));
    const pool = await hasher(4, 2);
    await Promise.all([pool.hash('a-password'), pool.hash('b-password')]);
    const added = threadNices().filter((thread) => !before.has(thread.tid) && thread.nice !== main);
    expect(added.map((thread) => thread.nice)).toEqual([Math.min(19, main + HASH_WORKER_NICE), Math.min(19, main + HASH_WORKER_NICE)]);
    expect(niceOf(readFileSync('/proc/self/stat', 'utf8'))).toBe(main);
  });

  it('hashes at the default cost of 12', async () => {
    const pool = await hasher(12);
    const hash = await pool.hash('correct horse');
    expect(bcrypt.getRounds(hash)).toBe(12);
    expect(await pool.verify('correct horse', hash)).toBe(true);
  });
});
