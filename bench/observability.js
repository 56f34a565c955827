'use strict';
// Section 4d of `npm run bench`: what Prometheus metrics and request logs cost on the GET and
// grant paths. A second ledger with LOG_REQUESTS=0 METRICS_ENABLED=0 on its own store, seeded
// the same way, runs the same scenarios in interleaved rounds with the main one (defaults: on).
// BENCH_OBSERVABILITY=0 skips it.
const fs = require('node:fs');
const path = require('node:path');
const { Child, Client, freePort, waitForHttp, ledgerEnv } = require('./lib');

async function measureObservabilityCost({ root, tmp, secret, auth, watch, state, log, run, seed, product, getSpec, grantSpec, profiles }) {
  const port = await freePort();
  const dbPath = path.join(tmp, 'quiet', 'ledger.sqlite');
  fs.mkdirSync(path.dirname(dbPath), { recursive: true });
  const env = { ...ledgerEnv({ dbPath, secret, port, tmp }), LOG_REQUESTS: '0', METRICS_ENABLED: '0' };
  const quiet = new Child('ledger (metrics and logs off)', [...watch, 'dist/main.js'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  state.children.push(quiet);
  const url = `http://127.0.0.1:${port}`;
  const client = new Client(url, auth, 16);
  state.clients.push(client);
  await waitForHttp(client, '/api/v2/server-side-api/profile/', quiet);
  await client.ok('PUT', `/admin/v1/products/${product}`, { body: { access_level_id: 'premium' } });
  const seeded = await seed(client);
  log(`   second ledger (pid ${quiet.pid}, LOG_REQUESTS=0 METRICS_ENABLED=0) seeded with ${seeded.profiles} profiles`);
  const off = (spec, name) => ({ ...spec, name, pid: quiet.pid, url });
  const [getOn, getOff] = await run('observability-get', [
    { ...getSpec('GET, metrics+logs on', profiles) },
    off(getSpec('', profiles), 'GET, metrics+logs off'),
  ]);
  const [grantOn, grantOff] = await run('observability-grants', [
    { ...grantSpec, name: 'grant, metrics+logs on' },
    off(grantSpec, 'grant, metrics+logs off'),
  ]);
  await quiet.stop();
  const costOf = (on, offRun) => ({
    on,
    off: offRun,
    // Throughput lost, and server CPU added per request, with metrics and request logs on.
    rpsCost: 1 - on.rps / offRun.rps,
    cpuCost: on.serverCpuUsPerReq !== null && offRun.serverCpuUsPerReq !== null ? on.serverCpuUsPerReq / offRun.serverCpuUsPerReq - 1 : null,
  });
  return { get: costOf(getOn, getOff), grants: costOf(grantOn, grantOff), grants2xxOnMain: grantOn.ok2xx + (grantOn.warmup ? grantOn.warmup.ok2xx : 0) };
}

/** Report lines for section 4d. */
function observabilityLines(o, fmt) {
  const pct = (x) => (x === null ? '-' : `${fmt(100 * x, 1)} %`);
  const row = (label, c) =>
    `  ${label.padEnd(6)} on ${fmt(c.on.rps).padStart(6)} req/s, ${fmt(c.on.serverCpuUsPerReq).padStart(4)} us CPU/req | off ${fmt(c.off.rps).padStart(6)} req/s, ${fmt(c.off.serverCpuUsPerReq).padStart(4)} us CPU/req | ` +
    `cost: ${pct(c.rpsCost)} req/s, ${pct(c.cpuCost)} CPU per request (target < 5 %)`;
  return ['', 'Cost of metrics and request logs (same scenario, ledger with LOG_REQUESTS=0 METRICS_ENABLED=0, interleaved rounds):', row('GET', o.get), row('grant', o.grants)];
}

module.exports = { measureObservabilityCost, observabilityLines };
