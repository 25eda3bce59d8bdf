// npm run migrate: bring the database's schema up to date, as a release step before starting servers with
// MIGRATE_ON_START=false. Safe to run while servers run, and from several places at once on PostgreSQL
// (the advisory lock of db/migrate.ts).
import 'reflect-metadata';
import { ConfigError, describeDatabase, toolSettings } from '../config';
import { openDatabase } from '../db/database';
import { createLogger } from '../shared/logger';

async function main(): Promise<void> {
  let database;
  try {
    database = toolSettings.database();
  } catch (error) {
    if (error instanceof ConfigError) throw new Error(`Configuration error: ${error.message}`);
    throw error;
  }
  const logger = createLogger('info');
  const db = await openDatabase(database, logger, { migrate: true, lock: false, cacheSessions: false });
  await db.close();
  process.stdout.write(`The schema of ${describeDatabase(database)} is up to date\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
