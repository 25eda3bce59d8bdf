// examples/client: it type-checks against the generated documents (and a wrong field or variable name
// does not), and it runs against a live server, refreshing an expired access token on the way.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import ts from 'typescript';
import { ApiClient, ApiError } from '../../examples/client/client';
import { walkthrough } from '../../examples/client/main';
import { MeDocument } from '../../src/client/graphql';
import { signUp, startTestServer, TEST_PASSWORD, type TestServer } from '../helpers/server';

const EXAMPLE = resolve(__dirname, '../../examples/client');
const MAIN = resolve(EXAMPLE, 'main.ts');

/**
 * The type errors of examples/client under its own tsconfig, with `main.ts` replaced by `source` if given
 * (in memory, at the same path, so its imports resolve as they do on disk).
 */
function typeErrors(source?: string): string[] {
  const config = ts.getParsedCommandLineOfConfigFile(resolve(EXAMPLE, 'tsconfig.json'), undefined, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
      throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
    },
  });
  if (!config) throw new Error('examples/client/tsconfig.json did not parse');
  const options = { ...config.options, noEmit: true };
  const host = ts.createCompilerHost(options);
  const readSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, ...rest) =>
    source !== undefined && resolve(fileName) === MAIN ? ts.createSourceFile(fileName, source, languageVersion) : readSourceFile(fileName, languageVersion, ...rest);
  const program = ts.createProgram(config.fileNames, options, host);
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, ' '));
}

/** main.ts with one piece replaced; fails if the piece is not there, so a variant never silently equals the original. */
function variant(find: string, replacement: string): string {
  const original = readFileSync(MAIN, 'utf8');
  if (!original.includes(find)) throw new Error(`main.ts no longer contains ${find}`);
  return original.replace(find, replacement);
}

describe('the type-check', () => {
  it('passes as the example stands', () => {
    expect(typeErrors()).toEqual([]);
  });

  it('fails when the example reads a field its operation does not select', () => {
    expect(typeErrors(variant('<${me.email}>', '<${me.emial}>'))).toEqual([expect.stringContaining("Property 'emial' does not exist")]);
  });

  it('fails when a variable has a wrong name', () => {
    expect(typeErrors(variant('{ first: 2, after }', '{ frist: 2, after }'))).toEqual([expect.stringContaining("'frist' does not exist")]);
  });
});

describe('against a live server', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('signs up, logs in, reads me, and pages through users two at a time', async () => {
    for (let i = 0; i < 3; i += 1) await signUp(server, { name: `Other ${i}` });
    const lines: string[] = [];
    await walkthrough(new ApiClient(server.url), { name: 'Example', email: 'example@example.com', password: TEST_PASSWORD }, (line) => lines.push(line));
    expect(lines.slice(0, 3)).toEqual([
      expect.stringMatching(/^signed up: Example \([0-9a-f-]{36}\)$/),
      'logged in: a new session',
      'me: Example <example@example.com>, USER, since 2026-01-01T12:00:00.000Z',
    ]);
    // All four were made at the same instant of the test clock, so their order within it is the id's.
    const pages = lines.slice(3).map((line) => /^users page (\d) of 2: (.+), (.+)$/.exec(line));
    expect(pages.map((page) => page?.[1])).toEqual(['1', '2']);
    expect(pages.flatMap((page) => page?.slice(2)).sort()).toEqual(['Example', 'Other 0', 'Other 1', 'Other 2']);
  });

  it('refreshes an expired access token once, and the request goes through', async () => {
    const client = new ApiClient(server.url);
    await client.signup({ name: 'Refresh', email: 'refresh@example.com', password: TEST_PASSWORD });
    server.clock.advance(server.config.jwt.accessTtlSeconds + 1);
    const { me } = await client.request(MeDocument, {});
    expect(me.email).toBe('refresh@example.com');
    expect(client.refreshes).toBe(1);
    expect((await client.request(MeDocument, {})).me.email).toBe('refresh@example.com');
    expect(client.refreshes).toBe(1);
  });

  it('throws the API error, with its code and reason, when there is no token', async () => {
    const error = await new ApiClient(server.url).request(MeDocument, {}).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'TOKEN_MISSING' });
  });
});
