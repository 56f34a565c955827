'use strict';
// jest globalTeardown: stops the run's PostgreSQL cluster, if a test started one, and removes its folder.
const fs = require('node:fs');
const path = require('node:path');
const { stopCluster } = require('./pg-cluster');

module.exports = async function globalTeardown() {
  const dir = process.env.LEDGER_TEST_PG_DIR;
  if (!dir || !fs.existsSync(dir)) return;
  const file = path.join(dir, 'cluster.json');
  if (fs.existsSync(file)) await stopCluster(JSON.parse(fs.readFileSync(file, 'utf8')));
  fs.rmSync(dir, { recursive: true, force: true });
};
