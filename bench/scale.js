'use strict';
// Section 6 of `npm run bench`: the scale point (issue 9), called from bench/run.js (or alone:
// `node bench/scale.js`, after npm run build; prints the results as JSON).
//
// 1. Seed: two logs written straight into SQLite by bench/seed-store.js (the domain's own deciders,
//    no HTTP): the large one (BENCH_SCALE_PROFILES profiles, BENCH_SCALE_EVENTS_PER_PROFILE events
//    each: reservation, creation, then renewals and grants interleaved over a year) and a small one
//    of the same shape (BENCH_SCALE_SMALL profiles). Seeding time is reported, not judged.
// 2. Raw scan: `SELECT data FROM events` + JSON.parse of every row of the large log, in a fresh
//    process: the floor any rebuild pays to read the log once.
// 3. `ledger rebuild` over the large log, timed from spawn to exit, on a deployment whose live read
//    models are at the head (so the command does what a rebuild does: the scan into a scratch copy,
//    a no-op catch-up, the swap into the live file). One run; events/s and the ratio to the raw scan.
//    The small log is rebuilt the same way (not timed) so both servers start on built read models.
// 4. Cold start: the ledger is spawned on each log and polled with GET of a random profile; spawn →
//    first 200. Nothing is replayed at start (the read models are at the head); the files are in
//    the OS page cache (they were just written), so this is a process cold start, not a disk one.
// 5. RSS: after BENCH_SCALE_WARM seconds of GETs over random profiles of the large ledger, VmRSS
//    (and the peak, VmHWM) of the server process.
// 6. GET latency: the two servers in interleaved rounds at BENCH_CONNECTIONS, random profiles of
//    each; ratio = mean latency at the large one / at the small one (p50 and p99 shown too).
//
// Environment (see also bench/run.js):
//   BENCH_SCALE=0                       skip
//   BENCH_SCALE_PROFILES=100000         profiles in the large log (the README's figures: 1000000)
//   BENCH_SCALE_EVENTS_PER_PROFILE=10   events per profile (1000000 profiles -> 10M events)
//   BENCH_SCALE_SMALL=1000              profiles in the small log
//   BENCH_SCALE_STORE=<file>            keep the large seeded log there and reuse it when it holds the
//                                       requested number of events (it is only read: the servers
//                                       only answer GETs; the read models live in the temp dir)
//   BENCH_SCALE_WARM=10                 seconds of random GETs before RSS is read
//   BENCH_SCALE_REBUILD_PROFILE=1       CPU-profile the timed rebuild (bench/profiles/rebuild.cpuprofile)

const fs = require('node:fs');
const path = require('node:path');
const { randomBytes } = require('node:crypto');
const { Child, Client, freePort, sleep, compare, ledgerEnv, memoryOf, cannon } = require('./lib');

const ROOT = path.resolve(__dirname, '..');
const PROFILE_PATH = '/api/v2/server-side-api/profile/';
const TARGETS = { rebuildVsRawScan: 0.5, latencyRatio: 1.2, rssMb: 300, coldStartSeconds: 2 };

function scaleConfig(env = process.env) {
  const num = (name, dflt) => (env[name] === undefined || env[name] === '' ? dflt : Number(env[name]));
  const profiles = num('BENCH_SCALE_PROFILES', 100_000);
  return {
    enabled: env.BENCH_SCALE !== '0' && profiles > 0,
    profiles,
    eventsPerProfile: num('BENCH_SCALE_EVENTS_PER_PROFILE', 10),
    small: num('BENCH_SCALE_SMALL', 1000),
    store: env.BENCH_SCALE_STORE || null,
    warmSeconds: num('BENCH_SCALE_WARM', 10),
    profile: env.BENCH_SCALE_REBUILD_PROFILE === '1',
  };
}

const fmt = (n, d = 0) => (n === null || n === undefined || Number.isNaN(n) ? '-' : Number(n).toFixed(d));

/** Runs `node args` to completion; returns the JSON object on the last `{`-line of its output, and its wall time. */
async function runJsonChild(name, args, children, env = process.env) {
  const started = process.hrtime.bigint();
  const child = new Child(name, ['-r', path.join(__dirname, 'parent-watch.js'), ...args], {
    cwd: ROOT,
    env: { ...env, BENCH_PARENT_PID: String(process.pid) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const exit = await child.exitPromise;
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const line = child.output
    .split(/[\n\r]/)
    .reverse()
    .find((l) => l.startsWith('{'));
  if (exit.code !== 0) throw new Error(`${name} failed (${JSON.stringify(exit)}):\n${child.output.slice(-4000)}`);
  return { result: line ? JSON.parse(line) : null, wallSeconds, output: child.output };
}

function headOf(dbPath) {
  const Database = require('better-sqlite3');
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    return Number(db.prepare('SELECT MAX(position) AS p FROM events').get().p ?? 0);
  } finally {
    db.close();
  }
}

const removeDb = (file) => ['', '-wal', '-shm'].forEach((s) => fs.rmSync(file + s, { force: true }));

/** Seeds `profiles` × `perProfile` events into `dbPath`, or reuses it when it already holds that many. */
async function seedLog({ dbPath, profiles, perProfile, children, log, label, keep = false }) {
  const events = profiles * perProfile;
  if (fs.existsSync(dbPath)) {
    const head = headOf(dbPath);
    if (head === events) {
      // The seeding of a kept log is reported from the note written when it was seeded.
      const note = fs.existsSync(`${dbPath}.seed.json`) ? JSON.parse(fs.readFileSync(`${dbPath}.seed.json`, 'utf8')) : { seconds: null };
      log(`scale: ${label}: reusing ${dbPath} (${head} events${note.seconds ? `, seeded in ${fmt(note.seconds, 1)} s` : ''})`);
      return { ...note, events: head, profiles, reused: dbPath, fileBytes: fs.statSync(dbPath).size };
    }
    log(`scale: ${label}: ${dbPath} holds ${head} events, not ${events}: seeding afresh`);
    removeDb(dbPath);
    fs.rmSync(`${dbPath}.seed.json`, { force: true });
  }
  log(`scale: ${label}: seeding ${events} events over ${profiles} profiles straight into SQLite (domain deciders, no HTTP)`);
  const { result } = await runJsonChild(`seed ${label}`, [path.join(__dirname, 'seed-store.js'), dbPath, String(events), String(profiles)], children);
  if (keep) fs.writeFileSync(`${dbPath}.seed.json`, `${JSON.stringify(result)}\n`);
  log(`scale: ${label}: seeded ${result.events} events in ${fmt(result.seconds, 1)} s (${fmt(result.events / result.seconds)} events/s) ${JSON.stringify(result.byType)}`);
  return { ...result, fileBytes: fs.statSync(dbPath).size };
}

/** Live read models as a serving deployment has them when it runs `rebuild`: dist's own schema, checkpoint at the head. */
function prepareLiveAtHead(projectionsPath, head) {
  const { ensureReadModelSchema } = require(path.join(ROOT, 'dist/projections/sqlite/sqlite-read-model-schema'));
  const { openSqlite } = require(path.join(ROOT, 'dist/sqlite/open-sqlite'));
  const db = openSqlite(projectionsPath, { synchronous: 'NORMAL' });
  try {
    ensureReadModelSchema(db);
    db.prepare('UPDATE checkpoint SET position = ? WHERE id = 1').run(head);
  } finally {
    db.close();
  }
}

/** `ledger rebuild` from spawn to exit (one run). */
async function timedRebuild({ dbPath, projectionsPath, children, profileFile }) {
  const args = profileFile ? ['--cpu-prof', `--cpu-prof-dir=${path.dirname(profileFile)}`, `--cpu-prof-name=${path.basename(profileFile)}`] : [];
  const env = { ...process.env, EVENT_STORE_URL: `sqlite:${dbPath}`, PROJECTIONS_PATH: projectionsPath };
  delete env.DATA_DIR;
  const run = await runJsonChild('rebuild', [...args, 'dist/cli/main.js', 'rebuild'], children, env);
  const cliLine = (run.output.match(/Rebuilt read models[^\n]*/) || [null])[0];
  return { seconds: run.wallSeconds, cliLine };
}

/** Child mode: the raw scan (`SELECT data FROM events`, JSON.parse each) → one JSON line. */
function rawScan(file) {
  const Database = require('better-sqlite3');
  const db = new Database(file, { readonly: true, fileMustExist: true });
  const started = process.hrtime.bigint();
  let events = 0;
  for (const data of db.prepare('SELECT data FROM events').pluck().iterate()) {
    JSON.parse(data);
    events++;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  db.close();
  return { events, seconds, rate: events / seconds };
}

/** Spawns a ledger on `dbPath` and polls GET of random profiles until the first 200: spawn → 200, in seconds. */
async function startTimed({ name, dbPath, projectionsPath, profiles, secret, tmp, children, clients }) {
  const port = await freePort();
  const env = { ...ledgerEnv({ dbPath, secret, port, tmp }), PROJECTIONS_PATH: projectionsPath, LOG_REQUESTS: '0' };
  const client = new Client(`http://127.0.0.1:${port}`, { authorization: `Api-Key ${secret}` }, 4);
  clients.push(client);
  const started = process.hrtime.bigint();
  const child = new Child(name, ['-r', path.join(__dirname, 'parent-watch.js'), 'dist/main.js'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const deadline = Date.now() + 120_000;
  let firstStatus = null;
  for (;;) {
    if (child.exited) throw new Error(`${name} exited (${JSON.stringify(child.exited)}) before answering:\n${child.output.slice(-4000)}`);
    if (Date.now() > deadline) throw new Error(`${name}: no 200 within 120 s (last status ${firstStatus})`);
    try {
      const res = await client.request('GET', PROFILE_PATH, { headers: { 'adapty-customer-user-id': `bench-${Math.floor(Math.random() * profiles)}` } });
      if (res.status === 200) break;
      firstStatus = res.status;
    } catch {
      // not listening yet
    }
    await sleep(10);
  }
  const coldStartSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { child, url: `http://127.0.0.1:${port}`, coldStartSeconds };
}

/** The section. Returns the results object run.js reports. */
async function runScale({ tmp, log, children, clients, cfg = scaleConfig(), diagnostics = [], options }) {
  const dir = path.join(tmp, 'scale');
  fs.mkdirSync(dir, { recursive: true });
  const bigPath = cfg.store ? path.resolve(cfg.store) : path.join(dir, 'large.sqlite');
  const smallPath = path.join(dir, 'small.sqlite');
  const bigModels = path.join(dir, 'large-projections.sqlite');
  const smallModels = path.join(dir, 'small-projections.sqlite');
  const results = { config: cfg };

  // ---- 1. seed ----
  results.seed = await seedLog({ dbPath: bigPath, profiles: cfg.profiles, perProfile: cfg.eventsPerProfile, children, log, label: `${cfg.profiles} profiles`, keep: !!cfg.store });
  results.seedSmall = await seedLog({ dbPath: smallPath, profiles: cfg.small, perProfile: cfg.eventsPerProfile, children, log, label: `${cfg.small} profiles` });
  const head = headOf(bigPath);

  // ---- 2. raw scan ----
  log(`scale: raw scan of the ${head}-event log (SELECT data FROM events, JSON.parse each), fresh process`);
  const { result: raw } = await runJsonChild('raw-scan', [__filename, 'scan', bigPath], children);
  results.rawScan = raw;
  log(`scale: raw scan ${raw.events} events in ${fmt(raw.seconds, 1)} s = ${fmt(raw.rate)} events/s`);

  // ---- 3. rebuild ----
  let profileFile = null;
  if (cfg.profile) {
    fs.mkdirSync(path.join(__dirname, 'profiles'), { recursive: true });
    profileFile = path.join(__dirname, 'profiles', 'rebuild.cpuprofile');
    fs.rmSync(profileFile, { force: true });
  }
  prepareLiveAtHead(bigModels, head);
  log(`scale: \`ledger rebuild\` over ${head} events (live read models at the head, as on a serving deployment)${cfg.profile ? ', CPU-profiled' : ''}`);
  const rb = await timedRebuild({ dbPath: bigPath, projectionsPath: bigModels, children, profileFile });
  results.rebuild = { head, seconds: rb.seconds, rate: head / rb.seconds, cliLine: rb.cliLine, ratioToRawScan: head / rb.seconds / raw.rate, profiled: cfg.profile };
  log(`scale: rebuild ${fmt(rb.seconds, 1)} s = ${fmt(results.rebuild.rate)} events/s; ${fmt(results.rebuild.ratioToRawScan, 3)}x the raw scan; CLI: "${rb.cliLine}"`);
  if (profileFile && fs.existsSync(profileFile)) diagnostics.push({ phase: 'rebuild', file: profileFile, wallMs: rb.seconds * 1000, sql: [], ledgerRequests: 0 });
  prepareLiveAtHead(smallModels, headOf(smallPath));
  await timedRebuild({ dbPath: smallPath, projectionsPath: smallModels, children });
  results.modelsBytes = fs.statSync(bigModels).size;

  // ---- 4. cold start ----
  const secret = `bench_${randomBytes(24).toString('base64url')}`;
  const big = await startTimed({ name: 'ledger (large)', dbPath: bigPath, projectionsPath: bigModels, profiles: cfg.profiles, secret, tmp, children, clients });
  log(`scale: ledger on ${cfg.profiles} profiles: first 200 ${fmt(big.coldStartSeconds, 2)} s after spawn (pid ${big.child.pid})`);
  const small = await startTimed({ name: 'ledger (small)', dbPath: smallPath, projectionsPath: smallModels, profiles: cfg.small, secret, tmp, children, clients });
  log(`scale: ledger on ${cfg.small} profiles: first 200 ${fmt(small.coldStartSeconds, 2)} s after spawn (pid ${small.child.pid})`);
  results.coldStart = { large: big.coldStartSeconds, small: small.coldStartSeconds, rssAtStartMb: memoryOf(big.child.pid) };

  // ---- 5. RSS after warm GETs ----
  const auth = { authorization: `Api-Key ${secret}` };
  const getSpec = (name, l, n) => ({
    name,
    pid: l.child.pid,
    url: l.url,
    method: 'GET',
    path: PROFILE_PATH,
    headers: { ...auth },
    pick: () => ({ 'adapty-customer-user-id': `bench-${Math.floor(Math.random() * n)}` }),
  });
  const bigSpec = getSpec(`ledger GET (${cfg.profiles} profiles)`, big, cfg.profiles);
  const smallSpec = getSpec(`ledger GET (${cfg.small} profiles)`, small, cfg.small);
  const warm = await cannon(bigSpec, cfg.warmSeconds, options.connections);
  results.rss = { afterWarm: memoryOf(big.child.pid), warmRequests: warm.total, warmSeconds: cfg.warmSeconds, small: memoryOf(small.child.pid) };
  log(`scale: RSS after ${warm.total} GETs over random profiles in ${cfg.warmSeconds} s: ${fmt(results.rss.afterWarm.rssMb)} MB (peak ${fmt(results.rss.afterWarm.peakRssMb)} MB); small ledger ${fmt(results.rss.small.rssMb)} MB`);

  // ---- 6. GET latency, large vs small ----
  log(`scale: GET latency, ${cfg.profiles} vs ${cfg.small} profiles, ${options.connections} connections, interleaved rounds`);
  const [getBig, getSmall] = await compare([bigSpec, smallSpec], options);
  results.latency = { large: getBig, small: getSmall, ratio: getBig.mean / getSmall.mean, p50Ratio: getBig.p50 / Math.max(getSmall.p50, 1e-9) };
  results.rss.afterBench = memoryOf(big.child.pid);
  log(`scale: mean latency ${fmt(getBig.mean, 2)} vs ${fmt(getSmall.mean, 2)} ms = ${fmt(results.latency.ratio, 2)}x; RSS now ${fmt(results.rss.afterBench.rssMb)} MB`);
  await Promise.all([big.child.stop(), small.child.stop()]);
  for (const f of [smallPath, smallModels, bigModels, `${bigModels}.rebuild`]) removeDb(f);
  if (!cfg.store) removeDb(bigPath);
  return results;
}

module.exports = { runScale, scaleConfig, TARGETS };

if (require.main === module) {
  if (process.argv[2] === 'scan') {
    process.stdout.write(`${JSON.stringify(rawScan(path.resolve(process.argv[3])))}\n`);
  } else {
    const os = require('node:os');
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-bench-scale-'));
    const children = [];
    const clients = [];
    const t0 = Date.now();
    const log = (msg) => process.stdout.write(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${msg}\n`);
    const done = async (code) => {
      clients.forEach((c) => c.close());
      await Promise.all(children.map((c) => c.stop()));
      fs.rmSync(tmp, { recursive: true, force: true });
      process.exit(code);
    };
    process.on('SIGINT', () => done(130));
    const num = (name, dflt) => (process.env[name] ? Number(process.env[name]) : dflt);
    const options = { seconds: num('BENCH_DURATION', 10), rounds: num('BENCH_ROUNDS', 2), warmup: num('BENCH_WARMUP', 2), connections: num('BENCH_CONNECTIONS', 32) };
    runScale({ tmp, log, children, clients, options })
      .then((r) => {
        process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
        return done(0);
      })
      .catch((e) => {
        process.stderr.write(`${e.stack || e}\n`);
        return done(1);
      });
  }
}
