'use strict';
// `node bench/scale-profile.js LOG PROJECTIONS PROFILES [SECONDS]`: a CPU profile and the memory
// split of a ledger serving GETs of random profiles over an already built log + read models (what
// bench/scale.js leaves with BENCH_KEEP_TMP=1, or `ledger rebuild` output). Prints the profile
// summary (bench/profile-summary.js), the SQL time per GET, and process.memoryUsage() before and after.
const path = require('node:path');
const { randomBytes } = require('node:crypto');
const { Child, Client, freePort, waitForHttp, ledgerEnv, cannon, memoryOf } = require('./lib');
const { summarise } = require('./profile-summary');

async function main() {
  const [log, models, profiles, seconds = '10'] = process.argv.slice(2);
  const secret = `bench_${randomBytes(12).toString('hex')}`;
  const port = await freePort();
  const env = { ...ledgerEnv({ dbPath: path.resolve(log), secret, port, tmp: path.dirname(path.resolve(log)) }), PROJECTIONS_PATH: path.resolve(models), LOG_REQUESTS: '0' };
  const server = new Child('ledger', ['-r', path.join(__dirname, 'cpu-prof-preload.js'), 'dist/main.js'], { cwd: path.resolve(__dirname, '..'), env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  const client = new Client(`http://127.0.0.1:${port}`, { authorization: `Api-Key ${secret}` }, 4);
  try {
    await waitForHttp(client, '/health/live', server);
    const spec = {
      name: 'GET',
      pid: server.pid,
      url: `http://127.0.0.1:${port}`,
      method: 'GET',
      path: '/api/v2/server-side-api/profile/',
      headers: { authorization: `Api-Key ${secret}` },
      pick: () => ({ 'adapty-customer-user-id': `bench-${Math.floor(Math.random() * Number(profiles))}` }),
    };
    const before = (await server.rpc({ type: 'memory' })).memory;
    await cannon(spec, 3, 32);
    await server.rpc({ type: 'prof-start', intervalUs: 250 });
    const r = await cannon(spec, Number(seconds), 32);
    const file = path.join(__dirname, 'profiles', 'scale-get.cpuprofile');
    require('node:fs').mkdirSync(path.dirname(file), { recursive: true });
    const stop = await server.rpc({ type: 'prof-stop', file });
    const after = (await server.rpc({ type: 'memory' })).memory;
    const mb = (m) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, Math.round(v / 1e6)]));
    process.stdout.write(`${summarise(file, 25)}\n`);
    process.stdout.write(`${r.total} GETs, ${Math.round(r.rps)} req/s, mean ${r.mean.toFixed(2)} ms; threads us/req: ${JSON.stringify(Object.fromEntries(Object.entries(r.threads).map(([k, v]) => [k, Math.round((1e6 * v) / r.total)])))}\n`);
    for (const x of stop.sql.sort((a, b) => b.ms - a.ms).slice(0, 6)) process.stdout.write(`  SQL ${((1000 * x.ms) / r.total).toFixed(1)} us/GET  ${x.calls} calls  ${x.key}\n`);
    process.stdout.write(`memory MB before: ${JSON.stringify(mb(before))}\nmemory MB after:  ${JSON.stringify(mb(after))}; VmRSS ${JSON.stringify(memoryOf(server.pid))}\n`);
  } finally {
    client.close();
    await server.stop();
  }
}

main().catch((e) => {
  process.stderr.write(`${e.stack || e}\n`);
  process.exit(1);
});
