'use strict';
// setupFiles of jest.config.js's PostgreSQL leg: every ledger a test file starts runs on PostgreSQL
// (test/support/test-store.ts). Jest gives each test file its own copy of process.env.
process.env.LEDGER_TEST_STORE = 'postgres';
