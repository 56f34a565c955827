'use strict';
// Rebuild-rate benchmark (issue 4), called from bench/run.js (or alone: `node bench/rebuild.js`).
//
// 1. Seed: a store of BENCH_REBUILD_EVENTS events over BENCH_REBUILD_PROFILES profiles, written
//    straight into SQLite by bench/seed-store.js (a child process) with the domain's own deciders:
//    ProfileCreated (+ its customer-id reservation), then renewals (TransactionRecorded) and grants
//    (AccessGranted) interleaved across profiles over a year. Timed separately; not part of the figures.
// 2. Raw read: the whole log through the store port (SqliteEventStore.readAll, pages of
//    BENCH_REBUILD_PAGE, JSON parsed as the rebuild gets them), in a fresh child process → events/s.
//    At most BENCH_REBUILD_READ_BUDGET seconds (the rate of what was read is reported).
// 3. Rebuild: `node dist/cli/main.js rebuild` with EVENT_STORE_URL=sqlite:<file> and the default
//    projections file next to it, timed wall-clock (start to exit). Before it, the live read models
//    are set up as on a serving deployment: dist's own tables, every checkpoint at the head (left
//    empty of rows), so the command does what a rebuild does: the scratch copy, a no-op live
//    catch-up, the swap. The harness follows the scratch copy through its checkpoints
//    (<projections>.rebuild, read-only, every 200 ms). If BENCH_REBUILD_BUDGET seconds pass first,
//    the run is stopped and the rate is extrapolated from the share of the scratch work done (~).
//    events/s counts log events (the head position / seconds); the CLI's own figure counts each
//    event once per projection and is shown alongside.
//    BENCH_REBUILD_PROFILE=1: the run writes a V8 CPU profile (bench/profiles/rebuild.cpuprofile)
//    and its summary is printed. --cpu-prof writes only on a normal exit, so the budget does not
//    apply then: use a smaller BENCH_REBUILD_EVENTS (e.g. 100000).
//    BENCH_REBUILD_STORE=<file>: reuse a seeded store from there if it has the requested size (it is
//    copied, never modified), else seed and save a copy there for next time.

const fs = require('node:fs');
const path = require('node:path');
const { Child, sleep } = require('./lib');

const ROOT = path.resolve(__dirname, '..');
const TARGETS = { eventsPerSecond: 250_000, vsRawRead: 0.4 };

function rebuildConfig(env = process.env) {
  const num = (name, dflt) => (env[name] === undefined || env[name] === '' ? dflt : Number(env[name]));
  const events = num('BENCH_REBUILD_EVENTS', 1_000_000);
  return {
    enabled: env.BENCH_REBUILD !== '0' && events > 0,
    events,
    // 50 events per profile unless told otherwise, so resizing the log keeps its shape.
    profiles: num('BENCH_REBUILD_PROFILES', Math.max(1, Math.round(events / 50))),
    page: num('BENCH_REBUILD_PAGE', 20_000),
    readBudget: num('BENCH_REBUILD_READ_BUDGET', 10),
    budget: num('BENCH_REBUILD_BUDGET', 40),
    profile: env.BENCH_REBUILD_PROFILE === '1',
    store: env.BENCH_REBUILD_STORE || null,
  };
}

const fmt = (n, d = 0) => (n === null || n === undefined || Number.isNaN(n) ? '-' : Number(n).toFixed(d));

/** Runs `node args` to completion and returns the JSON object on its last `{`-line of output. */
async function runJsonChild(name, args, children, env = process.env) {
  const child = new Child(name, ['-r', path.join(__dirname, 'parent-watch.js'), ...args], { cwd: ROOT, env: { ...env, BENCH_PARENT_PID: String(process.pid) }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const exit = await child.exitPromise;
  const line = child.output
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{'));
  if (exit.code !== 0 || !line) throw new Error(`${name} failed (${JSON.stringify(exit)}):\n${child.output.slice(-4000)}`);
  return JSON.parse(line);
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

/** Checkpoints of a projections database (read-only; null while it does not exist or has none). */
function checkpoints(file) {
  if (!fs.existsSync(file)) return null;
  const Database = require('better-sqlite3');
  let db;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    return db.prepare('SELECT name, position FROM projection_checkpoints').all();
  } catch {
    return null; // not created yet, or busy: try again at the next poll
  } finally {
    if (db) db.close();
  }
}

function copyStore(from, to) {
  for (const suffix of ['', '-wal', '-shm']) {
    if (fs.existsSync(from + suffix)) fs.copyFileSync(from + suffix, to + suffix);
  }
}

/** How many projections a rebuild builds (checkpoint rows to expect), from dist's own ReadModelSet. */
function projectionCount() {
  try {
    const Database = require('better-sqlite3');
    const { ReadModelSet } = require(path.join(ROOT, 'dist/cli/read-model-set'));
    const db = new Database(':memory:');
    try {
      return new ReadModelSet({}, db, { live: false }).runners.length || 2;
    } finally {
      db.close();
    }
  } catch {
    return 2;
  }
}

/**
 * Live read models as a serving deployment has them when it runs `rebuild`: every table of dist's
 * own ReadModelSet, with each projection's checkpoint at the head, so the command's live catch-up
 * is a no-op and it goes straight from the scratch copy to the swap. (The live tables are left
 * empty: the swap's DELETE then has nothing to delete, which is a little cheaper than on a real
 * deployment.) Returns the projection names.
 */
function prepareLiveAtHead(projectionsPath, head) {
  const Database = require('better-sqlite3');
  const { ReadModelSet } = require(path.join(ROOT, 'dist/cli/read-model-set'));
  const db = new Database(projectionsPath);
  try {
    db.pragma('journal_mode = WAL');
    const names = new ReadModelSet({}, db, { live: true }).runners.map((r) => r.name);
    const set = db.prepare(
      'INSERT INTO projection_checkpoints (name, position) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET position = excluded.position',
    );
    for (const name of names) set.run(name, head);
    return names;
  } finally {
    db.close();
  }
}

/**
 * One `ledger rebuild` run, followed until it exits or `budgetS` passes (then stopped).
 * Returns { wallSeconds, exit, scratchSeconds, fraction, samples, cliLine, stopped }.
 */
async function rebuildRun({ dbPath, projectionsPath, head, budgetS, children, profileFile, log, label, projections, keepGoing = () => true }) {
  const args = [];
  if (profileFile) {
    args.push('--cpu-prof', `--cpu-prof-dir=${path.dirname(profileFile)}`, `--cpu-prof-name=${path.basename(profileFile)}`);
  }
  args.push('-r', path.join(__dirname, 'parent-watch.js'), 'dist/cli/main.js', 'rebuild');
  const env = { ...process.env, EVENT_STORE_URL: `sqlite:${dbPath}`, PROJECTIONS_PATH: projectionsPath, BENCH_PARENT_PID: String(process.pid) };
  delete env.DATA_DIR;
  const scratchPath = `${projectionsPath}.rebuild`;
  const started = process.hrtime.bigint();
  const elapsed = () => Number(process.hrtime.bigint() - started) / 1e9;
  const child = new Child(`rebuild (${label})`, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const samples = [];
  let scratchSeconds = null;
  let lastLog = 0;
  let fraction = 0;
  let passesBegun = 0; // projections whose scratch pass has begun
  while (!child.exited) {
    const cps = checkpoints(scratchPath);
    const t = elapsed();
    if (cps && cps.length) {
      const done = cps.reduce((a, c) => a + Math.min(Number(c.position), head), 0);
      fraction = done / (Math.max(projections, cps.length) * head);
      samples.push([Number(t.toFixed(2)), ...cps.map((c) => Number(c.position))]);
      passesBegun = cps.filter((c) => Number(c.position) > 0).length;
      if (scratchSeconds === null && fraction >= 1) scratchSeconds = t;
    }
    if (t - lastLog >= 10) {
      lastLog = t;
      log(`   ${label}: ${fmt(t)} s, scratch ${fmt(100 * fraction, 1)}% done${scratchSeconds !== null ? ` (complete at ${fmt(scratchSeconds, 1)} s; live catch-up and swap)` : ''}`);
    }
    if (t > budgetS) break;
    // Past the scratch copy the caller may not need the rest (the live read models' first build).
    if (scratchSeconds !== null && !keepGoing(scratchSeconds, t)) break;
    await Promise.race([child.exitPromise, sleep(200)]);
  }
  const stopped = !child.exited;
  if (stopped) await child.stop(2000);
  const wallSeconds = elapsed();
  const cliLine = (child.output.match(/Rebuilt read models[^\n]*/) || [null])[0];
  if (!stopped && child.exited.code !== 0) throw new Error(`rebuild exited ${JSON.stringify(child.exited)}:\n${child.output.slice(-4000)}`);
  if (!stopped && scratchSeconds === null) fraction = 1; // finished between two polls
  return { label, wallSeconds, exit: child.exited, stopped, scratchSeconds, fraction, projectionsStarted: passesBegun, projections, samples, cliLine };
}

/** The section. Returns the results object run.js reports. */
async function runRebuild({ tmp, log, children, cfg = rebuildConfig(), diagnostics = [] }) {
  const dir = path.join(tmp, 'rebuild');
  fs.mkdirSync(dir, { recursive: true });
  const dbPath = path.join(dir, 'ledger.sqlite');
  const projectionsPath = path.join(dir, 'projections.sqlite');
  const results = { config: cfg };

  // ---- 1. seed ----
  let seeded = null;
  if (cfg.store && fs.existsSync(cfg.store)) {
    const cachedHead = headOf(cfg.store);
    if (cachedHead === cfg.events) {
      const t = Date.now();
      copyStore(cfg.store, dbPath);
      seeded = { events: cachedHead, profiles: cfg.profiles, seconds: (Date.now() - t) / 1000, reusedFrom: cfg.store };
      log(`rebuild: copied the seeded store ${cfg.store} (${cachedHead} events) in ${fmt(seeded.seconds, 1)} s`);
    } else log(`rebuild: ${cfg.store} holds ${cachedHead} events, not ${cfg.events}: seeding afresh`);
  }
  if (!seeded) {
    log(`rebuild: seeding ${cfg.events} events over ${cfg.profiles} profiles straight into SQLite (domain deciders, no HTTP)`);
    seeded = await runJsonChild('seed-store', [path.join(__dirname, 'seed-store.js'), dbPath, String(cfg.events), String(cfg.profiles)], children);
    log(`rebuild: seeded ${seeded.events} events (${JSON.stringify(seeded.byType)}) in ${fmt(seeded.seconds, 1)} s (${fmt(seeded.events / seeded.seconds)} events/s; not part of the figures)`);
    if (cfg.store) {
      copyStore(dbPath, cfg.store);
      log(`rebuild: saved a copy in ${cfg.store} (BENCH_REBUILD_STORE) for later runs`);
    }
  }
  const head = headOf(dbPath);
  results.seed = { ...seeded, head, fileBytes: fs.statSync(dbPath).size };

  // ---- 2. raw read through the store port ----
  log(`rebuild: raw read of the log through SqliteEventStore.readAll (pages of ${cfg.page}, JSON parsed; budget ${cfg.readBudget} s), fresh process`);
  const raw = await runJsonChild('raw-read', [__filename, 'read', dbPath, String(cfg.page), String(cfg.readBudget)], children);
  results.rawRead = raw;
  log(`rebuild: raw read ${raw.events} of ${head} events in ${fmt(raw.seconds, 2)} s = ${fmt(raw.rate)} events/s${raw.complete ? '' : ' (budget reached: rate of the part read)'}`);

  // ---- 3. rebuild ----
  const profileDir = path.join(__dirname, 'profiles');
  let profileFile = null;
  if (cfg.profile) {
    fs.mkdirSync(profileDir, { recursive: true });
    profileFile = path.join(profileDir, 'rebuild.cpuprofile');
    fs.rmSync(profileFile, { force: true });
  }
  const projections = projectionCount();
  let live = null;
  try {
    live = prepareLiveAtHead(projectionsPath, head);
  } catch (error) {
    log(`rebuild: could not prepare live read models at the head (${error.message}): the run starts without them`);
  }
  // --cpu-prof writes its profile only on a normal exit, and a rebuild never yields to a signal
  // handler (its loop runs on microtasks), so a profiled run is not stopped at the budget.
  const budgetS = cfg.profile ? 1800 : cfg.budget;
  log(
    `rebuild: \`ledger rebuild\` over ${head} events, budget ${cfg.profile ? 'none (profiling)' : `${cfg.budget} s`}; ` +
      (live ? `live read models (${live.join(', ')}) set at the head, as on a deployment that is serving` : 'no live read models (they get built after the scratch copy)'),
  );
  // Without live read models the command would also build them from nothing after the scratch
  // copy; that is not the rebuild's own work, so then the run is stopped once the scratch copy is complete.
  const run = await rebuildRun({ dbPath, projectionsPath, head, budgetS, children, profileFile, log, label: 'rebuild', projections, keepGoing: () => !!live });
  const runs = [run];
  log(
    `   ${
      run.stopped
        ? run.scratchSeconds !== null
          ? `stopped after ${fmt(run.wallSeconds, 1)} s; scratch copy complete at ${fmt(run.scratchSeconds, 1)} s`
          : `stopped at the budget after ${fmt(run.wallSeconds, 1)} s with the scratch copy ${fmt(100 * run.fraction, 1)}% done`
        : `exited after ${fmt(run.wallSeconds, 1)} s` + (run.scratchSeconds !== null ? ` (scratch copy complete at ${fmt(run.scratchSeconds, 1)} s)` : '')
    }` + (run.cliLine ? `; CLI: "${run.cliLine}"` : ''),
  );
  let rate = null;
  let basis = null;
  let seconds = null;
  if (!run.stopped) {
    seconds = run.wallSeconds;
    basis = 'wall clock of the whole command (start, scratch copy, swap, exit)';
  } else if (run.scratchSeconds !== null) {
    seconds = run.scratchSeconds;
    basis = 'start to scratch copy complete (the live read models were not at the head: the run was stopped there)';
  } else if (run.fraction > 0) {
    seconds = run.wallSeconds / run.fraction;
    basis =
      `~ extrapolated: ${fmt(100 * run.fraction, 1)}% of the scratch work in ${fmt(run.wallSeconds, 1)} s (budget reached)` +
      (run.projectionsStarted < projections
        ? `; only ${run.projectionsStarted} of ${projections} projection passes had begun, and the others may cost more per event`
        : '');
  } else {
    basis = 'no progress within the budget';
  }
  if (seconds !== null) rate = head / seconds;
  const estimated = run.stopped && run.scratchSeconds === null;
  results.rebuild = { head, runs, liveAtHead: !!live, seconds, rate, basis, estimated, ratioToRaw: rate !== null && raw.rate ? rate / raw.rate : null };
  log(`rebuild: ${estimated ? '~' : ''}${fmt(rate)} events/s (${basis}); raw read ${fmt(raw.rate)} events/s; ratio ${fmt(results.rebuild.ratioToRaw, 3)}x`);

  if (profileFile && fs.existsSync(profileFile)) {
    results.profile = path.relative(ROOT, profileFile);
    diagnostics.push({ phase: 'rebuild', file: profileFile, wallMs: run.wallSeconds * 1000, sql: [], ledgerRequests: 0 });
  }
  return results;
}

/** Child mode: node bench/rebuild.js read FILE PAGE BUDGET_S → one JSON line. */
async function rawRead(file, page, budgetS) {
  const { SqliteEventStore } = require(path.join(ROOT, 'dist/event-store/sqlite/sqlite-event-store'));
  const store = new SqliteEventStore({ path: file, synchronous: 'NORMAL' });
  try {
    const head = await store.headPosition();
    const started = process.hrtime.bigint();
    const elapsed = () => Number(process.hrtime.bigint() - started) / 1e9;
    let after;
    let events = 0;
    let complete = false;
    for (;;) {
      const batch = await store.readAll(after === undefined ? { maxCount: page } : { after, maxCount: page });
      if (batch.length === 0) {
        complete = true;
        break;
      }
      events += batch.length;
      after = batch[batch.length - 1].position;
      if (elapsed() > budgetS) break;
    }
    if (!complete && after === head) complete = true;
    const seconds = elapsed();
    return { events, seconds, rate: events / seconds, complete, head: Number(head), page };
  } finally {
    await store.close();
  }
}

module.exports = { runRebuild, rebuildConfig, TARGETS };

if (require.main === module) {
  if (process.argv[2] === 'read') {
    rawRead(path.resolve(process.argv[3]), Number(process.argv[4]), Number(process.argv[5]))
      .then((r) => process.stdout.write(`${JSON.stringify(r)}\n`))
      .catch((e) => {
        process.stderr.write(`${e.stack || e}\n`);
        process.exit(1);
      });
  } else {
    // Alone: node bench/rebuild.js (needs dist/; prints the results as JSON).
    const os = require('node:os');
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-bench-rebuild-'));
    const children = [];
    const t0 = Date.now();
    const log = (msg) => process.stdout.write(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${msg}\n`);
    const diagnostics = [];
    const done = async (code) => {
      await Promise.all(children.map((c) => c.stop()));
      if (process.env.BENCH_KEEP_TMP === '1') process.stderr.write(`kept ${tmp}\n`);
      else fs.rmSync(tmp, { recursive: true, force: true });
      process.exit(code);
    };
    process.on('SIGINT', () => done(130));
    runRebuild({ tmp, log, children, diagnostics })
      .then((r) => {
        for (const d of diagnostics) process.stdout.write(`${require('./profile-summary').summarise(d.file, 25)}\n`);
        process.stdout.write(`${JSON.stringify({ ...r, rebuild: { ...r.rebuild, runs: r.rebuild.runs.map(({ samples, ...x }) => ({ ...x, samples: samples.length })) } }, null, 2)}\n`);
        return done(0);
      })
      .catch((e) => {
        process.stderr.write(`${e.stack || e}\n`);
        return done(1);
      });
  }
}
