'use strict';
// Webhook delivery benchmark (issue 3), called from bench/run.js (or alone: `node bench/webhooks.js`).
//
// A fresh ledger (dist/main.js, embedded SQLite, FULL durability) on its own store, seeded directly
// (bench/seed-store.js) with profiles that have no access yet, so that one grant on each changes
// its access and makes exactly one `access_level_updated` delivery. A loopback receiver runs as a
// child process (bench/webhook-receiver.js) and is registered with POST /admin/v1/webhook-endpoints
// (it answers the verification request). Then:
//
//   (a) throughput: BENCH_WEBHOOK_DELIVERIES grants are enqueued at once and we measure what the
//       receiver gets: deliveries / (last arrival - first arrival), and the end-to-end drain rate
//       deliveries / (last arrival - start of the writes). How the grants are written:
//         store (default): appended to the log in one group commit by this process through the
//           store's own SqliteEventStore (a second process on the same file, which the ledger
//           supports: its outbox projection picks the events up by polling). The grants are
//           decided by the domain's grantAccess, so the events are what a POST grant writes.
//           This builds a real backlog at once: the figure is the outbox + delivery capacity,
//           not the HTTP write rate (today's durable grants are far slower than 3,000/s).
//         http: POST grant over HTTP, BENCH_CONNECTIONS at a time (one per profile), within
//           BENCH_WEBHOOK_WRITE_BUDGET seconds; the rate then cannot exceed the grant rate.
//   (b) lag: POST grant at a steady BENCH_WEBHOOK_LAG_RATE per second (open loop, each on its own
//       profile) for BENCH_WEBHOOK_LAG_SECONDS; per grant, lag = receiver arrival of that profile's
//       delivery - the grant's 2xx at the client. Both processes stamp with the same wall clock
//       (performance.timeOrigin + performance.now()). A delivery can arrive before the client
//       reads its 2xx (the outbox is kicked as soon as the event commits): such lags are negative.
//   checks: every delivery arrived exactly once (distinct webhook-id per expected profile, no
//       duplicates, none missing, only access_level_updated), and the outbox holds no pending or
//       failed rows at the end.

const fs = require('node:fs');
const path = require('node:path');
const { randomBytes, randomUUID } = require('node:crypto');
const { Child, Client, freePort, waitForHttp, sleep, cpuSecondsOf, threadCpuOf, threadCpuDelta, ledgerEnv, wallMs, percentile, pool } = require('./lib');

const ROOT = path.resolve(__dirname, '..');
const PROFILE_PATH = '/api/v2/server-side-api/profile/';
const GRANT_PATH = '/api/v2/server-side-api/purchase/profile/grant/access-level/';
const TARGETS = { deliveriesPerSecond: 6000, lagP99Ms: 200 };

function webhookConfig(env = process.env) {
  const num = (name, dflt) => (env[name] === undefined || env[name] === '' ? dflt : Number(env[name]));
  return {
    enabled: env.BENCH_WEBHOOKS !== '0',
    enqueue: env.BENCH_WEBHOOK_ENQUEUE === 'http' ? 'http' : 'store',
    deliveries: num('BENCH_WEBHOOK_DELIVERIES', 10000),
    lagRate: num('BENCH_WEBHOOK_LAG_RATE', 200),
    lagSeconds: num('BENCH_WEBHOOK_LAG_SECONDS', 10),
    drainTimeout: num('BENCH_WEBHOOK_TIMEOUT', 60),
    writeBudget: num('BENCH_WEBHOOK_WRITE_BUDGET', 30),
    connections: num('BENCH_CONNECTIONS', 32),
  };
}

const fmt = (n, d = 0) => (n === null || n === undefined || Number.isNaN(n) ? '-' : Number(n).toFixed(d));

/** Appends one AccessGranted per profile (as POST grant decides it) through the store port, in one group commit. */
async function appendGrants(dbPath, profileIds) {
  const { SqliteEventStore } = require(path.join(ROOT, 'dist/event-store/sqlite/sqlite-event-store'));
  const { grantAccess } = require(path.join(ROOT, 'dist/domain/profile/profile.decide'));
  const { initialProfileState } = require(path.join(ROOT, 'dist/domain/profile/profile.state'));
  const { initialCatalogue } = require(path.join(ROOT, 'dist/domain/catalogue/catalogue'));
  const { profileStreamId } = require(path.join(ROOT, 'dist/domain/profile/profile.events'));
  const store = await SqliteEventStore.open({ path: dbPath, synchronous: 'FULL' });
  try {
    const state = { ...initialProfileState(), exists: true };
    const catalogue = initialCatalogue();
    const metadata = { app_id: 'bench', source: 'api.v2.grant_access_level' };
    const ctx = { now: new Date(), newId: randomUUID };
    const appends = profileIds.map((id) => {
      const decided = grantAccess(state, { access_level_id: 'premium', starts_at: null, expires_at: null }, catalogue, ctx);
      if (!Array.isArray(decided)) throw new Error(`grantAccess refused: ${JSON.stringify(decided)}`);
      // Revision 0 is the profile's creation: nothing else has been written to these streams.
      const events = decided.map((e) => ({ eventId: randomUUID(), type: e.type, data: e.data, metadata }));
      return store.append(profileStreamId(id), events, { expected: 0n, recordedAt: new Date() });
    });
    await Promise.all(appends);
    return appends.length;
  } finally {
    await store.close();
  }
}

/** Polls the receiver until it has `count` deliveries (or `timeoutS` passes). */
async function waitForDeliveries(receiver, count, timeoutS, child) {
  const deadline = Date.now() + timeoutS * 1000;
  for (;;) {
    const s = await receiver.rpc({ type: 'stats' });
    if (s.count >= count) return { stats: s, timedOut: false };
    if (Date.now() > deadline) return { stats: s, timedOut: true };
    if (child && child.exited) throw new Error(`${child.name} exited (${JSON.stringify(child.exited)}):\n${child.output}`);
    await sleep(100);
  }
}

/** Deliveries per 1-second window from the first arrival (shows ramp-up and steady state). */
function perSecond(arrivals) {
  if (!arrivals.length) return [];
  const first = Math.min(...arrivals);
  const buckets = [];
  for (const a of arrivals) {
    const k = Math.floor((a - first) / 1000);
    buckets[k] = (buckets[k] || 0) + 1;
  }
  return Array.from(buckets, (x) => x || 0);
}

/** What the receiver got in one phase, against the profiles that should each have had one delivery. */
function tally(records, expectedProfiles) {
  const ids = new Set();
  const byProfile = new Map();
  let wrongType = 0;
  for (const [at, id, profile, type] of records) {
    ids.add(id);
    if (type !== 'access_level_updated') wrongType++;
    if (!byProfile.has(profile)) byProfile.set(profile, at);
  }
  let missing = 0;
  for (const p of expectedProfiles) if (!byProfile.has(p)) missing++;
  const expectedSet = new Set(expectedProfiles);
  let unexpected = 0;
  for (const p of byProfile.keys()) if (!expectedSet.has(p)) unexpected++;
  return { received: records.length, distinct: ids.size, duplicates: records.length - ids.size, missing, unexpected, wrongType, byProfile };
}

function outboxCounts(projectionsPath) {
  const Database = require('better-sqlite3');
  const db = new Database(projectionsPath, { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('SELECT status, COUNT(*) AS n FROM webhook_deliveries GROUP BY status').all();
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  } catch (error) {
    return { error: String(error.message || error) };
  } finally {
    db.close();
  }
}

/**
 * Runs the section. `children` / `clients` are the harness's lists (for cleanup on failure).
 * Returns the results object that run.js reports.
 */
async function runWebhooks({ tmp, log, children, clients, cfg = webhookConfig(), diagnostics = [], profile = false }) {
  const dir = path.join(tmp, 'webhooks');
  fs.mkdirSync(dir, { recursive: true });
  const dbPath = path.join(dir, 'ledger.sqlite');
  const lagCount = Math.max(0, Math.round(cfg.lagRate * cfg.lagSeconds));
  const total = cfg.deliveries + lagCount;
  const { seedFreshProfiles } = require('./seed-store');
  const seed = await seedFreshProfiles(dbPath, { profiles: total });
  log(`webhooks: seeded ${total} profiles without access straight into the store (${seed.events} events) in ${fmt(seed.seconds, 1)} s`);

  const watch = ['-r', path.join(__dirname, 'parent-watch.js')];
  const receiver = new Child('webhook-receiver', [...watch, path.join(__dirname, 'webhook-receiver.js')], {
    cwd: ROOT,
    env: { ...process.env, BENCH_PARENT_PID: String(process.pid) },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  children.push(receiver);
  const receiverPort = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`webhook receiver did not start:\n${receiver.output}`)), 15000);
    receiver.proc.on('message', function onMessage(m) {
      if (m && m.type === 'listening') {
        clearTimeout(timer);
        receiver.proc.off('message', onMessage);
        resolve(m.port);
      }
    });
    receiver.exitPromise.then((e) => reject(new Error(`webhook receiver exited ${JSON.stringify(e)}:\n${receiver.output}`)));
  });
  const url = `http://127.0.0.1:${receiverPort}/hook`;

  const secret = `bench_${randomBytes(24).toString('base64url')}`;
  const port = await freePort();
  const started = Date.now();
  const serverEnv = ledgerEnv({ dbPath, secret, port, tmp });
  // The receiver is on loopback, which the SSRF guard refuses by default.
  serverEnv.WEBHOOK_ALLOW_PRIVATE_URLS = 'true';
  // Where the ledger keeps its read models (the outbox among them): its own file by default.
  const projectionsPath = path.resolve(ROOT, serverEnv.PROJECTIONS_PATH || path.join(serverEnv.DATA_DIR || dir, 'projections.sqlite'));
  // BENCH_PROFILE=1: CPU profile (and SQL timings) of the ledger while it drains the backlog.
  const prof = profile ? ['-r', path.join(__dirname, 'cpu-prof-preload.js')] : [];
  const ledger = new Child('webhook-ledger', [...watch, ...prof, 'dist/main.js'], {
    cwd: ROOT,
    env: serverEnv,
    stdio: profile ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  children.push(ledger);
  const base = `http://127.0.0.1:${port}`;
  const client = new Client(base, { authorization: `Api-Key ${secret}` }, Math.max(64, cfg.connections));
  clients.push(client);
  await waitForHttp(client, PROFILE_PATH, ledger, 180000);
  const startSeconds = (Date.now() - started) / 1000;
  log(`webhooks: ledger up on ${base} (pid ${ledger.pid}) in ${fmt(startSeconds, 1)} s (read models caught up with ${seed.events} events); receiver ${url} (pid ${receiver.pid})`);

  const created = await client.request('POST', '/admin/v1/webhook-endpoints', { body: { url } });
  if (created.status !== 201) throw new Error(`POST /admin/v1/webhook-endpoints -> ${created.status}: ${created.body}`);
  const endpoint = JSON.parse(created.body.toString()).data;
  const afterCreate = await receiver.rpc({ type: 'stats' });
  log(`webhooks: endpoint ${endpoint.id} registered (201; verification requests answered: ${afterCreate.verifications})`);

  const results = {
    config: cfg,
    profiles: total,
    seedSeconds: seed.seconds,
    ledgerStartSeconds: startSeconds,
    verificationRequests: afterCreate.verifications,
    endpointStatus: created.status,
  };

  // ---- (a) throughput ----
  const tpProfiles = seed.ids.slice(0, cfg.deliveries);
  const base0 = afterCreate.count;
  if (profile) await ledger.rpc({ type: 'prof-start', intervalUs: 250 });
  const cpu0 = cpuSecondsOf(ledger.pid);
  const threads0 = threadCpuOf(ledger.pid);
  const writeStart = wallMs();
  let enqueued = 0;
  let writeErrors = 0;
  if (cfg.enqueue === 'store') {
    log(`webhooks (a): appending ${cfg.deliveries} grants (one per profile) to the log in one group commit; the ledger's outbox picks them up`);
    enqueued = await appendGrants(dbPath, tpProfiles);
  } else {
    log(`webhooks (a): ${cfg.deliveries} POST grants over HTTP, ${cfg.connections} at a time (budget ${cfg.writeBudget} s)`);
    const ok = new Array(cfg.deliveries).fill(false);
    await pool(
      cfg.deliveries,
      cfg.connections,
      async (k) => {
        try {
          const res = await client.request('POST', GRANT_PATH, { headers: { 'adapty-customer-user-id': seed.customerIds[k] }, body: { access_level_id: 'premium' } });
          if (res.status >= 200 && res.status < 300) ok[k] = true;
          else writeErrors++;
        } catch {
          writeErrors++;
        }
      },
      Date.now() + cfg.writeBudget * 1000,
    );
    tpProfiles.splice(0, tpProfiles.length, ...tpProfiles.filter((_, k) => ok[k]));
    enqueued = tpProfiles.length;
  }
  const writeEnd = wallMs();
  log(`webhooks (a): ${enqueued} grants written in ${fmt((writeEnd - writeStart) / 1000, 2)} s; waiting for the deliveries (timeout ${cfg.drainTimeout} s)`);
  const tpWait = await waitForDeliveries(receiver, base0 + enqueued, cfg.drainTimeout, ledger);
  const cpu1 = cpuSecondsOf(ledger.pid);
  const threads = threadCpuDelta(threads0, threadCpuOf(ledger.pid));
  if (profile) {
    const dirOut = path.join(__dirname, 'profiles');
    fs.mkdirSync(dirOut, { recursive: true });
    const file = path.join(dirOut, 'webhooks-drain.cpuprofile');
    const reply = await ledger.rpc({ type: 'prof-stop', file });
    diagnostics.push({ phase: 'webhook drain (ledger)', file, wallMs: reply.wallMs, sql: reply.sql, ledgerRequests: tpWait.stats.count - base0, unit: 'delivery', units: 'deliveries' });
  }
  const tpRecords = (await receiver.rpc({ type: 'take', from: base0 })).records;
  const tpTally = tally(tpRecords, tpProfiles);
  const arrivals = tpRecords.map((r) => r[0]);
  const first = arrivals.length ? Math.min(...arrivals) : null;
  const last = arrivals.length ? Math.max(...arrivals) : null;
  const span = first !== null ? (last - first) / 1000 : null;
  const drainSeconds = last !== null ? (last - writeStart) / 1000 : null;
  results.throughput = {
    enqueue: cfg.enqueue,
    expected: enqueued,
    writeErrors,
    writeSeconds: (writeEnd - writeStart) / 1000,
    received: tpTally.received,
    distinct: tpTally.distinct,
    duplicates: tpTally.duplicates,
    missing: tpTally.missing,
    unexpected: tpTally.unexpected,
    wrongType: tpTally.wrongType,
    timedOut: tpWait.timedOut,
    firstArrivalAfterWriteStartMs: first !== null ? first - writeStart : null,
    firstToLastSeconds: span,
    receiverRate: span ? (tpTally.received - 1) / span : null,
    drainSeconds,
    drainRate: drainSeconds ? tpTally.received / drainSeconds : null,
    // Ledger CPU per delivery by thread (us): main event loop, log writer, projection thread, other.
    threadCpuUsPerDelivery: threads ? Object.fromEntries(Object.entries(threads).map(([k, v]) => [k, (1e6 * v) / Math.max(1, tpTally.received)])) : null,
    ledgerCpuUtil: cpu0 !== null && cpu1 !== null && drainSeconds ? (cpu1 - cpu0) / ((wallMs() - writeStart) / 1000) : null,
    perSecond: perSecond(arrivals),
  };
  const tp = results.throughput;
  log(
    `webhooks (a): ${tp.received}/${enqueued} deliveries${tp.timedOut ? ' (TIMED OUT)' : ''}; first arrival ${fmt(tp.firstArrivalAfterWriteStartMs)} ms after the writes began; ` +
      `first->last ${fmt(span, 2)} s = ${fmt(tp.receiverRate)} deliveries/s; drain (writes began -> last arrival) ${fmt(drainSeconds, 2)} s = ${fmt(tp.drainRate)}/s; ` +
      `ledger CPU ${fmt(tp.ledgerCpuUtil === null ? null : 100 * tp.ledgerCpuUtil)}%; per second: ${tp.perSecond.join(' ')}`,
  );

  // ---- (b) lag at a steady rate ----
  if (lagCount > 0) {
    const lagIds = seed.ids.slice(cfg.deliveries, total);
    const lagCustomers = seed.customerIds.slice(cfg.deliveries, total);
    const lagBase = (await receiver.rpc({ type: 'stats' })).count;
    log(`webhooks (b): ${lagCount} POST grants at ${cfg.lagRate}/s (open loop, one per profile) for ${cfg.lagSeconds} s; lag = receiver arrival - grant 2xx`);
    const sent = new Float64Array(lagCount);
    const answered = new Float64Array(lagCount);
    const status = new Int32Array(lagCount);
    const inFlight = [];
    const t0 = wallMs() + 20;
    for (let k = 0; k < lagCount; k++) {
      const due = t0 + (k * 1000) / cfg.lagRate;
      const wait = due - wallMs();
      if (wait > 1) await sleep(wait);
      sent[k] = wallMs();
      inFlight.push(
        client
          .request('POST', GRANT_PATH, { headers: { 'adapty-customer-user-id': lagCustomers[k] }, body: { access_level_id: 'premium' } })
          .then(
            (res) => {
              answered[k] = wallMs();
              status[k] = res.status;
            },
            () => {
              answered[k] = wallMs();
              status[k] = -1;
            },
          ),
      );
    }
    await Promise.all(inFlight);
    const sendSeconds = (wallMs() - t0) / 1000;
    const okIdx = [];
    for (let k = 0; k < lagCount; k++) if (status[k] >= 200 && status[k] < 300) okIdx.push(k);
    const lagWait = await waitForDeliveries(receiver, lagBase + okIdx.length, cfg.drainTimeout, ledger);
    const lagRecords = (await receiver.rpc({ type: 'take', from: lagBase })).records;
    const okProfiles = okIdx.map((k) => lagIds[k]);
    const lagTally = tally(lagRecords, okProfiles);
    const lags = [];
    const fromSend = [];
    const grantMs = [];
    for (const k of okIdx) {
      grantMs.push(answered[k] - sent[k]);
      const at = lagTally.byProfile.get(lagIds[k]);
      if (at === undefined) continue;
      lags.push(at - answered[k]);
      fromSend.push(at - sent[k]);
    }
    results.lag = {
      rate: cfg.lagRate,
      seconds: cfg.lagSeconds,
      grants: lagCount,
      ok2xx: okIdx.length,
      achievedRate: lagCount / sendSeconds,
      received: lagTally.received,
      distinct: lagTally.distinct,
      duplicates: lagTally.duplicates,
      missing: lagTally.missing,
      unexpected: lagTally.unexpected,
      wrongType: lagTally.wrongType,
      timedOut: lagWait.timedOut,
      matched: lags.length,
      p50: percentile(lags, 50),
      p90: percentile(lags, 90),
      p99: percentile(lags, 99),
      max: lags.length ? Math.max(...lags) : null,
      min: lags.length ? Math.min(...lags) : null,
      negative: lags.filter((x) => x < 0).length,
      fromSendP50: percentile(fromSend, 50),
      fromSendP99: percentile(fromSend, 99),
      grantP50: percentile(grantMs, 50),
      grantP99: percentile(grantMs, 99),
    };
    const l = results.lag;
    log(
      `webhooks (b): ${l.ok2xx}/${l.grants} grants 2xx at ${fmt(l.achievedRate)}/s; ${l.received} deliveries${l.timedOut ? ' (TIMED OUT)' : ''}; ` +
        `lag after 2xx p50 ${fmt(l.p50, 1)} ms, p90 ${fmt(l.p90, 1)}, p99 ${fmt(l.p99, 1)}, max ${fmt(l.max, 1)} (${l.negative} arrived before the 2xx was read); ` +
        `from request start p50 ${fmt(l.fromSendP50, 1)} / p99 ${fmt(l.fromSendP99, 1)} ms; grant latency p50 ${fmt(l.grantP50, 1)} / p99 ${fmt(l.grantP99, 1)} ms`,
    );
  }

  // ---- exactly once, overall ----
  await sleep(300); // a duplicate (a retry after a lost response) would show up in this time
  const finalStats = await receiver.rpc({ type: 'stats' });
  const expected = results.throughput.expected + (results.lag ? results.lag.ok2xx : 0);
  const deliveries = finalStats.count - base0;
  const outbox = outboxCounts(projectionsPath);
  results.exactlyOnce = {
    expected,
    received: deliveries,
    distinctIds: finalStats.distinct,
    duplicates: finalStats.duplicates,
    missing: results.throughput.missing + (results.lag ? results.lag.missing : 0),
    unexpected: results.throughput.unexpected + (results.lag ? results.lag.unexpected : 0),
    wrongType: results.throughput.wrongType + (results.lag ? results.lag.wrongType : 0),
    outbox,
  };
  const x = results.exactlyOnce;
  x.pass =
    x.received === expected &&
    x.distinctIds === expected &&
    x.duplicates === 0 &&
    x.missing === 0 &&
    x.unexpected === 0 &&
    x.wrongType === 0 &&
    !!outbox &&
    !outbox.pending &&
    !outbox.failed;
  log(
    `webhooks: ${x.received} deliveries for ${expected} expected: ${x.distinctIds} distinct webhook-ids, ${x.duplicates} duplicates, ${x.missing} missing, ` +
      `${x.wrongType} of another type; outbox ${JSON.stringify(outbox)}`,
  );

  await ledger.stop();
  await receiver.stop();
  client.close();
  return results;
}

module.exports = { runWebhooks, webhookConfig, TARGETS };

if (require.main === module) {
  // Alone: node bench/webhooks.js (needs dist/; prints the results as JSON).
  const os = require('node:os');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-bench-webhooks-'));
  const children = [];
  const clients = [];
  const t0 = Date.now();
  const log = (msg) => process.stdout.write(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${msg}\n`);
  const done = async (code) => {
    for (const c of clients) c.close();
    await Promise.all(children.map((c) => c.stop()));
    fs.rmSync(tmp, { recursive: true, force: true });
    process.exit(code);
  };
  process.on('SIGINT', () => done(130));
  runWebhooks({ tmp, log, children, clients })
    .then((r) => {
      process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      return done(0);
    })
    .catch((e) => {
      process.stderr.write(`${e.stack || e}\n`);
      for (const c of children) if (c.output) process.stderr.write(`--- ${c.name} ---\n${c.output.split('\n').slice(-30).join('\n')}\n`);
      return done(1);
    });
}
