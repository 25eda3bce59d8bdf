// Before any test: build once (the process tests run the compiled server and CLI exactly as `npm start`
// does), and, when the suite runs on PostgreSQL (DATABASE_URL set), make a migrated template database that
// every test server's database is copied from (test/helpers/database.ts), and that teardown drops.
const { execFileSync } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { mkdtempSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join, resolve } = require('node:path');
const { URL } = require('node:url');

module.exports = async () => {
  const root = resolve(__dirname, '../..');
  execFileSync(process.execPath, [resolve(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
    cwd: root,
    stdio: 'inherit',
  });
  // In-process test servers write development mail (.eml files, no SMTP_URL) here; teardown removes it.
  process.env.TEST_DATA_DIR = mkdtempSync(join(tmpdir(), 'auth-test-data-'));
  const url = process.env.DATABASE_URL;
  if (!url) return;
  const { Client } = require('pg');
  const run = `auth_test_${randomBytes(4).toString('hex')}`;
  const template = `${run}_template`;
  const admin = new Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`create database "${template}"`);
  } finally {
    await admin.end();
  }
  const templateUrl = new URL(url);
  templateUrl.pathname = `/${template}`;
  // In a process of its own, as `npm run migrate` runs: the ORM must not be loaded here, in jest's parent
  // process, whose globals the in-band test files would share.
  execFileSync(process.execPath, [resolve(root, 'dist/cli/migrate.js')], {
    cwd: root,
    env: { PATH: process.env.PATH, DATABASE_URL: templateUrl.href },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  // Workers are started after this, and inherit it.
  process.env.TEST_DATABASE_RUN = run;
};
