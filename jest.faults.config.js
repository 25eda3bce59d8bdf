// The fault suite (test/faults/): the real server process under sustained load, kills, a full disk, flapping
// dependencies, shutdown and clock jumps. Slower than the unit and integration suite, so it runs on its own
// (`npm run test:faults`, and on PostgreSQL `npm run test:faults:postgres`); .ci/run calls both.
const base = require('./jest.config');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  roots: ['<rootDir>/test/faults'],
  testPathIgnorePatterns: ['/node_modules/'],
  testTimeout: 300000,
  // One suite at a time: the soak measures throughput and latency, and the others time kills and restarts.
  maxWorkers: 1,
};
