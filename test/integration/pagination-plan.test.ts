// `users` pages are keyset-based: SQLite seeks into the (created_at, public_id) index at the cursor,
// so page 5,000 costs what page 1 costs. EXPLAIN QUERY PLAN shows it.
import { encodeCursor } from '../../src/users/cursor';
import { startTestServer, type TestServer } from '../helpers/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

async function planOf(after: string | null): Promise<string[]> {
  const em = server.app.orm.em.fork();
  const qb = server.app.users.pageQuery(em, 20, after);
  const rows = await em.getConnection().execute<Array<{ detail: string }>>(`explain query plan ${qb.getFormattedQuery()}`);
  return rows.map((row: { detail: string }) => row.detail);
}

it('a page after a cursor is an index seek on (created_at, public_id), with no sort', async () => {
  const plan = await planOf(encodeCursor({ createdAt: new Date(1_795_000_000_000), publicId: '9945506c-6ef5-47b4-88d3-03a70e482725' }));
  expect(plan).toEqual(['SEARCH u0 USING INDEX users_created_at_public_id_index ((created_at,public_id)<(?,?))']);
});

it('the first page walks the same index backwards, with no sort', async () => {
  const plan = await planOf(null);
  expect(plan).toEqual(['SCAN u0 USING INDEX users_created_at_public_id_index']);
});
