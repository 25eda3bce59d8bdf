// The figures a fault test measured, for docs/reliability.md's table: one marked line in the output, and a JSON
// file in $FAULT_FIGURES_DIR when it is set (the run that fills the table sets it).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DIALECT } from './database';

export function recordFigures(name: string, figures: Record<string, unknown>): void {
  const entry = { test: name, database: DIALECT, ...figures };
  // eslint-disable-next-line no-console
  console.log(`FIGURES ${name}`, JSON.stringify(entry));
  const dir = process.env.FAULT_FIGURES_DIR;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.${DIALECT}.json`), `${JSON.stringify(entry, null, 2)}\n`);
}
