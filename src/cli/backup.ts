// npm run db:backup -- --out FILE
// A consistent copy of the SQLite database at DB_PATH, made while servers run (db/backup.ts). PostgreSQL has
// its own tools for this: on DATABASE_URL it says which, and exits non-zero. See docs/operations.md, "Backups".
import { parseArgs } from 'node:util';
import { ConfigError, toolSettings, type DatabaseSettings } from '../config';
import { BackupError, backupSqlite } from '../db/backup';

const USAGE = 'Usage: npm run db:backup -- --out <file>   (copies the SQLite database at DB_PATH; the file must not exist)';

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

function postgresAdvice(database: Extract<DatabaseSettings, { dialect: 'postgresql' }>): string {
  return [
    `db:backup copies a SQLite database, and DATABASE_URL is PostgreSQL (${database.display}).`,
    "Back it up with PostgreSQL's own pg_dump, which takes a consistent snapshot while servers run:",
    `  pg_dump -Fc --no-owner --dbname '<DATABASE_URL>' --file auth.dump`,
    'and restore it into a new, empty database with:',
    `  createdb auth_restored && pg_restore --no-owner --exit-on-error --dbname '<URL of auth_restored>' auth.dump`,
    'See docs/operations.md, "Backups and restore".',
  ].join('\n');
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({ options: { out: { type: 'string' } }, strict: true }));
  } catch (error) {
    fail(`${(error as Error).message}\n${USAGE}`);
  }
  if (!values.out) fail(USAGE);

  let database: DatabaseSettings;
  try {
    database = toolSettings.database();
  } catch (error) {
    if (error instanceof ConfigError) fail(`Configuration error: ${error.message}`);
    throw error;
  }
  if (database.dialect === 'postgresql') fail(postgresAdvice(database));

  try {
    const report = await backupSqlite(database.path, values.out);
    process.stdout.write(
      `Backed up ${database.path} to ${values.out}: ${report.pages} pages, ${report.bytes} bytes, integrity_check ok, in ${report.ms} ms\n`,
    );
  } catch (error) {
    if (error instanceof BackupError) fail(`Could not back up: ${error.message}`);
    throw error;
  }
}

main().catch((error: unknown) => fail(`Failed: ${error instanceof Error ? error.message : String(error)}`));
