// After every test: remove the run's data directory, and drop the PostgreSQL databases this run made (see
// global-setup.js), including any a failed test left behind.
module.exports = async () => {
  if (process.env.TEST_DATA_DIR) require('node:fs').rmSync(process.env.TEST_DATA_DIR, { recursive: true, force: true });
  const url = process.env.DATABASE_URL;
  const run = process.env.TEST_DATABASE_RUN;
  if (!url || !run) return;
  const { Client } = require('pg');
  const admin = new Client({ connectionString: url });
  await admin.connect();
  try {
    const { rows } = await admin.query('select datname from pg_database where datname like $1', [`${run}%`]);
    for (const { datname } of rows) await admin.query(`drop database if exists "${datname}" with (force)`);
  } finally {
    await admin.end();
  }
};
