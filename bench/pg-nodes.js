'use strict';
// Section 8 of `npm run bench` (issue 10): durable grants/s and GET/s on PostgreSQL (event store and
// read models in one throwaway PostgreSQL 15 with fsync and synchronous_commit on) with one node and
// with two nodes sharing it, beside the embedded store, in interleaved rounds of the same run.
// "Two nodes" = two ledger processes on the same database, half of the connections each; the
// figure is their sum. On a 2-core machine the nodes, PostgreSQL and autocannon share the cores.
//   BENCH_PG_NODES=0   skip (independent of BENCH_PG, which skips section 7)
// Runs alone too: `node bench/pg-nodes.js` (after npm run build; prints JSON).

const fs = require('node:fs');
const path = require('node:path');
const { randomBytes } = require('node:crypto');
const { Child, Client, freePort, waitForHttp, ledgerEnv, cannon, pool, ledgerRequests, PROFILE_PATH, GRANT_PATH } = require('./lib');
const { startCluster, stopCluster, createDatabase } = require('../test/support/pg-cluster');
const { postgresCpuSeconds } = require('./postgres');

const ROOT = path.resolve(__dirname, '..');
const TARGETS = { onePgNodeVsEmbeddedGrants: 0.5 };

function pgNodesConfig(env = process.env) {
  return { enabled: env.BENCH_PG_NODES !== '0' };
}

async function startNode({ name, env, secret, children, clients }) {
  const child = new Child(name, ['-r', path.join(__dirname, 'parent-watch.js'), 'dist/main.js'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  const url = `http://127.0.0.1:${env.PORT}`;
  const client = new Client(url, { authorization: `Api-Key ${secret}` }, 16);
  clients.push(client);
  await waitForHttp(client, PROFILE_PATH, child);
  return { child, url, client };
}

/** Profiles bench-0..n-1, each created and granted premium once (through `client`). */
async function seed(client, n) {
  await pool(n, 16, async (i) => {
    const headers = { 'adapty-customer-user-id': `bench-${i}` };
    await client.ok('POST', PROFILE_PATH, { headers, body: { first_name: `Bench${i}` } });
    await client.ok('POST', GRANT_PATH, { headers, body: { access_level_id: 'premium' } });
  });
}

async function runPgNodes({ tmp, log, children, clients, clusters, options, profiles = 1000, onRun = () => undefined }) {
  const secret = `bench_${randomBytes(24).toString('base64url')}`;
  const info = await startCluster({ durable: true });
  clusters.push(info);
  const pgUrl = await createDatabase(info, 'ledger');
  const quiet = { LOG_REQUESTS: '0' };
  const embeddedDir = path.join(tmp, 'pg-nodes-embedded');
  fs.mkdirSync(embeddedDir, { recursive: true });
  const embPort = await freePort();
  const embedded = await startNode({
    name: 'ledger (embedded)',
    env: { ...ledgerEnv({ dbPath: path.join(embeddedDir, 'ledger.sqlite'), secret, port: embPort, tmp }), ...quiet },
    secret,
    children,
    clients,
  });
  const pgEnv = async () => {
    const port = await freePort();
    const env = { ...ledgerEnv({ dbPath: path.join(tmp, 'unused.sqlite'), secret, port, tmp }), ...quiet, EVENT_STORE_URL: pgUrl };
    return env;
  };
  const nodeA = await startNode({ name: 'ledger (PostgreSQL node A)', env: await pgEnv(), secret, children, clients });
  const nodeB = await startNode({ name: 'ledger (PostgreSQL node B)', env: await pgEnv(), secret, children, clients });
  log(`pg-nodes: embedded (pid ${embedded.child.pid}), PostgreSQL ${info.version || ''} node A (pid ${nodeA.child.pid}) and B (pid ${nodeB.child.pid}) on one database`);
  for (const l of [embedded, nodeA]) await l.client.ok('PUT', '/admin/v1/products/bench_monthly', { body: { access_level_id: 'premium' } });
  await Promise.all([seed(embedded.client, profiles), seed(nodeA.client, profiles)]);
  log(`pg-nodes: seeded ${profiles} profiles with a grant each on the embedded store and on PostgreSQL`);

  const { get, grant } = ledgerRequests({ secret, profiles });
  // PostgreSQL's CPU (postmaster and its backends) over each run, to put beside the node's own.
  const withPgCpu = (run) => async (s) => {
    const before = postgresCpuSeconds(info);
    const r = await run(s);
    const after = postgresCpuSeconds(info);
    return { ...r, pgCpu: before === null || after === null ? 0 : after - before };
  };
  const one = (spec) => withPgCpu((s) => cannon(spec, s, options.connections));
  const two = (a, b) =>
    withPgCpu(async (s) => {
      const half = Math.max(1, Math.floor(options.connections / 2));
      const [x, y] = await Promise.all([cannon(a, s, half), cannon(b, s, options.connections - half)]);
      const threads = x.threads && y.threads ? Object.fromEntries(Object.keys(x.threads).map((k) => [k, x.threads[k] + y.threads[k]])) : null;
      return { ...x, threads, total: x.total + y.total, rps: x.rps + y.rps, p99: Math.max(x.p99, y.p99), mean: (x.mean * x.total + y.mean * y.total) / Math.max(1, x.total + y.total), non2xx: x.non2xx + y.non2xx, errors: x.errors + y.errors };
    });
  const results = {};
  for (const [kind, make] of [['grant', grant], ['get', get]]) {
    const targets = [
      { name: `${kind} embedded (SQLite)`, run: one(make(embedded)) },
      { name: `${kind} PostgreSQL, one node`, run: one(make(nodeA)) },
      { name: `${kind} PostgreSQL, two nodes`, run: two(make(nodeA), make(nodeB)) },
    ];
    const runs = targets.map(() => []);
    if (options.warmup > 0) for (const t of targets) onRun(t, await t.run(options.warmup), 'warm-up');
    const perRound = Math.max(1, options.seconds / options.rounds);
    for (let r = 0; r < options.rounds; r++) {
      const order = targets.map((_, i) => i);
      if (r % 2 === 1) order.reverse();
      for (const i of order) {
        const res = await targets[i].run(perRound);
        runs[i].push(res);
        onRun(targets[i], res, `round ${r + 1}/${options.rounds}`);
      }
    }
    const agg = (rs, name) => {
      const total = rs.reduce((a, x) => a + x.total, 0);
      const duration = rs.reduce((a, x) => a + x.duration, 0);
      return {
        name,
        rps: total / duration,
        mean: rs.reduce((a, x) => a + x.mean * x.total, 0) / Math.max(1, total),
        p99: Math.max(...rs.map((x) => x.p99)),
        non2xx: rs.reduce((a, x) => a + x.non2xx, 0),
        errors: rs.reduce((a, x) => a + x.errors, 0),
        roundsRps: rs.map((x) => Math.round(x.rps)),
        // CPU per request (us): the node(s) by thread, and PostgreSQL.
        cpuUsPerReq: rs.every((x) => x.threads)
          ? { ...Object.fromEntries(Object.keys(rs[0].threads).map((k) => [k, (1e6 * rs.reduce((a, x) => a + x.threads[k], 0)) / Math.max(1, total)])), postgres: (1e6 * rs.reduce((a, x) => a + x.pgCpu, 0)) / Math.max(1, total) }
          : null,
      };
    };
    const [emb, pg1, pg2] = runs.map((rs, i) => agg(rs, targets[i].name));
    results[kind] = { embedded: emb, pgOne: pg1, pgTwo: pg2, oneVsEmbedded: pg1.rps / emb.rps, twoVsOne: pg2.rps / pg1.rps };
  }
  await Promise.all([embedded.child.stop(), nodeA.child.stop(), nodeB.child.stop()]);
  await stopCluster(info);
  clusters.splice(clusters.indexOf(info), 1);
  return results;
}

module.exports = { runPgNodes, pgNodesConfig, TARGETS };

if (require.main === module) {
  const os = require('node:os');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-bench-pgnodes-'));
  const children = [];
  const clients = [];
  const clusters = [];
  const num = (name, dflt) => (process.env[name] ? Number(process.env[name]) : dflt);
  const options = { seconds: num('BENCH_DURATION', 10), rounds: num('BENCH_ROUNDS', 2), warmup: num('BENCH_WARMUP', 2), connections: num('BENCH_CONNECTIONS', 32) };
  const log = (m) => process.stdout.write(`${m}\n`);
  runPgNodes({ tmp, log, children, clients, clusters, options, profiles: num('BENCH_PROFILES', 1000), onRun: (t, r, label) => log(`  ${t.name.padEnd(36)} ${label.padEnd(11)} ${Math.round(r.rps)} req/s`) })
    .then((r) => log(JSON.stringify(r, null, 2)))
    .catch((e) => process.stderr.write(`${e.stack || e}\n`))
    .finally(async () => {
      clients.forEach((c) => c.close());
      await Promise.all(children.map((c) => c.stop()));
      await Promise.all(clusters.map((c) => stopCluster(c)));
      fs.rmSync(tmp, { recursive: true, force: true });
    });
}
