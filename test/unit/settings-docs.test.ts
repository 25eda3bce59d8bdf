// The settings are written in three places: src/config.ts (what is read, and its defaults),
// .env.example (what to copy) and the table in docs/operations.md (what each one means). They must agree.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadConfig, SETTING_NAMES } from '../../src/config';

const ROOT = resolve(__dirname, '../..');
const SECRET = 'x'.repeat(32);
const SETTINGS = [...SETTING_NAMES].sort();

/** `NAME=value` lines of .env.example. */
function envExample(): Record<string, string> {
  return Object.fromEntries(
    readFileSync(resolve(ROOT, '.env.example'), 'utf8')
      .split('\n')
      .filter((line) => /^[A-Z0-9_]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

/** The rows of the table under "## Settings" in docs/operations.md: the variable and its default cell. */
function settingsTable(): Array<{ name: string; defaultCell: string }> {
  const text = readFileSync(resolve(ROOT, 'docs/operations.md'), 'utf8');
  const section = text.split(/^## /m).find((part) => part.startsWith('Settings\n'));
  if (section === undefined) throw new Error('docs/operations.md has no "## Settings" section');
  return [...section.matchAll(/^\| `([A-Z0-9_]+)` \| ([^|]*) \|/gm)].map((row) => ({ name: row[1], defaultCell: row[2].trim() }));
}

/** The default a table cell states as a literal (`4000`, `15m`), or '' for one described in words ("all interfaces"). */
function literalDefault(cell: string): string {
  return /^`([^`]*)`/.exec(cell)?.[1] ?? '';
}

/** The variables loadConfig reads, watched through a proxy: what it does, not what its source seems to say. */
function variablesRead(): string[] {
  const seen = new Set<string>();
  const env = new Proxy<Record<string, string | undefined>>(
    { JWT_SECRET: SECRET },
    {
      get(target, name) {
        if (typeof name === 'string') seen.add(name);
        return typeof name === 'string' ? target[name] : undefined;
      },
    },
  );
  loadConfig(env);
  return [...seen].sort();
}

describe('settings', () => {
  it('are read by loadConfig exactly as SETTING_NAMES lists them', () => {
    expect(variablesRead()).toEqual(SETTINGS);
  });

  it('are each listed once in .env.example', () => {
    expect(Object.keys(envExample()).sort()).toEqual(SETTINGS);
  });

  it('are each listed once in the table of docs/operations.md', () => {
    expect(settingsTable().map((row) => row.name).sort()).toEqual(SETTINGS);
  });

  it('have in the docs table the default that .env.example sets, or a description where it sets none', () => {
    const example = envExample();
    const documented = Object.fromEntries(settingsTable().map((row) => [row.name, literalDefault(row.defaultCell)]));
    expect(documented).toEqual(Object.fromEntries(SETTINGS.map((name) => [name, example[name] ?? ''])));
  });

  it('in .env.example give the same configuration as the built-in defaults', () => {
    expect(loadConfig({ ...envExample(), JWT_SECRET: SECRET })).toEqual(loadConfig({ JWT_SECRET: SECRET }));
  });
});
