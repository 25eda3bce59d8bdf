// Storage stays in src/db/: no SQL statement, and no database driver, anywhere else in src/.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const SRC = resolve(__dirname, '../../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** The files outside src/db/ (and the generated client, which holds GraphQL, not SQL). */
const outsideDb = sourceFiles(SRC)
  .map((path) => relative(SRC, path))
  .filter((path) => !path.startsWith('db/') && !path.startsWith('client/'));

// A statement, however it is spelled: select … from, insert into, update … set, delete from, and the DDL.
const SQL = /\b(select\b[\s\S]{0,200}?\bfrom\b|insert\s+into\b|update\s+[`"]?\w+[`"]?\s+set\b|delete\s+from\b|create\s+(unique\s+)?(table|index)\b|pragma\s+\w+|begin\s+immediate\b)/i;
const DRIVERS = /(\bfrom\s+|\bimport\s+|\brequire\()['"](better-sqlite3|pg|knex|@mikro-orm\/[\w-]+)['"]/;

it('finds the files it checks', () => {
  expect(outsideDb.length).toBeGreaterThan(20);
});

it.each(outsideDb)('%s holds no SQL', (path) => {
  expect(readFileSync(join(SRC, path), 'utf8')).not.toMatch(SQL);
});

it.each(outsideDb)('%s imports no database driver', (path) => {
  expect(readFileSync(join(SRC, path), 'utf8')).not.toMatch(DRIVERS);
});
