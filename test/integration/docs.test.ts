// The documentation's curl examples, run against a live server: the README's session first, then each
// file of docs/ in name order, as one session, so that $TOKEN and the users signed up carry on. Each
// answer is compared with the output the documentation shows under the command.
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, resolve } from 'node:path';
import { promisify } from 'node:util';
import { startTestServer, type TestServer } from '../helpers/server';
import { describeWhenAvailable } from '../helpers/services';

const ROOT = resolve(__dirname, '../..');
const FILES = ['README.md', ...readdirSync(resolve(ROOT, 'docs')).filter((name) => name.endsWith('.md')).sort().map((name) => `docs/${name}`)];
/** The address the documentation shows; each command runs with the test server's instead. */
const SHOWN_ORIGIN = 'http://localhost:4000';
/** Fields whose values differ on every run (ids, tokens, cursors, times): compared by type only. */
const VOLATILE = new Set(['id', 'accessToken', 'refreshToken', 'createdAt', 'endCursor']);

interface Example {
  where: string;
  command: string;
  /** The ```json block right under the command, if there is one. */
  shown?: unknown;
}

/** Every ```sh block that runs curl against the server, with the output shown under it. */
function examplesIn(file: string): Example[] {
  const text = readFileSync(resolve(ROOT, file), 'utf8');
  const blocks = [...text.matchAll(/^```(\w*)\n([\s\S]*?)^```\n/gm)];
  const examples: Example[] = [];
  blocks.forEach((block, i) => {
    const [, language, body] = block;
    if (language !== 'sh' || !/^\s*(\w+=\$\()?curl /m.test(body) || !body.includes(SHOWN_ORIGIN)) return;
    const line = text.slice(0, block.index).split('\n').length;
    const next = blocks[i + 1];
    const adjacent = next && next[1] === 'json' && next.index === block.index! + block[0].length;
    examples.push({ where: `${file}:${line}`, command: body, shown: adjacent ? JSON.parse(next[2]) : undefined });
  });
  return examples;
}

/** The value with every volatile field replaced by its type, so that two runs compare equal. */
function comparable(value: unknown, key?: string): unknown {
  if (Array.isArray(value)) return value.map((each) => comparable(each));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([name, each]) => [name, comparable(each, name)]));
  }
  return key !== undefined && VOLATILE.has(key) ? `<${typeof value}>` : value;
}

const curlInstalled = spawnSync('curl', ['--version']).status === 0;
const examples = FILES.flatMap(examplesIn);

describeWhenAvailable(curlInstalled, 'curl is not installed', 'the documentation', () => {
  let server: TestServer;
  let outputs: string[];
  let stderr: string;
  let stateDir: string;

  beforeAll(async () => {
    server = await startTestServer();
    stateDir = mkdtempSync(resolve(tmpdir(), 'docs-test-'));
    const state = resolve(stateDir, 'state.sh');
    writeFileSync(state, '');
    outputs = [];
    stderr = '';
    for (const example of examples) {
      // One shell per example, so that the clock moves between them (the newest user comes first in a
      // page only if it was created later); `set -a` and `export -p` carry $TOKEN and the like on.
      const script = `set -a\n. '${state}'\n${example.command.replaceAll(SHOWN_ORIGIN, server.baseUrl)}\nexport -p > '${state}'\n`;
      // Asynchronous: the server answering the commands runs in this process. --norc: bash reads
      // ~/.bashrc when its standard input is a socket, as Node's pipes are.
      const result = await promisify(execFile)('bash', ['--norc', '--noprofile', '-c', script], {
        cwd: ROOT,
        env: { PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH}` },
      });
      outputs.push(result.stdout.trim());
      stderr += result.stderr;
      server.clock.advance(1);
    }
  });

  afterAll(async () => {
    await server?.close();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  it("shows the README's curl session with its output", () => {
    const readme = examples.filter((example) => example.where.startsWith('README.md:'));
    expect(readme.length).toBeGreaterThanOrEqual(3);
    expect(readme.filter((example) => example.shown !== undefined).length).toBeGreaterThanOrEqual(2);
  });

  it('runs every example without a word on standard error', () => {
    expect(stderr).toBe('');
  });

  it.each(examples.map((example, index) => [example.where, index] as const).filter(([, index]) => examples[index].shown !== undefined))(
    'gets at %s the answer the documentation shows',
    (_where, index) => {
      expect(comparable(JSON.parse(outputs[index]))).toEqual(comparable(examples[index].shown));
    },
  );
});
