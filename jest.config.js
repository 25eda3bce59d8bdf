/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // test/postgresql/ is about PostgreSQL alone: it runs when the suite does (DATABASE_URL=postgres://… npm test).
  // test/faults/ runs on its own (jest.faults.config.js, `npm run test:faults`).
  testPathIgnorePatterns: process.env.DATABASE_URL
    ? ['/node_modules/', '<rootDir>/test/faults/']
    : ['/node_modules/', '<rootDir>/test/postgresql/', '<rootDir>/test/faults/'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  setupFiles: ['<rootDir>/test/helpers/setup.ts'],
  globalSetup: '<rootDir>/test/helpers/global-setup.js',
  globalTeardown: '<rootDir>/test/helpers/global-teardown.js',
  testTimeout: 30000,
  // One worker per core, not Jest's default of one fewer: most suites wait on child processes, sockets and
  // databases rather than compute. On 2 cores the SQLite pass took 294 s with one worker, 164 s with two.
  maxWorkers: '100%',
};
