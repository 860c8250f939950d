const fs = require('node:fs');
const path = require('node:path');

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  // only folders that exist in this checkout (git keeps no empty folders)
  roots: ['kernel', 'protocol', 'config', 'device', 'drivers', 'runtime', 'simulators', 'hq', 'test', 'bench']
    .filter((d) => fs.existsSync(path.join(__dirname, d)))
    .map((d) => `<rootDir>/${d}`),
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  // `cookie` is ESM-only and Fastify's inject require()s it: served through Node's own require (test/support/cookie-cjs.js)
  moduleNameMapper: { '^cookie$': '<rootDir>/test/support/cookie-cjs.js' },
  testTimeout: 30000,
  maxWorkers: 2,
  globalSetup: '<rootDir>/test/global-setup.js',
};
