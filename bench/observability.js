'use strict';
// Section 4d of `npm run bench`: what Prometheus metrics and request logs cost on the GET and
// grant paths. Two fresh ledgers, identical but for LOG_REQUESTS=0 METRICS_ENABLED=0 on one,
// seeded the same way, run the same scenarios in interleaved rounds; their stdout goes to a file. BENCH_OBSERVABILITY=0 skips it.
// Runs alone too: `node bench/observability.js` (after npm run build); BENCH_OBS_ON_ENV='K=V,…' adds
// settings to the "on" ledger there (e.g. LOG_REQUESTS=0 to see what metrics alone cost).
const fs = require('node:fs');
const path = require('node:path');
const { Child, Client, freePort, waitForHttp, ledgerEnv, compare, ledgerRequests, PROFILE_PATH } = require('./lib');


async function startLedger({ root, tmp, name, secret, extraEnv, state }) {
  const port = await freePort();
  const dbPath = path.join(tmp, name, 'ledger.sqlite');
  fs.mkdirSync(path.dirname(dbPath), { recursive: true });
  const env = { ...ledgerEnv({ dbPath, secret, port, tmp }), ...extraEnv };
  // Logs go to a file, as a container runtime writes them: a pipe read by this busy process would slow the writer down.
  const out = fs.openSync(path.join(path.dirname(dbPath), 'stdout.log'), 'w');
  const child = new Child(`ledger (${name})`, ['-r', path.join(__dirname, 'parent-watch.js'), 'dist/main.js'], { cwd: root, env, stdio: ['ignore', out, 'pipe'] });
  fs.closeSync(out);
  state.children.push(child);
  const url = `http://127.0.0.1:${port}`;
  const client = new Client(url, { authorization: `Api-Key ${secret}` }, 16);
  state.clients.push(client);
  await waitForHttp(client, PROFILE_PATH, child);
  return { child, url, client };
}

/**
 * `seed(client)` seeds a ledger; `options` are compare()'s (seconds, rounds, warmup, connections, onRun).
 */
async function measureObservabilityCost({ root, tmp, secret, state, log, seed, profiles, options, onEnv = {} }) {
  const on = await startLedger({ root, tmp, name: 'observability-on', secret, extraEnv: onEnv, state });
  const off = await startLedger({ root, tmp, name: 'observability-off', secret, extraEnv: { LOG_REQUESTS: '0', METRICS_ENABLED: '0' }, state });
  await Promise.all([seed(on.client), seed(off.client)]);
  log(`   two fresh ledgers seeded with ${profiles} profiles each: metrics and request logs on (pid ${on.child.pid}) and off (pid ${off.child.pid})`);
  const { get, grant } = ledgerRequests({ secret, profiles });
  const [getOn, getOff] = await compare([get(on, 'GET, metrics+logs on'), get(off, 'GET, metrics+logs off')], options);
  const [grantOn, grantOff] = await compare([grant(on, 'grant, metrics+logs on'), grant(off, 'grant, metrics+logs off')], options);
  await Promise.all([on.child.stop(), off.child.stop()]);
  const costOf = (a, b) => ({
    on: a,
    off: b,
    // Throughput lost, and server CPU added per request, with metrics and request logs on.
    rpsCost: 1 - a.rps / b.rps,
    cpuCost: a.serverCpuUsPerReq !== null && b.serverCpuUsPerReq !== null ? a.serverCpuUsPerReq / b.serverCpuUsPerReq - 1 : null,
  });
  return { get: costOf(getOn, getOff), grants: costOf(grantOn, grantOff) };
}

/** Report lines for section 4d. */
function observabilityLines(o, fmt) {
  const pct = (x) => (x === null ? '-' : `${fmt(100 * x, 1)} %`);
  const row = (label, c) =>
    `  ${label.padEnd(6)} on ${fmt(c.on.rps).padStart(6)} req/s, ${fmt(c.on.serverCpuUsPerReq).padStart(4)} us CPU/req | off ${fmt(c.off.rps).padStart(6)} req/s, ${fmt(c.off.serverCpuUsPerReq).padStart(4)} us CPU/req | ` +
    `cost: ${pct(c.rpsCost)} req/s, ${pct(c.cpuCost)} CPU per request (target < 5 %)`;
  return ['', 'Cost of metrics and request logs (two fresh ledgers, one with LOG_REQUESTS=0 METRICS_ENABLED=0, interleaved rounds):', row('GET', o.get), row('grant', o.grants)];
}

module.exports = { measureObservabilityCost, observabilityLines };

if (require.main === module) {
  const os = require('node:os');
  const { randomBytes } = require('node:crypto');
  const num = (name, dflt) => (process.env[name] ? Number(process.env[name]) : dflt);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-bench-obs-'));
  const state = { children: [], clients: [] };
  const fmt = (n, d = 0) => (n === null || n === undefined || Number.isNaN(n) ? '-' : Number(n).toFixed(d));
  const log = (m) => process.stdout.write(`${m}\n`);
  const profiles = num('BENCH_PROFILES', 1000);
  const seed = async (client) => {
    for (let i = 0; i < profiles; i += 16) {
      await Promise.all(
        Array.from({ length: Math.min(16, profiles - i) }, (_, k) => client.ok('POST', PROFILE_PATH, { headers: { 'adapty-customer-user-id': `bench-${i + k}` }, body: {} })),
      );
    }
  };
  const options = {
    seconds: num('BENCH_DURATION', 10),
    rounds: num('BENCH_ROUNDS', 4),
    warmup: num('BENCH_WARMUP', 2),
    connections: num('BENCH_CONNECTIONS', 32),
    onRun: (spec, r, label) => log(`  ${spec.name.padEnd(26)} ${label.padEnd(11)} ${fmt(r.rps).padStart(6)} req/s`),
  };
  const onEnv = Object.fromEntries((process.env.BENCH_OBS_ON_ENV || '').split(',').filter(Boolean).map((kv) => kv.split('=')));
  measureObservabilityCost({ root: path.resolve(__dirname, '..'), tmp, secret: `bench_${randomBytes(12).toString('hex')}`, state, log, seed, profiles, options, onEnv })
    .then((o) => log(observabilityLines(o, fmt).join('\n')))
    .catch((e) => process.stderr.write(`${e.stack}\n`))
    .finally(async () => {
      state.clients.forEach((c) => c.close());
      await Promise.all(state.children.map((c) => c.stop()));
      fs.rmSync(tmp, { recursive: true, force: true });
    });
}
