/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/src', '<rootDir>/test'],
  testMatch: ['**/*.spec.ts', '**/*.e2e.ts'],
  transform: { '^.+\\.ts$': 'ts-jest' },
  testTimeout: 30000,
  // One throwaway PostgreSQL cluster per run, started by the first test that needs it.
  globalSetup: '<rootDir>/test/support/pg-global-setup.js',
  globalTeardown: '<rootDir>/test/support/pg-global-teardown.js',
};
