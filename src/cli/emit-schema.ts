// npm run schema: write schema/schema.graphql from the code.
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildAppSchema, printAppSchema } from '../graphql/schema';

export const SCHEMA_FILE = resolve(__dirname, '../../schema/schema.graphql');

writeFileSync(SCHEMA_FILE, printAppSchema(buildAppSchema()));
process.stdout.write(`Wrote ${SCHEMA_FILE}\n`);
