// The layers of src/ as eslint/layers.cjs states them: every import runs down (or sideways where listed),
// the folders import each other in no circle, and storage stays in src/db/ (no SQL statement, and no
// database driver, anywhere else). The lint enforces the same map per file; this reads the whole graph.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const SRC = resolve(__dirname, '../../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

// eslint/layers.cjs is CommonJS, shared with the lint configuration.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { LAYERS } = require('../../eslint/layers.cjs') as { LAYERS: Record<string, string[]> };

/** The layer of a file of src/: its top folder, or its own name for a file at the top (config, app, main). */
function layerOf(path: string): string {
  const [first] = relative(SRC, path).split(sep);
  return first.replace(/\.ts$/, '');
}

/** Every relative import of every file of src/, as the layer it comes from and the layer it reaches. */
const arrows = sourceFiles(SRC).flatMap((file) =>
  [...readFileSync(file, 'utf8').matchAll(/(?:\bfrom\s+|\bimport\s+|\bimport\(|\brequire\()['"](\.{1,2}\/[^'"]+)['"]/g)].map((match) => ({
    file: relative(SRC, file),
    from: layerOf(file),
    to: layerOf(resolve(dirname(file), match[1])),
    specifier: match[1],
  })),
);

describe('the layers', () => {
  it('name every folder and top file of src/', () => {
    const present = new Set(sourceFiles(SRC).map(layerOf));
    expect([...present].filter((layer) => !(layer in LAYERS))).toEqual([]);
  });

  it('see every import (the reading of the graph works)', () => {
    expect(arrows.length).toBeGreaterThan(150);
    expect(arrows).toContainEqual(expect.objectContaining({ from: 'app', to: 'db' }));
  });

  it('are only imported downwards: no folder imports one it may not use', () => {
    const wrong = arrows.filter(({ from, to }) => from !== to && !(LAYERS[from] ?? []).includes(to));
    expect(wrong.map(({ file, specifier }) => `${file} imports ${specifier}`)).toEqual([]);
  });

  it('import each other in no circle, in the code and in the map', () => {
    const edges = new Map<string, Set<string>>();
    for (const [layer, allowed] of Object.entries(LAYERS)) edges.set(layer, new Set(allowed));
    for (const { from, to } of arrows) if (from !== to) edges.get(from)?.add(to);
    // Depth-first search for a back edge: the first circle found, spelled out.
    const state = new Map<string, 'open' | 'done'>();
    const circles: string[] = [];
    const visit = (layer: string, path: string[]): void => {
      state.set(layer, 'open');
      for (const next of edges.get(layer) ?? []) {
        if (state.get(next) === 'open') circles.push([...path, layer, next].join(' -> '));
        else if (!state.has(next)) visit(next, [...path, layer]);
      }
      state.set(layer, 'done');
    };
    for (const layer of edges.keys()) if (!state.has(layer)) visit(layer, []);
    expect(circles).toEqual([]);
  });
});

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
