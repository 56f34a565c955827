'use strict';
// PostgreSQL event store benchmark (issue 10), called from bench/run.js (or alone:
// `node bench/postgres.js`, needs dist/; prints the results as JSON).
//
// Starts its own throwaway PostgreSQL (test/support/pg-cluster.js, durable: PostgreSQL's defaults,
// fsync and synchronous_commit on, plus track_wal_io_timing for the WAL statistics), one database
// per store, then:
// 1. Appends: single-event appends with BENCH_PG_INFLIGHT (16) in flight, through our adapter
//    (PostgresEventStore from dist/) and through Emmett's PostgreSQL event store
//    (@event-driven-io/emmett-postgresql) on the same server, same workload: each of the 16 writers
//    appends to its own profile-like stream with optimistic concurrency (expected revision / version),
//    a new stream every 10 events, event and metadata shaped like a grant. A warm-up of
//    BENCH_PG_WARMUP s each, ANALYZE of both databases, then interleaved rounds (A B, B A, ...) of
//    BENCH_PG_SECONDS each; appends/s, latency, and what each
//    costs: commits per append, WAL fsyncs and their share of the wall clock (pg_stat_wal), CPU of
//    this process and of the PostgreSQL processes.
// 2. Paging: BENCH_PG_PAGING_EVENTS (20,000) events appended by 16 writers through our adapter while
//    a reader (its own pool) pages readAll by position (BENCH_PG_PAGE per page) from the head before
//    them: events read vs written, repeated, out of order.
// BENCH_PG_PROFILE=1: a V8 CPU profile of this process during our adapter's measured rounds
// (bench/profiles/pg-appends.cpuprofile; its summary is printed).

const fs = require('node:fs');
const path = require('node:path');
const { randomUUID } = require('node:crypto');
const { cpuSecondsOf, percentile } = require('./lib');
const { startCluster, stopCluster, createDatabase } = require('../test/support/pg-cluster');

const ROOT = path.resolve(__dirname, '..');
const TARGETS = { vsEmmett: 2 };

function postgresConfig(env = process.env) {
  const num = (name, dflt) => (env[name] === undefined || env[name] === '' ? dflt : Number(env[name]));
  return {
    enabled: env.BENCH_PG !== '0',
    inflight: num('BENCH_PG_INFLIGHT', 16),
    seconds: num('BENCH_PG_SECONDS', 5),
    warmup: num('BENCH_PG_WARMUP', 2),
    rounds: Math.max(1, num('BENCH_PG_ROUNDS', num('BENCH_ROUNDS', 2))),
    pagingEvents: num('BENCH_PG_PAGING_EVENTS', 20_000),
    page: num('BENCH_PG_PAGE', 500),
    profile: env.BENCH_PG_PROFILE === '1',
  };
}

const EVENTS_PER_STREAM = 10;

function grantData() {
  return {
    access_level_id: 'premium',
    grant_id: randomUUID(),
    starts_at: new Date().toISOString(),
    expires_at: null,
    is_lifetime: true,
    source: 'api.v2.grant_access_level',
  };
}
const metadata = () => ({ app_id: 'bench', source: 'bench.postgres', command_id: randomUUID() });

/** Our adapter: a writer appending to its own streams, a new one every EVENTS_PER_STREAM events. */
function oursWriter(store) {
  let stream = null;
  let next = 0n;
  return async () => {
    if (stream === null || next === BigInt(EVENTS_PER_STREAM)) [stream, next] = [`profile-${randomUUID()}`, 0n];
    await store.append(stream, [{ eventId: randomUUID(), type: 'AccessGranted', data: grantData(), metadata: metadata() }], {
      expected: next === 0n ? 'no_stream' : next - 1n,
      recordedAt: new Date(),
    });
    next++;
  };
}

/** Emmett's store, the same workload (its stream versions count events: 1 after the first). */
function emmettWriter(store) {
  let stream = null;
  let version = 0n;
  return async () => {
    if (stream === null || version === BigInt(EVENTS_PER_STREAM)) [stream, version] = [`profile-${randomUUID()}`, 0n];
    const result = await store.appendToStream(stream, [{ type: 'AccessGranted', data: grantData(), metadata: metadata() }], {
      expectedStreamVersion: version === 0n ? 'STREAM_DOES_NOT_EXIST' : version,
    });
    version = result.nextExpectedStreamVersion;
  };
}

/** CPU seconds of every PostgreSQL process of the cluster (postmaster and its children). */
function postgresCpuSeconds(info) {
  let postmaster;
  try {
    postmaster = Number(fs.readFileSync(path.join(info.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return null;
  }
  let total = cpuSecondsOf(postmaster) || 0;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === postmaster) total += cpuSecondsOf(Number(entry)) || 0;
    } catch {
      /* gone */
    }
  }
  return total;
}

async function serverStats(admin, database) {
  const wal = (await admin.query('SELECT wal_records, wal_bytes, wal_write, wal_sync, wal_sync_time FROM pg_stat_wal')).rows[0];
  const db = (await admin.query('SELECT xact_commit FROM pg_stat_database WHERE datname = $1', [database])).rows[0];
  return {
    walRecords: Number(wal.wal_records),
    walBytes: Number(wal.wal_bytes),
    walSyncs: Number(wal.wal_sync),
    walSyncMs: Number(wal.wal_sync_time),
    commits: Number(db.xact_commit),
  };
}

/** `writers` loop until `seconds` pass; appends/s, latency and the server's costs per append. */
async function measure({ name, writers, seconds, admin, database, info }) {
  // pg_stat_* are sent at transaction end and flushed about once a second: settle them first.
  await new Promise((r) => setTimeout(r, 1100));
  const before = await serverStats(admin, database);
  const pgCpu0 = postgresCpuSeconds(info);
  const cpu0 = process.cpuUsage();
  const latencies = [];
  let appends = 0;
  const started = process.hrtime.bigint();
  const end = Date.now() + seconds * 1000;
  await Promise.all(
    writers.map(async (write) => {
      while (Date.now() < end) {
        const t = process.hrtime.bigint();
        await write();
        latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
        appends++;
      }
    }),
  );
  const wallS = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const pgCpu1 = postgresCpuSeconds(info);
  await new Promise((r) => setTimeout(r, 1100));
  const after = await serverStats(admin, database);
  latencies.sort((a, b) => a - b);
  const d = (k) => after[k] - before[k];
  return {
    name,
    appends,
    seconds: wallS,
    rate: appends / wallS,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    commitsPerAppend: d('commits') / appends,
    appendsPerWalSync: d('walSyncs') ? appends / d('walSyncs') : null,
    walSyncs: d('walSyncs'),
    walSyncMsAvg: d('walSyncs') ? d('walSyncMs') / d('walSyncs') : null,
    walSyncShare: d('walSyncMs') / 1000 / wallS,
    walBytesPerAppend: d('walBytes') / appends,
    clientCpuUsPerAppend: ((cpu.user + cpu.system) / appends),
    serverCpuUsPerAppend: pgCpu0 !== null && pgCpu1 !== null ? ((pgCpu1 - pgCpu0) * 1e6) / appends : null,
  };
}

/** 16 writers append `total` events through `store` while `reader` pages readAll by position. */
async function paging({ store, reader, total, page, inflight }) {
  const start = await reader.headPosition();
  const streams = new Set();
  let remaining = total;
  let writing = true;
  const writers = Array.from({ length: inflight }, async () => {
    const write = oursWriter({
      append: (stream, events, options) => {
        streams.add(stream);
        return store.append(stream, events, options);
      },
    });
    while (remaining > 0) {
      remaining--;
      await write();
    }
  });
  const seen = [];
  let pages = 0;
  const started = Date.now();
  const readerDone = (async () => {
    let after = start;
    for (;;) {
      const stillWriting = writing;
      const batch = await reader.readAll({ after, maxCount: page });
      pages++;
      for (const e of batch) seen.push(e);
      if (batch.length > 0) after = batch[batch.length - 1].position;
      else if (!stillWriting) return;
      else await new Promise((r) => setTimeout(r, 1));
    }
  })();
  await Promise.all(writers);
  const writeSeconds = (Date.now() - started) / 1000;
  writing = false;
  await readerDone;
  const ours = seen.filter((e) => streams.has(e.streamId));
  const ids = new Set(ours.map((e) => e.eventId));
  let outOfOrder = 0;
  for (let i = 1; i < seen.length; i++) if (seen[i].position <= seen[i - 1].position) outOfOrder++;
  return {
    written: total,
    read: ours.length,
    repeated: ours.length - ids.size,
    missing: total - ids.size,
    outOfOrder,
    pages,
    writeSeconds,
    pass: ours.length === total && ids.size === total && outOfOrder === 0,
  };
}

async function startProfiler() {
  const inspector = require('node:inspector');
  const session = new inspector.Session();
  session.connect();
  const post = (method, params) => new Promise((resolve, reject) => session.post(method, params, (e, r) => (e ? reject(e) : resolve(r))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 250 });
  return {
    start: () => post('Profiler.start'),
    stop: async (file) => {
      const { profile } = await post('Profiler.stop');
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, JSON.stringify(profile));
    },
    end: () => session.disconnect(),
  };
}

async function runPostgres({ log, cfg, clusters = [] }) {
  const { PostgresEventStore } = require(path.join(ROOT, 'dist/event-store/postgres/postgres-event-store'));
  const { getPostgreSQLEventStore } = require('@event-driven-io/emmett-postgresql');
  const { Pool } = require('pg');
  // Its own temporary folder (the server user must be able to reach it; the bench's is private).
  const info = await startCluster({ durable: true, settings: { track_wal_io_timing: 'on' } });
  clusters.push(info);
  const version = require('node:child_process').execFileSync(path.join(info.binDir, 'postgres'), ['--version']).toString().trim();
  log(`   PostgreSQL up on port ${info.port} (${version}; fsync and synchronous_commit on)`);
  const oursUrl = await createDatabase(info, 'ledger');
  const emmettUrl = await createDatabase(info, 'emmett');
  const admin = new Pool({ connectionString: oursUrl, max: 1 });
  const ours = await PostgresEventStore.open({ url: oursUrl });
  const emmett = getPostgreSQLEventStore(emmettUrl);
  const profiler = cfg.profile ? await startProfiler() : null;
  const profileFile = path.join(__dirname, 'profiles', 'pg-appends.cpuprofile');
  try {
    const targets = {
      ours: { label: 'our adapter (PostgresEventStore)', database: 'ledger', writer: () => oursWriter(ours) },
      emmett: { label: 'Emmett (emmett-postgresql 0.42)', database: 'emmett', writer: () => emmettWriter(emmett) },
    };
    const writers = (t) => Array.from({ length: cfg.inflight }, () => t.writer());
    // Warm-up: schemas, prepared statements, pools, JIT.
    for (const key of ['ours', 'emmett']) {
      const t = targets[key];
      const ws = writers(t);
      const end = Date.now() + cfg.warmup * 1000;
      await Promise.all(ws.map(async (w) => {
        while (Date.now() < end) await w();
      }));
    }
    // Statistics for both, as a server that has run a while has them: neither store's cached plans
    // should stem from its empty tables.
    for (const url of [oursUrl, emmettUrl]) {
      const db = new Pool({ connectionString: url, max: 1 });
      await db.query('ANALYZE');
      await db.end();
    }
    const runs = { ours: [], emmett: [] };
    if (profiler) await profiler.start();
    for (let round = 0; round < cfg.rounds; round++) {
      const order = round % 2 === 0 ? ['ours', 'emmett'] : ['emmett', 'ours'];
      for (const key of order) {
        const t = targets[key];
        const r = await measure({ name: t.label, writers: writers(t), seconds: cfg.seconds, admin, database: t.database, info });
        runs[key].push(r);
        log(`   round ${round + 1} ${t.label.padEnd(34)} ${Math.round(r.rate)} appends/s  p50 ${r.p50.toFixed(1)} ms  p99 ${r.p99.toFixed(1)} ms  ` +
          `${r.commitsPerAppend.toFixed(3)} commits/append, ${r.appendsPerWalSync === null ? '-' : r.appendsPerWalSync.toFixed(1)} appends/fsync, ` +
          `fsync ${r.walSyncMsAvg === null ? '-' : r.walSyncMsAvg.toFixed(2)} ms (${Math.round(100 * r.walSyncShare)}% of wall)`);
      }
    }
    if (profiler) await profiler.stop(profileFile);
    const mean = (rs, k) => rs.reduce((a, r) => a + r[k], 0) / rs.length;
    const summary = (rs) => ({
      rate: rs.reduce((a, r) => a + r.appends, 0) / rs.reduce((a, r) => a + r.seconds, 0),
      roundsRate: rs.map((r) => Math.round(r.rate)),
      p50: mean(rs, 'p50'),
      p99: Math.max(...rs.map((r) => r.p99)),
      commitsPerAppend: mean(rs, 'commitsPerAppend'),
      appendsPerWalSync: rs.every((r) => r.appendsPerWalSync !== null) ? mean(rs, 'appendsPerWalSync') : null,
      walSyncMsAvg: rs.every((r) => r.walSyncMsAvg !== null) ? mean(rs, 'walSyncMsAvg') : null,
      walSyncShare: mean(rs, 'walSyncShare'),
      walBytesPerAppend: mean(rs, 'walBytesPerAppend'),
      clientCpuUsPerAppend: mean(rs, 'clientCpuUsPerAppend'),
      serverCpuUsPerAppend: rs.every((r) => r.serverCpuUsPerAppend !== null) ? mean(rs, 'serverCpuUsPerAppend') : null,
      runs: rs,
    });
    const appends = { inflight: cfg.inflight, ours: summary(runs.ours), emmett: summary(runs.emmett) };
    appends.ratio = appends.ours.rate / appends.emmett.rate;
    log(`   appends/s with ${cfg.inflight} in flight: ours ${Math.round(appends.ours.rate)}, Emmett ${Math.round(appends.emmett.rate)} -> ${appends.ratio.toFixed(2)}x (target >= ${TARGETS.vsEmmett}x)`);

    log(`   paging: ${cfg.pagingEvents} events by ${cfg.inflight} writers while a reader pages readAll (${cfg.page} per page)`);
    const reader = await PostgresEventStore.open({ url: oursUrl, poolSize: 1 });
    let pagingResult;
    try {
      pagingResult = await paging({ store: ours, reader, total: cfg.pagingEvents, page: cfg.page, inflight: cfg.inflight });
    } finally {
      await reader.close();
    }
    log(`   paging: ${pagingResult.read} read for ${pagingResult.written} written (${pagingResult.repeated} repeated, ${pagingResult.missing} missing, ${pagingResult.outOfOrder} out of order) in ${pagingResult.pages} pages`);
    return { postgres: version, appends, paging: pagingResult, profile: profiler ? path.relative(ROOT, profileFile) : null };
  } finally {
    if (profiler) profiler.end();
    await ours.close();
    await emmett.close();
    await admin.end();
    await stopCluster(info);
    clusters.splice(clusters.indexOf(info), 1);
  }
}

module.exports = { runPostgres, postgresConfig, postgresCpuSeconds, TARGETS };

if (require.main === module) {
  const log = (m) => process.stderr.write(`${m}\n`);
  runPostgres({ log, cfg: postgresConfig() })
    .then((r) => process.stdout.write(`${JSON.stringify(r, (k, v) => (typeof v === 'bigint' ? v.toString() : v))}\n`))
    .catch((e) => {
      process.stderr.write(`${e.stack || e}\n`);
      process.exitCode = 1;
    });
}
