// The generated typed documents drive a live server end to end; tsc checks this file against the generated types.
import { LoginDocument, MeDocument, SetUserRoleDocument, SignupDocument, UsersDocument } from '../../src/client/graphql';
import { Role } from '../../src/shared/role';
import { signUp, startTestServer, TEST_PASSWORD, type TestServer } from '../helpers/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

it('signs up, logs in, reads me and users, and an admin sets a role, all through the typed client', async () => {
  const signup = await server.execute(SignupDocument, { input: { name: 'Typed', email: 'typed@example.com', password: TEST_PASSWORD } });
  const created = signup.body.data!.signup;
  expect(created.tokenType).toBe('Bearer');
  expect(created.user.email).toBe('typed@example.com');

  const login = await server.execute(LoginDocument, { input: { email: 'typed@example.com', password: TEST_PASSWORD } });
  const token: string = login.body.data!.login.accessToken;

  const me = await server.execute(MeDocument, {}, { token });
  expect(me.body.data!.me).toEqual({ ...created.user });

  const users = await server.execute(UsersDocument, { first: 10 }, { token });
  expect(users.body.data!.users.totalCount).toBe(1);
  expect(users.body.data!.users.nodes[0].id).toBe(created.user.id);

  const admin = await signUp(server, { role: Role.ADMIN });
  const promoted = await server.execute(SetUserRoleDocument, { id: created.user.id, role: 'ADMIN' }, { token: admin.token });
  const role: 'ADMIN' | 'USER' = promoted.body.data!.setUserRole.role;
  expect(role).toBe('ADMIN');
});
