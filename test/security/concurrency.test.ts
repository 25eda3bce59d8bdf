// A race for one email: 20 concurrent signups with case variants of it make exactly one user.
import { SignupDocument } from '../../src/client/graphql';
import { countUsers } from '../helpers/database';
import { type TestServer } from '../helpers/server';
import { startAttackedServer } from './harness';

let server: TestServer;
beforeAll(async () => {
  server = await startAttackedServer({ BCRYPT_COST: '6' });
});
afterAll(() => server.close());

it('20 concurrent signups with case variants of one email give exactly one user row', async () => {
  const variants = Array.from({ length: 20 }, (_, i) =>
    [...'race@example.com'].map((char, j) => ((i >> j % 5) & 1 ? char.toUpperCase() : char)).join('') + (i % 3 === 0 ? ' ' : ''),
  );
  const results = await Promise.all(
    variants.map((email) => server.execute(SignupDocument, { input: { name: 'Racer', email, password: 'long enough' } })),
  );
  const created = results.filter((res) => res.body.data);
  const taken = results.filter((res) => res.body.errors?.[0].extensions?.reason === 'EMAIL_TAKEN');
  expect(created).toHaveLength(1);
  expect(taken).toHaveLength(19);
  expect(await countUsers(server)).toBe(1);
  expect(await countUsers(server, 'race@example.com')).toBe(1);
});
