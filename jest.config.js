/**
 * Two legs in one run (`npm test`, files of both interleaved): every test on the default SQLite
 * store, and the end-to-end files whose behaviour depends on the store once more with
 * LEDGER_TEST_STORE=postgres (every ledger they start gets a fresh database on the run's throwaway
 * PostgreSQL cluster: test/support/test-store.ts).
 * `LEDGER_TEST_STORE=postgres npx jest …` (or =sqlite) runs the named files once, on that store only.
 */
const base = {
  testEnvironment: 'node',
  roots: ['<rootDir>/src', '<rootDir>/test'],
  transform: { '^.+\\.ts$': 'ts-jest' },
};

/**
 * Left out of the PostgreSQL leg, to keep CI within its budget: these test what the HTTP layer
 * does before a request reaches the store (validation, parser refusals, rate limits, timeouts,
 * logs, configuration, the OpenAPI document, the console in a browser), so a second store would
 * repeat the same requests for the same answers.
 */
const STORE_INDEPENDENT = [
  'config', // configuration errors, refused before any store is opened
  'console-page', // the console's static files
  'console', // the console in Chromium: the page drives admin and v2 routes the other files test on both stores
  'framework-errors', // Fastify/Node parser refusals in the error envelope
  'fuzz-routes', // random requests: no 5xx, the envelope on every refusal
  'logging', // JSON request logs and redaction
  'openapi', // the generated OpenAPI document against the routes
  'rate-limit', // per-key request budgets
  'slow-clients', // header and body timeouts, connection limits
  'webhook-ssrf', // the guard on endpoint addresses, at registration and at each connection
];
/** Files named for PostgreSQL start their own databases: they run on it in the SQLite leg already. */
const ALREADY_ON_POSTGRES = '/test/[^/]*postgres[^/]*\\.e2e\\.ts$';

const postgresLeg = {
  ...base,
  displayName: 'postgres',
  testMatch: ['<rootDir>/test/*.e2e.ts'],
  testPathIgnorePatterns: ['/node_modules/', ALREADY_ON_POSTGRES, ...STORE_INDEPENDENT.map((name) => `/test/${name}\\.e2e\\.ts$`)],
  setupFiles: ['<rootDir>/test/support/on-postgres.js'],
};

// Worker threads started from sources load them through tsx (src/shared/worker-thread.ts): no
// compile cache of its own left in the system's temporary folder.
process.env.TSX_DISABLE_CACHE = '1';

/** @type {import('jest').Config} */
module.exports = {
  // A run-wide option (ignored inside projects).
  testTimeout: 30000,
  // One throwaway PostgreSQL cluster per run, started by the first test that needs it (both legs share it).
  globalSetup: '<rootDir>/test/support/pg-global-setup.js',
  globalTeardown: '<rootDir>/test/support/pg-global-teardown.js',
  ...(process.env.LEDGER_TEST_STORE
    ? { ...base, testMatch: ['**/*.spec.ts', '**/*.e2e.ts'] }
    : { projects: [{ ...base, displayName: 'sqlite', testMatch: ['**/*.spec.ts', '**/*.e2e.ts'] }, postgresLeg] }),
};
