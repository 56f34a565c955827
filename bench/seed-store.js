'use strict';
// Writes events straight into an embedded SQLite event store (no HTTP), shaped exactly as the
// ledger writes them: the events come from the domain's own deciders in dist/ (createProfile,
// grantAccess, recordTransaction, reserve, mapProduct), folded with its own `evolve`, with the
// metadata the application layer adds ({ app_id, source }). The schema comes from
// SqliteEventStore itself; rows are then INSERTed directly, one transaction per `rowsPerTx`.
//
//   seedHistory(dbPath, { events, profiles })  a long log for the rebuild benchmark: profiles
//       created at random points, then subscription renewals (TransactionRecorded, ~75 %) and
//       access grants with an expiry (AccessGranted, ~25 %) interleaved across profiles in time.
//   seedFreshProfiles(dbPath, { profiles })    profiles without access (for webhook benchmarks:
//       a grant on each then changes its access, i.e. makes exactly one access_level_updated).
//
// Both are deterministic (seeded PRNG) apart from event ids / grant ids, so runs compare.

const { randomUUID } = require('node:crypto');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const dist = (p) => require(path.join(ROOT, 'dist', p));

const DAY = 86400e3;
/**
 * Every seeded access lasts this long: longer than the seeded year, so no expiry is due when the
 * log is served. (With monthly periods ~90 % of the profiles would have an unrecorded expiry in the
 * past, and a server started on the log would first write an expiry event for each of them.)
 */
const ACCESS_PERIOD = 400 * DAY;
const PRODUCT = 'bench_monthly';

/** mulberry32: small deterministic PRNG. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function domain() {
  const decide = dist('domain/profile/profile.decide');
  const state = dist('domain/profile/profile.state');
  const reservation = dist('domain/profile/customer-user-id');
  const catalogue = dist('domain/catalogue/catalogue');
  const { profileStreamId } = dist('domain/profile/profile.events');
  return { decide, state, reservation, catalogue, profileStreamId };
}

/**
 * A UUIDv7-style event id (time first, then random). The ledger uses random v4 ids; only the
 * UNIQUE index on event_id sees the difference (appends near its end instead of anywhere: ~30 %
 * faster seeding). Nothing reads events by id, so the rebuild and read figures are unaffected.
 */
function timeOrderedUuid(ms) {
  const h = Math.floor(ms).toString(16).padStart(12, '0');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-7${randomUUID().slice(15)}`;
}

/**
 * Creates the log's own schema (LOG_SCHEMA, what the store's writer creates) on an empty file, in
 * rollback-journal mode: a file left in WAL mode would keep its WAL while the seed writes (each page
 * written twice); the insert worker turns WAL on at the end, as the ledger opens it.
 */
function createSchema(dbPath) {
  const Database = require('better-sqlite3');
  const { LOG_SCHEMA } = dist('event-store/sqlite/sqlite-log');
  const db = new Database(dbPath);
  try {
    db.exec(LOG_SCHEMA);
    if (db.prepare('SELECT COUNT(*) FROM events').pluck().get() > 0) throw new Error(`${dbPath} already holds events`);
  } finally {
    db.close();
  }
}

/**
 * Rows are generated on the main thread and INSERTed by a worker thread (the two overlap: on a
 * small machine each takes about half the time). Each message is one transaction.
 */
function insertWorker() {
  const { parentPort, workerData } = require('node:worker_threads');
  const Database = require('better-sqlite3');
  const db = new Database(workerData.dbPath);
  // Seeding only (the file is thrown away on failure): no journal, no fsync, then back to WAL.
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  db.pragma('locking_mode = EXCLUSIVE');
  db.pragma('cache_size = -262144');
  const insert = db.prepare(
    'INSERT INTO events (event_id, stream_id, revision, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const upsert = db.prepare(
    'INSERT INTO streams (stream_id, revision) VALUES (?, ?) ON CONFLICT(stream_id) DO UPDATE SET revision = excluded.revision',
  );
  const writeRows = db.transaction((rows) => {
    for (let i = 0; i < rows.length; i += 7) insert.run(rows[i], rows[i + 1], rows[i + 2], rows[i + 3], rows[i + 4], rows[i + 5], rows[i + 6]);
  });
  const writeStreams = db.transaction((streams) => {
    for (const [id, rev] of streams) upsert.run(id, rev);
  });
  parentPort.on('message', (m) => {
    try {
      if (m.rows) writeRows(m.rows);
      if (m.streams) {
        writeStreams(m.streams);
        db.pragma('locking_mode = NORMAL');
        db.pragma('journal_mode = WAL');
        db.close();
      }
      parentPort.postMessage({ ok: true });
    } catch (error) {
      parentPort.postMessage({ error: String(error && error.stack ? error.stack : error) });
    }
  });
}

/** Buffers rows, hands them to the insert worker in transactions of `rowsPerTx`; tracks each stream's revision. */
class Writer {
  constructor(dbPath, rowsPerTx) {
    const { Worker } = require('node:worker_threads');
    this.rowsPerTx = rowsPerTx;
    this.rows = [];
    this.revisions = new Map();
    this.count = 0;
    this.outstanding = 0;
    this.failure = null;
    this.waiters = [];
    this.worker = new Worker(__filename, { workerData: { seedInsertWorker: true, dbPath } });
    this.worker.on('message', (m) => {
      this.outstanding--;
      if (m.error) this.failure = new Error(`seed insert worker: ${m.error}`);
      this.waiters.splice(0).forEach((w) => w());
    });
    this.worker.on('error', (e) => {
      this.failure = e;
      this.waiters.splice(0).forEach((w) => w());
    });
  }

  /** Appends one decided event (ProfileEvent-like { type, data }) to `streamId`. */
  push(streamId, event, metadataJson, recordedAtMs) {
    const revision = (this.revisions.get(streamId) ?? -1) + 1;
    this.revisions.set(streamId, revision);
    this.rows.push(timeOrderedUuid(recordedAtMs), streamId, revision, event.type, JSON.stringify(event.data), metadataJson, recordedAtMs);
    this.count++;
  }

  /** Call between events: sends a full batch, and waits while two are already queued (bounded memory). */
  async maybeFlush() {
    if (this.rows.length < 7 * this.rowsPerTx) return;
    this.send({ rows: this.rows });
    this.rows = [];
    while (this.outstanding > 2 && !this.failure) await new Promise((r) => this.waiters.push(r));
    if (this.failure) throw this.failure;
  }

  send(message) {
    if (this.failure) throw this.failure;
    this.outstanding++;
    this.worker.postMessage(message);
  }

  async finish() {
    if (this.rows.length) this.send({ rows: this.rows });
    this.rows = [];
    this.send({ streams: [...this.revisions] });
    while (this.outstanding > 0 && !this.failure) await new Promise((r) => this.waiters.push(r));
    await this.worker.terminate();
    if (this.failure) throw this.failure;
  }
}

const meta = (appId, source) => JSON.stringify({ app_id: appId, source });

function must(decision, what) {
  if (!Array.isArray(decision)) throw new Error(`seed: ${what} was refused: ${JSON.stringify(decision)}`);
  if (decision.length !== 1) throw new Error(`seed: ${what} decided ${decision.length} events`);
  return decision;
}

/** The catalogue every seeded app starts with: bench_monthly -> premium. */
function seedCatalogue(d, w, appId, atMs) {
  const cat0 = d.catalogue.initialCatalogue();
  const mapped = must(d.catalogue.mapProduct(cat0, PRODUCT, 'premium', new Date(atMs)), 'mapProduct');
  w.push(d.catalogue.catalogueStreamId(appId), mapped[0], meta(appId, 'admin.put_product'), atMs);
  return mapped.reduce(d.catalogue.evolveCatalogue, cat0);
}

/** Reservation + ProfileCreated, as POST /profile/ with a customer user id writes them. */
function createOne(d, w, appId, i, profileId, atMs) {
  const source = meta(appId, 'api.v2.create_profile');
  const customerUserId = `bench-${i}`;
  const reserved = d.reservation.reserve(d.reservation.initialReservation(), profileId);
  w.push(d.reservation.reservationStreamId(appId, customerUserId), reserved[0], source, atMs);
  const ctx = { now: new Date(atMs), newId: randomUUID };
  const created = must(
    d.decide.createProfile(
      d.state.initialProfileState(),
      {
        app_id: appId,
        profile_id: profileId,
        customer_user_id: customerUserId,
        attributes: { first_name: `Bench${i}`, email: `bench-${i}@example.com` },
        custom_attributes: { plan: i % 3 === 0 ? 'pro' : 'basic', score: i % 100 },
      },
      ctx,
    ),
    'createProfile',
  );
  w.push(d.profileStreamId(profileId), created[0], source, atMs);
  return created.reduce(d.state.evolve, d.state.initialProfileState());
}

function transaction(i, k, purchasedMs, firstMs) {
  const iso = (ms) => new Date(ms).toISOString();
  return {
    purchase_type: 'subscription',
    store: 'app_store',
    environment: 'Production',
    store_product_id: PRODUCT,
    store_transaction_id: `tx-${i}-${k}`,
    store_original_transaction_id: `otx-${i}`,
    is_family_shared: false,
    price: { country: 'US', currency: 'USD', value: 9.99 },
    purchased_at: iso(purchasedMs),
    variation_id: null,
    offer: null,
    refunded_at: null,
    cancellation_reason: null,
    originally_purchased_at: iso(firstMs),
    expires_at: iso(purchasedMs + ACCESS_PERIOD),
    renew_status: true,
    renew_status_changed_at: null,
    billing_issue_detected_at: null,
    grace_period_expires_at: null,
  };
}

/**
 * The deciders used here only look at `exists` and at the chain of the transaction's original id:
 * every seeded transaction id is new and later than the chain's first one, grants are never
 * revoked. So the seeder folds a profile's creation and its first transaction only, and drops the
 * `transactions` map and `grants` list: every later renewal / grant is decided on that state
 * exactly as on the full one (same shape, same effects, same purchase_id), at a fraction of the cost.
 */
function slim(state) {
  state.transactions = new Map();
  state.grants = [];
  return state;
}

/**
 * A log of `events` events over `profiles` profiles (1 catalogue event, 2 per profile for the
 * creation incl. the customer-id reservation, the rest renewals and grants), spread over the last
 * `days` days in commit order. Returns { events, profiles, seconds, byType }.
 */
async function seedHistory(dbPath, { events, profiles, appId = 'bench', rowsPerTx = 20_000, days = 365, seed = 42, onProgress } = {}) {
  const started = Date.now();
  const d = domain();
  createSchema(dbPath);
  const w = new Writer(dbPath, rowsPerTx);
  const rand = prng(seed);
  profiles = Math.max(1, Math.min(profiles, Math.floor((events - 1) / 2)));
  const later = events - 1 - 2 * profiles; // renewals and grants after the creations
  // One slot per profile event (creation + its share of the later ones), shuffled: the first slot
  // of a profile is its creation, so profiles appear over time and their events interleave.
  const slots = new Int32Array(profiles + later);
  let n = 0;
  for (let p = 0; p < profiles; p++) {
    const share = Math.floor(later / profiles) + (p < later % profiles ? 1 : 0);
    for (let k = 0; k <= share; k++) slots[n++] = p;
  }
  for (let i = slots.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = slots[i];
    slots[i] = slots[j];
    slots[j] = t;
  }
  const startMs = Date.now() - days * DAY;
  const stepMs = (days * DAY) / slots.length;
  const catalogue = seedCatalogue(d, w, appId, startMs - 60e3);
  const states = new Array(profiles);
  const ids = new Array(profiles);
  const txCount = new Int32Array(profiles);
  const firstTx = new Float64Array(profiles);
  const byType = { CatalogueEvents: 1, CustomerUserIdReserved: 0, ProfileCreated: 0, TransactionRecorded: 0, AccessGranted: 0 };
  const grantMeta = meta(appId, 'api.v2.grant_access_level');
  const txMeta = meta(appId, 'api.v2.set_transaction');
  for (let s = 0; s < slots.length; s++) {
    const p = slots[s];
    const at = Math.round(startMs + s * stepMs);
    const ctx = { now: new Date(at), newId: randomUUID };
    if (states[p] === undefined) {
      ids[p] = randomUUID();
      states[p] = createOne(d, w, appId, p, ids[p], at);
      byType.CustomerUserIdReserved++;
      byType.ProfileCreated++;
    } else if (rand() < 0.75) {
      const k = txCount[p]++;
      if (k === 0) firstTx[p] = at;
      const decided = must(d.decide.recordTransaction(states[p], transaction(p, k, at, firstTx[p]), catalogue, ctx), 'recordTransaction');
      w.push(d.profileStreamId(ids[p]), decided[0], txMeta, at);
      if (k === 0) states[p] = slim(d.state.evolve(states[p], decided[0]));
      byType.TransactionRecorded++;
    } else {
      const expires = new Date(at + ACCESS_PERIOD).toISOString();
      const decided = must(d.decide.grantAccess(states[p], { access_level_id: 'premium', starts_at: null, expires_at: expires }, catalogue, ctx), 'grantAccess');
      w.push(d.profileStreamId(ids[p]), decided[0], grantMeta, at);
      byType.AccessGranted++;
    }
    if (onProgress && s % 100_000 === 0 && s > 0) onProgress(w.count);
    await w.maybeFlush();
  }
  await w.finish();
  return { events: w.count, profiles, seconds: (Date.now() - started) / 1000, byType };
}

/**
 * `profiles` profiles (reservation + ProfileCreated each, customer ids `bench-${i}`) without
 * access; returns their profile ids in order.
 */
async function seedFreshProfiles(dbPath, { profiles, appId = 'bench', rowsPerTx = 20_000 } = {}) {
  const started = Date.now();
  const d = domain();
  createSchema(dbPath);
  const w = new Writer(dbPath, rowsPerTx);
  const now = Date.now() - 3600e3;
  seedCatalogue(d, w, appId, now - 60e3);
  const ids = [];
  for (let i = 0; i < profiles; i++) {
    const id = randomUUID();
    ids.push(id);
    createOne(d, w, appId, i, id, now);
    await w.maybeFlush();
  }
  await w.finish();
  return { ids, customerIds: ids.map((_, i) => `bench-${i}`), events: w.count, seconds: (Date.now() - started) / 1000 };
}

module.exports = { seedHistory, seedFreshProfiles, PRODUCT };

if (!require('node:worker_threads').isMainThread && require('node:worker_threads').workerData?.seedInsertWorker) {
  insertWorker();
} else if (require.main === module) {
  // node bench/seed-store.js FILE [EVENTS] [PROFILES]
  const [file, events = '1000000', profiles = '20000'] = process.argv.slice(2);
  seedHistory(path.resolve(file), { events: Number(events), profiles: Number(profiles), onProgress: (n) => process.stderr.write(`\r${n} events`) })
    .then((r) => process.stdout.write(`\n${JSON.stringify(r)}\n`))
    .catch((e) => {
      process.stderr.write(`${e.stack || e}\n`);
      process.exit(1);
    });
}
