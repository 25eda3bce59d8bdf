// users (keyset pagination, email visibility) and setUserRole, over HTTP.
import { Role } from '../../src/shared/role';
import { errorOf, logIn, signUp, startTestServer, type SignedUp, type TestServer } from '../helpers/server';

const USERS = `query($first: Int, $after: String) {
  users(first: $first, after: $after) { nodes { id name email role } pageInfo { hasNextPage endCursor } totalCount }
}`;
const SET_ROLE = `mutation($id: ID!, $role: Role!) { setUserRole(id: $id, role: $role) { id email role } }`;

interface UsersData {
  users: {
    nodes: Array<{ id: string; name: string; email: string | null; role: string }>;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    totalCount: number;
  };
}

let server: TestServer;
let admin: SignedUp;
const people: SignedUp[] = [];

beforeAll(async () => {
  server = await startTestServer();
  admin = await signUp(server, { name: 'Admin', role: Role.ADMIN });
  for (let i = 0; i < 6; i += 1) {
    // Distinct creation times, one second apart; the last two share a timestamp to exercise the id tie-break.
    if (i < 5) server.clock.advance(1);
    people.push(await signUp(server, { name: `Person ${i}` }));
  }
});
afterAll(() => server.close());

describe('users', () => {
  it('pages newest first through 3 pages with opaque cursors, without gaps or repeats', async () => {
    const viewer = people[0];
    const seen: string[] = [];
    let after: string | null = null;
    const pages: UsersData['users'][] = [];
    do {
      const res: { body: { data?: UsersData | null } } = await server.graphql<UsersData>(USERS, { first: 3, after }, { token: viewer.token });
      const page = res.body.data!.users;
      pages.push(page);
      seen.push(...page.nodes.map((node) => node.id));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after);
    expect(pages).toHaveLength(3);
    expect(pages.map((page) => page.totalCount)).toEqual([7, 7, 7]);
    expect(pages.map((page) => page.pageInfo.hasNextPage)).toEqual([true, true, false]);
    const newestFirst = [...people].reverse();
    // People 4 and 5 share a timestamp: among equals, the larger id comes first.
    const tied = [people[4].id, people[5].id].sort().reverse();
    expect(seen).toEqual([...tied, ...newestFirst.slice(2).map((p) => p.id), admin.id]);
  });

  it('defaults to 20 per page', async () => {
    const res = await server.graphql<UsersData>('{ users { nodes { id } pageInfo { hasNextPage } } }', {}, { token: people[0].token });
    expect(res.body.data?.users.nodes).toHaveLength(7);
    expect(res.body.data?.users.pageInfo.hasNextPage).toBe(false);
  });

  it('returns an empty last page with a null end cursor after the oldest user', async () => {
    const all = await server.graphql<UsersData>(USERS, { first: 7 }, { token: people[0].token });
    const res = await server.graphql<UsersData>(USERS, { first: 5, after: all.body.data?.users.pageInfo.endCursor }, { token: people[0].token });
    expect(res.body.data?.users).toMatchObject({ nodes: [], pageInfo: { hasNextPage: false, endCursor: null } });
  });

  it.each([0, -1, 101])('refuses first = %d with BAD_USER_INPUT', async (first) => {
    const res = await server.graphql(USERS, { first }, { token: people[0].token });
    expect(errorOf(res)).toEqual({ code: 'BAD_USER_INPUT', reason: 'INVALID_INPUT' });
    expect(res.body.errors?.[0].extensions?.fields).toHaveProperty('first');
  });

  it('accepts first = 100', async () => {
    const res = await server.graphql(USERS, { first: 100 }, { token: people[0].token });
    expect(res.body.errors).toBeUndefined();
  });

  it.each([
    ['garbage', 'definitely-not-a-cursor'],
    ['an unknown cursor', Buffer.from('u1:abc:xyz').toString('base64url')],
  ])('refuses %s with BAD_USER_INPUT / INVALID_CURSOR', async (_name, after) => {
    const res = await server.graphql(USERS, { first: 2, after }, { token: people[0].token });
    expect(errorOf(res)).toEqual({ code: 'BAD_USER_INPUT', reason: 'INVALID_CURSOR' });
  });

  it('shows a USER only their own email', async () => {
    const viewer = people[2];
    const res = await server.graphql<UsersData>(USERS, { first: 100 }, { token: viewer.token });
    for (const node of res.body.data!.users.nodes) {
      expect(node.email).toBe(node.id === viewer.id ? viewer.email : null);
    }
  });

  it('shows an ADMIN every email', async () => {
    const res = await server.graphql<UsersData>(USERS, { first: 100 }, { token: admin.token });
    expect(res.body.data!.users.nodes.every((node) => node.email !== null && node.email.includes('@'))).toBe(true);
  });

  it('requires a token', async () => {
    expect(errorOf(await server.graphql(USERS, { first: 1 }))).toEqual({ code: 'UNAUTHENTICATED', reason: 'TOKEN_MISSING' });
  });
});

describe('setUserRole', () => {
  it("lets an ADMIN promote a user, which ends the user's sessions; logged in again they have ADMIN rights", async () => {
    const target = await signUp(server);
    const res = await server.graphql(SET_ROLE, { id: target.id, role: 'ADMIN' }, { token: admin.token });
    expect(res.body.data).toEqual({ setUserRole: { id: target.id, email: target.email, role: 'ADMIN' } });
    expect(errorOf(await server.graphql(USERS, { first: 100 }, { token: target.token }))).toEqual({
      code: 'UNAUTHENTICATED',
      reason: 'TOKEN_REVOKED',
    });
    const { accessToken } = await logIn(server, target.email);
    const asNewAdmin = await server.graphql<UsersData>(USERS, { first: 100 }, { token: accessToken });
    expect(asNewAdmin.body.data!.users.nodes.every((node) => node.email !== null)).toBe(true);
  });

  it('refuses a USER with FORBIDDEN and 403, and changes nothing', async () => {
    const mallory = await signUp(server);
    const res = await server.graphql(SET_ROLE, { id: mallory.id, role: 'ADMIN' }, { token: mallory.token });
    expect(res.status).toBe(403);
    expect(errorOf(res)).toEqual({ code: 'FORBIDDEN', reason: undefined });
    const me = await server.graphql<{ me: { role: string } }>('{ me { role } }', {}, { token: mallory.token });
    expect(me.body.data?.me.role).toBe('USER');
  });

  it('refuses an anonymous caller with UNAUTHENTICATED', async () => {
    const res = await server.graphql(SET_ROLE, { id: people[0].id, role: 'ADMIN' });
    expect(errorOf(res)).toEqual({ code: 'UNAUTHENTICATED', reason: 'TOKEN_MISSING' });
  });

  it.each([
    ['an unknown id', '00000000-0000-4000-8000-000000000000'],
    ['a malformed id', "1' OR '1'='1"],
  ])('refuses %s with BAD_USER_INPUT / NOT_FOUND', async (_name, id) => {
    const res = await server.graphql(SET_ROLE, { id, role: 'ADMIN' }, { token: admin.token });
    expect(errorOf(res)).toEqual({ code: 'BAD_USER_INPUT', reason: 'NOT_FOUND' });
  });

  it('refuses to demote the last ADMIN', async () => {
    const solo = await startTestServer();
    try {
      const only = await signUp(solo, { role: Role.ADMIN });
      const res = await solo.graphql(SET_ROLE, { id: only.id, role: 'USER' }, { token: only.token });
      expect(errorOf(res)).toEqual({ code: 'BAD_USER_INPUT', reason: 'LAST_ADMIN' });
    } finally {
      await solo.close();
    }
  });
});
