import type Database from 'better-sqlite3';
import { WebhookEndpoint } from '../../domain/webhooks/webhook-endpoint';
import { openSqlite, SqliteSynchronous } from '../../sqlite/open-sqlite';
import {
  AttemptRecord,
  DeliveryView,
  ProjectionBatch,
  ReadModelReader,
  ReadModelWriter,
  ReadyDelivery,
  StoredProfile,
  StreamFailure,
} from '../read-model-store.port';
import { DELIVERY_COLUMNS, DeliveryRow, deliveryView, FailureRow, failureOf, ProfileLookupRow, storedProfile } from '../read-model-rows';
import { ensureReadModelSchema } from './sqlite-read-model-schema';

const PROFILE_LOOKUP = `
  SELECT p.profile_id, p.revision, p.view, s.position AS stopped_position, s.event_type AS stopped_type, s.error AS stopped_error
  FROM profiles p LEFT JOIN stopped_streams s ON s.stream_id = 'profile-' || p.profile_id`;

/** Statements every connection to the read models may run. */
function reads(db: Database.Database) {
  return {
    checkpoint: db.prepare<[], number>('SELECT position FROM checkpoint WHERE id = 1').pluck(),
    stopped: db.prepare<[], FailureRow>('SELECT stream_id, position, event_type, error FROM stopped_streams ORDER BY position'),
    endpointsOf: db.prepare<[string], string>(`SELECT endpoint FROM webhook_endpoints WHERE app_id = ? ORDER BY json_extract(endpoint, '$.created_at'), id`).pluck(),
    endpoint: db.prepare<[string], string>('SELECT endpoint FROM webhook_endpoints WHERE id = ?').pluck(),
  };
}

/**
 * The read models in a SQLite file of their own (their commits never queue behind the log's).
 * They can always be rebuilt from the log, so they commit with synchronous=NORMAL.
 */
export class SqliteReadModelWriter implements ReadModelWriter {
  private readonly r: ReturnType<typeof reads>;
  private readonly w: ReturnType<SqliteReadModelWriter['prepare']>;

  constructor(
    private readonly db: Database.Database,
    private readonly now: () => number = Date.now,
  ) {
    ensureReadModelSchema(db);
    this.r = reads(db);
    this.w = this.prepare();
  }

  static open(path: string, options: { synchronous?: SqliteSynchronous } = {}): SqliteReadModelWriter {
    return new SqliteReadModelWriter(openSqlite(path, { synchronous: options.synchronous ?? 'NORMAL' }));
  }

  private prepare() {
    const db = this.db;
    return {
      setCheckpoint: db.prepare('UPDATE checkpoint SET position = ? WHERE id = 1'),
      upsertProfile: db.prepare(
        `INSERT INTO profiles (profile_id, app_id, customer_user_id, revision, view, next_expiry_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(profile_id) DO UPDATE SET app_id = excluded.app_id, customer_user_id = excluded.customer_user_id,
           revision = excluded.revision, view = excluded.view, next_expiry_at = excluded.next_expiry_at`,
      ),
      removeProfile: db.prepare('DELETE FROM profiles WHERE profile_id = ?'),
      upsertEndpoint: db.prepare(
        'INSERT INTO webhook_endpoints (id, app_id, endpoint) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET endpoint = excluded.endpoint',
      ),
      removeEndpoint: db.prepare('DELETE FROM webhook_endpoints WHERE id = ?'),
      stop: db.prepare(
        'INSERT INTO stopped_streams (stream_id, position, event_type, error) VALUES (?, ?, ?, ?) ON CONFLICT(stream_id) DO NOTHING',
      ),
      unstop: db.prepare('DELETE FROM stopped_streams WHERE stream_id = ?'),
      enqueue: db
        .prepare<unknown[], number>(
          `INSERT OR IGNORE INTO webhook_deliveries
             (id, endpoint_id, app_id, profile_id, profile_sequence, event_type, payload, next_attempt_at, created_at, enqueued_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`,
        )
        .pluck(),
      meta: db.prepare<[string], string>('SELECT value FROM read_model_meta WHERE key = ?').pluck(),
      setMeta: db.prepare('INSERT INTO read_model_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING'),
      // A delivery goes only when nothing older of its profile to its endpoint is still unsent
      // or in flight; one waiting for a retry does not hold the rest up.
      claim: db.prepare(`
        UPDATE webhook_deliveries SET lease_until = @leaseUntil
        WHERE seq = @seq AND status = 'pending' AND next_attempt_at <= @now AND (lease_until IS NULL OR lease_until < @now)
          AND NOT EXISTS (
            SELECT 1 FROM webhook_deliveries p
            WHERE p.endpoint_id = webhook_deliveries.endpoint_id AND p.profile_id = webhook_deliveries.profile_id
              AND p.status = 'pending' AND p.seq < webhook_deliveries.seq
              AND (p.attempts = 0 OR (p.lease_until IS NOT NULL AND p.lease_until >= @now)))`),
      delivered: db.prepare(
        `UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1, last_status = ?, last_error = NULL, last_response_excerpt = NULL,
           last_attempt_at = ?, delivered_at = ?, lease_until = NULL WHERE seq = ?`,
      ),
      retry: db.prepare(
        `UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = ?, last_error = ?, last_response_excerpt = ?,
           last_attempt_at = ?, next_attempt_at = ?, lease_until = NULL WHERE seq = ?`,
      ),
      ended: db.prepare(
        `UPDATE webhook_deliveries SET status = ?, attempts = attempts + 1, last_status = ?, last_error = ?, last_response_excerpt = ?,
           last_attempt_at = ?, lease_until = NULL WHERE seq = ?`,
      ),
      release: db.prepare(`UPDATE webhook_deliveries SET lease_until = NULL WHERE seq = ? AND status = 'pending'`),
      redeliver: db.prepare(
        `UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?, lease_until = NULL
         WHERE app_id = ? AND id = ? AND status != 'pending'`,
      ),
      one: db.prepare<[string, string], DeliveryRow>(`SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE app_id = ? AND id = ?`),
    };
  }

  async checkpoint(): Promise<bigint> {
    return BigInt(this.r.checkpoint.get()!);
  }

  async outboxHorizon(initial: bigint): Promise<bigint> {
    this.w.setMeta.run('outbox_from', String(initial));
    return BigInt(this.w.meta.get('outbox_from')!);
  }

  async stoppedStreams(): Promise<StreamFailure[]> {
    return this.r.stopped.all().map(failureOf);
  }

  async endpointsOf(appId: string): Promise<WebhookEndpoint[]> {
    return this.r.endpointsOf.all(appId).map((json) => JSON.parse(json) as WebhookEndpoint);
  }

  async commit(batch: ProjectionBatch): Promise<{ enqueued: ReadyDelivery[] } | null> {
    const w = this.w;
    const enqueuedAt = this.now();
    return this.db
      .transaction(() => {
        // Under the write lock: another process may have applied (part of) this batch meanwhile.
        if (BigInt(this.r.checkpoint.get()!) !== batch.from) return null;
        const enqueued: ReadyDelivery[] = [];
        for (const p of batch.profiles) {
          w.upsertProfile.run(p.profile_id, p.app_id, p.customer_user_id, p.revision, JSON.stringify(p.view), p.next_expiry_at);
        }
        for (const id of batch.removedProfiles) {
          w.removeProfile.run(id);
          w.unstop.run(`profile-${id}`);
        }
        for (const e of batch.endpoints) w.upsertEndpoint.run(e.endpoint.id, e.app_id, JSON.stringify(e.endpoint));
        for (const id of batch.removedEndpoints) w.removeEndpoint.run(id);
        for (const d of batch.deliveries) {
          const seq = w.enqueue.get(d.id, d.endpoint_id, d.app_id, d.profile_id, d.profile_sequence, d.event_type, d.payload, d.due_at, d.due_at, enqueuedAt);
          if (seq !== undefined) {
            enqueued.push({ seq, id: d.id, endpoint_id: d.endpoint_id, app_id: d.app_id, profile_id: d.profile_id, payload: d.payload, attempts: 0 });
          }
        }
        for (const f of batch.stopped) w.stop.run(f.stream_id, f.position, f.event_type, f.error);
        w.setCheckpoint.run(batch.to);
        return { enqueued };
      })
      .immediate();
  }

  async claim(seqs: number[], now: number, leaseUntil: number): Promise<number[]> {
    // Oldest first, so a delivery claimed here holds back the later ones of its profile asked for in the same call.
    const granted = this.db
      .transaction(() => new Set([...seqs].sort((a, b) => a - b).filter((seq) => this.w.claim.run({ seq, now, leaseUntil }).changes === 1)))
      .immediate();
    return seqs.filter((seq) => granted.has(seq));
  }

  async recordAttempts(records: AttemptRecord[]): Promise<void> {
    const w = this.w;
    this.db
      .transaction(() => {
        for (const r of records) {
          if (r.status === 'delivered') w.delivered.run(r.response_status, r.attempted_at, r.attempted_at, r.seq);
          else if (r.status === 'pending') w.retry.run(r.response_status, r.error, r.response_excerpt, r.attempted_at, r.next_attempt_at, r.seq);
          else w.ended.run(r.status, r.response_status, r.error, r.response_excerpt, r.attempted_at, r.seq);
        }
      })
      .immediate();
  }

  async release(seqs: number[]): Promise<void> {
    this.db.transaction(() => seqs.forEach((seq) => this.w.release.run(seq))).immediate();
  }

  async redeliver(appId: string, deliveryId: string, now: number): Promise<DeliveryView | null> {
    this.w.redeliver.run(now, appId, deliveryId);
    const row = this.w.one.get(appId, deliveryId);
    return row ? deliveryView(row) : null;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

/** Reads of the read models; on a connection of its own (a GET never waits for a projector's commit). */
export class SqliteReadModelReader implements ReadModelReader {
  private readonly r: ReturnType<typeof reads>;
  private readonly q: ReturnType<SqliteReadModelReader['prepare']>;

  constructor(private readonly db: Database.Database) {
    this.r = reads(db);
    this.q = this.prepare();
  }

  /** The writer creates the schema; open a reader after it. */
  static open(path: string): SqliteReadModelReader {
    return new SqliteReadModelReader(openSqlite(path, { synchronous: 'NORMAL' }));
  }

  private prepare() {
    const db = this.db;
    return {
      byId: db.prepare<[string, string], ProfileLookupRow>(`${PROFILE_LOOKUP} WHERE p.profile_id = ? AND p.app_id = ?`),
      byCustomer: db.prepare<[string, string], ProfileLookupRow>(`${PROFILE_LOOKUP} WHERE p.app_id = ? AND p.customer_user_id = ? LIMIT 1`),
      dueExpiries: db.prepare<[number, number], { profile_id: string; app_id: string; due_at: number }>(
        'SELECT profile_id, app_id, next_expiry_at AS due_at FROM profiles WHERE next_expiry_at <= ? ORDER BY next_expiry_at LIMIT ?',
      ),
      due: db.prepare<{ now: number; limit: number }, ReadyDelivery>(`
        SELECT d.seq, d.id, d.endpoint_id, d.app_id, d.profile_id, d.payload, d.attempts
        FROM webhook_deliveries d INDEXED BY webhook_deliveries_pending
          JOIN webhook_endpoints e ON e.id = d.endpoint_id AND json_extract(e.endpoint, '$.enabled') = 1
        WHERE d.status = 'pending' AND d.next_attempt_at <= @now AND (d.lease_until IS NULL OR d.lease_until < @now)
          AND NOT EXISTS (
            SELECT 1 FROM webhook_deliveries p
            WHERE p.endpoint_id = d.endpoint_id AND p.profile_id = d.profile_id AND p.status = 'pending' AND p.seq < d.seq
              AND (p.attempts = 0 OR (p.lease_until IS NOT NULL AND p.lease_until >= @now)))
        ORDER BY d.seq LIMIT @limit`),
      list: db.prepare<[string, string, number], DeliveryRow>(
        `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE app_id = ? AND endpoint_id = ? ORDER BY seq DESC LIMIT ?`,
      ),
      // Both counts read partial indexes (pending, failed), never the delivered history.
      pending: db.prepare<[], number>(`SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'pending'`).pluck(),
      failed: db.prepare<[], number>(`SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'failed'`).pluck(),
      ofProfile: db.prepare<[string, string, number, number], DeliveryRow>(
        `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE app_id = ? AND profile_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?`,
      ),
    };
  }

  async checkpoint(): Promise<bigint> {
    return BigInt(this.r.checkpoint.get()!);
  }

  async profileById(appId: string, profileId: string): Promise<StoredProfile | null> {
    return storedProfile(this.q.byId.get(profileId, appId));
  }

  async profileByCustomer(appId: string, customerUserId: string): Promise<StoredProfile | null> {
    return storedProfile(this.q.byCustomer.get(appId, customerUserId));
  }

  async dueExpiries(now: number, limit: number) {
    return this.q.dueExpiries.all(now, limit);
  }

  async dueDeliveries(now: number, limit: number): Promise<ReadyDelivery[]> {
    return this.q.due.all({ now, limit });
  }

  async endpoint(id: string): Promise<WebhookEndpoint | null> {
    const json = this.r.endpoint.get(id);
    return json === undefined ? null : (JSON.parse(json) as WebhookEndpoint);
  }

  async deliveries(appId: string, endpointId: string, limit: number): Promise<DeliveryView[]> {
    return this.q.list.all(appId, endpointId, limit).map(deliveryView);
  }

  async profileDeliveries(appId: string, profileId: string, limit: number, beforeSeq: number | null) {
    const rows = this.q.ofProfile.all(appId, profileId, beforeSeq ?? Number.MAX_SAFE_INTEGER, limit + 1);
    const page = rows.slice(0, limit);
    return { data: page.map(deliveryView), nextBeforeSeq: rows.length > limit ? Number(page[page.length - 1].seq) : null };
  }

  async stoppedStreams(): Promise<StreamFailure[]> {
    return this.r.stopped.all().map(failureOf);
  }

  async outboxCounts(): Promise<{ pending: number; failed: number }> {
    return { pending: this.q.pending.get()!, failed: this.q.failed.get()! };
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
