// The committed schema and typed client must be what the code produces today.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildAppSchema, printAppSchema } from '../../src/graphql/schema';

const root = resolve(__dirname, '../..');

it('schema/schema.graphql matches the code (run `npm run schema` after changing resolvers)', () => {
  expect(readFileSync(resolve(root, 'schema/schema.graphql'), 'utf8')).toBe(printAppSchema(buildAppSchema()));
});

it('src/client matches codegen output (run `npm run codegen` after changing the schema or operations)', () => {
  // codegen's CLI is ESM-only inside; run it as a process in a scratch copy and compare file by file.
  const scratch = mkdtempSync(join(tmpdir(), 'codegen-drift-'));
  try {
    cpSync(resolve(root, 'codegen.yml'), join(scratch, 'codegen.yml'));
    cpSync(resolve(root, 'schema'), join(scratch, 'schema'), { recursive: true });
    symlinkSync(resolve(root, 'node_modules'), join(scratch, 'node_modules'), 'dir');
    execFileSync(process.execPath, [resolve(root, 'node_modules/@graphql-codegen/cli/cjs/bin.js'), '--config', 'codegen.yml', '--silent'], {
      cwd: scratch,
      stdio: 'pipe',
    });
    const generated = readdirSync(join(scratch, 'src/client')).sort();
    expect(readdirSync(resolve(root, 'src/client')).sort()).toEqual(generated);
    for (const file of generated) {
      expect({ file, content: readFileSync(resolve(root, 'src/client', file), 'utf8') }).toEqual({
        file,
        content: readFileSync(join(scratch, 'src/client', file), 'utf8'),
      });
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});
