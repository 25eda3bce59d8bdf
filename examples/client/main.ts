// npm run example:client [-- http://localhost:4000/graphql]: sign up, log in, read me, page through users.
import { randomBytes } from 'node:crypto';
import { MeDocument, UsersDocument, type UsersQuery } from '../../src/client/graphql';
import { ApiClient } from './client';

export interface Account {
  name: string;
  email: string;
  password: string;
}

/** The walk through the API; `log` gets one line per step. */
export async function walkthrough(client: ApiClient, account: Account, log: (line: string) => void): Promise<void> {
  const created = await client.signup(account);
  log(`signed up: ${created.name} (${created.id})`);
  await client.login({ email: account.email, password: account.password });
  log('logged in: a new session');

  const { me } = await client.request(MeDocument, {});
  log(`me: ${me.name} <${me.email}>, ${me.role}, since ${me.createdAt}`);

  // Two users a page, following endCursor until there is no next page.
  let after: string | null = null;
  for (let page = 1; ; page += 1) {
    // Annotated: `after` is assigned from the answer, so its type cannot be inferred through it.
    const { users }: UsersQuery = await client.request(UsersDocument, { first: 2, after });
    log(`users page ${page} of ${Math.ceil(users.totalCount / 2)}: ${users.nodes.map((user) => user.name).join(', ')}`);
    if (!users.pageInfo.hasNextPage) break;
    after = users.pageInfo.endCursor;
  }
}

if (require.main === module) {
  const url = process.argv[2] ?? 'http://localhost:4000/graphql';
  const suffix = randomBytes(4).toString('hex');
  const account = { name: `Example ${suffix}`, email: `example-${suffix}@example.com`, password: randomBytes(12).toString('base64url') };
  walkthrough(new ApiClient(url), account, (line) => process.stdout.write(`${line}\n`)).catch((error: unknown) => {
    const unreachable = error instanceof TypeError && error.message === 'fetch failed';
    process.stderr.write(unreachable ? `Cannot reach ${url}: is the API running (npm start)?\n` : `${String(error)}\n`);
    process.exit(1);
  });
}
