// The authenticated user comes from a cache kept right by the services: a warm entry never outlives a write.
import { User } from '../../src/users/user.entity';
import { Role } from '../../src/users/role';
import { errorOf, signUp, startTestServer, TEST_PASSWORD, type TestServer } from '../helpers/server';

const ME = '{ me { id name role } }';
const SET_ROLE = 'mutation($id: ID!, $role: Role!) { setUserRole(id: $id, role: $role) { role } }';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

/** A write behind the services' back: the cache cannot know of it. */
async function renameInDatabase(target: TestServer, id: string, name: string): Promise<void> {
  await target.app.orm.em.fork().nativeUpdate(User, { publicId: id }, { name });
}

it('serves a warm user from the cache, not the database', async () => {
  const user = await signUp(server, { name: 'Cached' });
  expect((await server.graphql(ME, {}, { token: user.token })).body.data).toEqual({ me: { id: user.id, name: 'Cached', role: 'USER' } });
  await renameInDatabase(server, user.id, 'Renamed');
  expect((await server.graphql(ME, {}, { token: user.token })).body.data).toEqual({ me: { id: user.id, name: 'Cached', role: 'USER' } });
});

it('trusts a cached entry for at most a minute, for writes made behind the server\'s back', async () => {
  const user = await signUp(server, { name: 'Before' });
  await server.graphql(ME, {}, { token: user.token });
  await renameInDatabase(server, user.id, 'After');
  server.clock.advance(60);
  try {
    expect((await server.graphql<{ me: { name: string } }>(ME, {}, { token: user.token })).body.data?.me.name).toBe('After');
  } finally {
    server.clock.advance(-60);
  }
});

it('a demoted admin loses admin rights on the next request, with the cache warm', async () => {
  const boss = await signUp(server, { role: Role.ADMIN });
  const demoted = await signUp(server, { role: Role.ADMIN });
  const bystander = await signUp(server);
  // Warm: the demoted admin has just used their rights.
  expect(errorOf(await server.graphql(SET_ROLE, { id: bystander.id, role: 'USER' }, { token: demoted.token })).code).toBeUndefined();
  expect(errorOf(await server.graphql(SET_ROLE, { id: demoted.id, role: 'USER' }, { token: boss.token })).code).toBeUndefined();
  const res = await server.graphql(SET_ROLE, { id: bystander.id, role: 'USER' }, { token: demoted.token });
  expect(errorOf(res).code).toBe('FORBIDDEN');
  expect((await server.graphql<{ me: { role: string } }>(ME, {}, { token: demoted.token })).body.data?.me.role).toBe('USER');
});

it('a deleted user loses access on the next request, with the cache warm', async () => {
  const doomed = await signUp(server);
  expect((await server.graphql(ME, {}, { token: doomed.token })).body.errors).toBeUndefined();
  expect(await server.app.users.deleteUser(server.app.orm.em.fork(), doomed.id)).toBe(true);
  expect(errorOf(await server.graphql(ME, {}, { token: doomed.token }))).toEqual({ code: 'UNAUTHENTICATED', reason: 'USER_NOT_FOUND' });
});

it('a password change drops the cached user, so the next request reads the database', async () => {
  const user = await signUp(server, { name: 'Old' });
  await server.graphql(ME, {}, { token: user.token });
  await renameInDatabase(server, user.id, 'Fresh');
  const em = server.app.orm.em.fork();
  const entity = await em.findOneOrFail(User, { publicId: user.id }, { populate: ['passwordHash'] });
  await server.app.users.replacePasswordHash(em, entity, await server.app.hasher.hash(`${TEST_PASSWORD}!`));
  expect((await server.graphql<{ me: { name: string } }>(ME, {}, { token: user.token })).body.data?.me.name).toBe('Fresh');
});

it('has no cache when several processes serve (WEB_CONCURRENCY > 1): every request reads the database', async () => {
  const clustered = await startTestServer({ WEB_CONCURRENCY: '2' });
  try {
    const user = await signUp(clustered, { name: 'Shared' });
    await clustered.graphql(ME, {}, { token: user.token });
    await renameInDatabase(clustered, user.id, 'Seen at once');
    expect((await clustered.graphql<{ me: { name: string } }>(ME, {}, { token: user.token })).body.data?.me.name).toBe('Seen at once');
  } finally {
    await clustered.close();
  }
});
