// An ADMIN's changes to other users are rules of the domain (AuthService), with an audit line each: a role
// change ends the user's sessions and says how many; a deletion says who was deleted. No email in either.
import { MeDocument, SetUserRoleDocument } from '../../src/client/graphql';
import { Role } from '../../src/shared/role';
import { expectUnauthenticated, LogCapture, signUp, startTestServer, type TestServer } from '../helpers/server';

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
  const res = await server.execute(SetUserRoleDocument, { id: target.id, role: 'ADMIN' }, { token: admin.token });
  expect(res.body.errors).toBeUndefined();
  expect(res.body.data?.setUserRole.role).toBe('ADMIN');
  expect(eventsNamed('user.role_changed').at(-1)).toMatchObject({ userId: admin.id, targetId: target.id, role: 'ADMIN', sessionsEnded: 1 });
  await expectUnauthenticated(server.execute(MeDocument, {}, { token: target.token }), 'TOKEN_REVOKED');
});

it('a deletion logs who deleted whom', async () => {
  const admin = await signUp(server, { role: Role.ADMIN });
  const target = await signUp(server);
  // No typed operation for deleteUser (schema/operations/ has none): inline.
  expect((await server.graphql('mutation($id: ID!) { deleteUser(id: $id) }', { id: target.id }, { token: admin.token })).body.data).toEqual({
    deleteUser: true,
  });
  expect(eventsNamed('user.deleted').at(-1)).toMatchObject({ userId: admin.id, targetId: target.id });
});

it('puts no email in either line', () => {
  const lines = JSON.stringify([...eventsNamed('user.role_changed'), ...eventsNamed('user.deleted')]);
  expect(lines).not.toMatch(/@example\.com/);
});
