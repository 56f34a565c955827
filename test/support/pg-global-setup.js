'use strict';
// jest globalSetup: names (does not create) the folder where the run's one PostgreSQL cluster will
// live. The first test file that asks for a database starts the cluster (test/support/postgres.ts),
// so runs without PostgreSQL tests pay nothing; globalTeardown stops and removes it.
const os = require('node:os');
const path = require('node:path');
const { randomBytes } = require('node:crypto');

module.exports = async function globalSetup() {
  process.env.LEDGER_TEST_PG_DIR = path.join(os.tmpdir(), `ledger-pg-run-${process.pid}-${randomBytes(4).toString('hex')}`);
  process.env.LEDGER_TEST_PG_OWNER = String(process.pid);
};
