// Password work runs in a bounded worker pool: when it is full, login and signup say so at once (503).
import { LoginDocument } from '../../src/client/graphql';
import { signUp, startTestServer, TEST_PASSWORD } from '../helpers/server';

it('answers SERVICE_UNAVAILABLE with retryAfter and HTTP 503 when the hash queue is full, never a 500', async () => {
  const server = await startTestServer({ BCRYPT_COST: '10', HASH_WORKERS: '1', HASH_QUEUE_MAX: '0' });
  try {
    const { email } = await signUp(server);
    const results = await Promise.all(
      Array.from({ length: 6 }, () => server.execute(LoginDocument, { input: { email, password: TEST_PASSWORD } })),
    );
    const ok = results.filter((res) => res.status === 200 && res.body.data);
    const busy = results.filter((res) => res.status === 503);
    expect(ok.length + busy.length).toBe(results.length);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    expect(busy.length).toBeGreaterThanOrEqual(1);
    for (const res of busy) {
      const extensions = res.body.errors?.[0].extensions;
      expect(extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryAfter: expect.any(Number) });
      expect(extensions).not.toHaveProperty('http');
      expect(Number(res.headers.get('retry-after'))).toBe(extensions?.retryAfter);
    }
  } finally {
    await server.close();
  }
});

it('starts the pool with the server and stops its threads when the server closes', async () => {
  const server = await startTestServer({ HASH_WORKERS: '2' });
  expect(server.app.hasher.threads).toBe(2);
  await server.close();
  expect(server.app.hasher.threads).toBe(0);
  await expect(server.app.hasher.hash(TEST_PASSWORD)).rejects.toThrow('closed');
});
