// The security suite talks to the real server over HTTP, like an attacker would, and checks every
// response it gets for leaks: stack traces, SQL, file paths, library names.
import { startTestServer, type GraphQLResponse, type LogCapture, type TestServer } from '../helpers/server';

const LEAKS: RegExp[] = [
  /stacktrace/i,
  /\bat [\w.<>]+ \(/, // a stack frame
  /\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM)\b/,
  /sqlite|mikro-?orm|knex|jsonwebtoken|bcrypt|type-graphql|typegraphql|apollo|node_modules|\.ts\b|\/src\//i,
  /\$2[aby]\$/, // a bcrypt hash
];

export function expectNoLeak(text: string): void {
  for (const leak of LEAKS) expect(text).not.toMatch(leak);
}

/** Every response the returned server gives is checked for leaks before the test sees it. */
export async function startAttackedServer(env: Record<string, string> = {}, logs?: LogCapture): Promise<TestServer> {
  const server = await startTestServer(env, undefined, logs);
  const graphql = server.graphql.bind(server);
  server.graphql = async <TData>(...args: Parameters<TestServer['graphql']>) => {
    const res = (await graphql(...args)) as GraphQLResponse<TData>;
    expectNoLeak(res.text);
    return res;
  };
  // execute does not go through server.graphql: it is checked on its own.
  const execute = server.execute.bind(server);
  server.execute = async (document, variables, options) => {
    const res = await execute(document, variables, options);
    expectNoLeak(res.text);
    return res;
  };
  return server;
}

/** POST a raw body, checking the response for leaks. */
export async function postRaw(server: TestServer, body: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const res = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const text = await res.text();
  expectNoLeak(text);
  return { status: res.status, text };
}

/** The defaults a deployment gets, for the suites that test limits. */
export const DEFAULT_LIMITS = {
  RATE_LIMIT_LOGIN_IP: '30/1m',
  RATE_LIMIT_SIGNUP_IP: '10/1m',
  RATE_LIMIT_REFRESH_IP: '60/1m',
  RATE_LIMIT_CHANGE_PASSWORD_IP: '10/1m',
  LOGIN_MAX_FAILURES: '5',
};
