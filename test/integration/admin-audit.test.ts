// An ADMIN's changes to other users are rules of the domain (AuthService), with an audit line each: a role
// change ends the user's sessions and says how many; a deletion says who was deleted. No email in either.
import { LogCapture, signUp, startTestServer, type TestServer } from '../helpers/server';
import { Role } from '../../src/shared/role';

const logs = new LogCapture();
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ LOG_LEVEL: 'info' }, undefined, logs);
});
afterAll(() => server.close());

const eventsNamed = (event: string) => logs.lines.filter((line) => line.event === event);

it('a role change ends the user\'s sessions and logs who changed whom, to what, and how many sessions ended', async () => {
  const admin = await signUp(server, { role: Role.ADMIN });
  const target = await signUp(server);
  const res = await server.graphql('mutation($id: ID!) { setUserRole(id: $id, role: ADMIN) { role } }', { id: target.id }, { token: admin.token });
  expect(res.body.data).toEqual({ setUserRole: { role: 'ADMIN' } });
  expect(eventsNamed('user.role_changed').at(-1)).toMatchObject({ userId: admin.id, targetId: target.id, role: 'ADMIN', sessionsEnded: 1 });
  expect((await server.graphql('{ me { id } }', {}, { token: target.token })).body.errors?.[0].extensions?.reason).toBe('TOKEN_REVOKED');
});

it('a deletion logs who deleted whom', async () => {
  const admin = await signUp(server, { role: Role.ADMIN });
  const target = await signUp(server);
  expect((await server.graphql('mutation($id: ID!) { deleteUser(id: $id) }', { id: target.id }, { token: admin.token })).body.data).toEqual({
    deleteUser: true,
  });
  expect(eventsNamed('user.deleted').at(-1)).toMatchObject({ userId: admin.id, targetId: target.id });
});

it('puts no email in either line', () => {
  const lines = JSON.stringify([...eventsNamed('user.role_changed'), ...eventsNamed('user.deleted')]);
  expect(lines).not.toMatch(/@example\.com/);
});
