// The unique index, not a read-then-write check, decides who gets an email.
import { SignupDocument } from '../../src/client/graphql';
import { countUsers } from '../helpers/database';
import { errorOf, startTestServer, TEST_PASSWORD, type TestServer } from '../helpers/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

it('two concurrent signups with one email give exactly one user and one EMAIL_TAKEN', async () => {
  const input = { name: 'Twin', email: 'twin@example.com', password: TEST_PASSWORD };
  const results = await Promise.all([server.execute(SignupDocument, { input }), server.execute(SignupDocument, { input })]);
  expect(results.filter((res) => res.body.data?.signup)).toHaveLength(1);
  expect(results.map(errorOf).filter((error) => error.reason === 'EMAIL_TAKEN')).toHaveLength(1);
  expect(await countUsers(server, 'twin@example.com')).toBe(1);
});

it('20 concurrent signups with case variants of one email give exactly one user', async () => {
  const variants = Array.from({ length: 20 }, (_, i) =>
    [...'crowd@example.com'].map((char, j) => ((i >> j % 5) & 1 ? char.toUpperCase() : char)).join(''),
  );
  const results = await Promise.all(
    variants.map((email) => server.execute(SignupDocument, { input: { name: 'Crowd', email, password: TEST_PASSWORD } })),
  );
  expect(results.filter((res) => res.body.data?.signup)).toHaveLength(1);
  expect(results.filter((res) => errorOf(res).reason === 'EMAIL_TAKEN')).toHaveLength(19);
  expect(await countUsers(server, 'crowd@example.com')).toBe(1);
});
