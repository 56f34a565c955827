import { Pool, PoolClient } from 'pg';
import { WebhookEndpoint } from '../../domain/webhooks/webhook-endpoint';
import { DELIVERY_CLAIM_LOCK } from '../../postgres/advisory-locks';
import { READ_MODELS_CHANNEL } from '../../postgres/notify-channels';
import { createPostgresPool } from '../../postgres/postgres-pool';
import {
  AttemptRecord,
  DeliveryView,
  ProfileRow,
  ProjectionBatch,
  ReadModelReader,
  ReadModelWriter,
  ReadyDelivery,
  StoredProfile,
  StreamFailure,
} from '../read-model-store.port';
import { DELIVERY_COLUMNS, DeliveryRow, deliveryView, FailureRow, failureOf, ProfileLookupRow, storedProfile } from '../read-model-rows';
import { ensurePostgresReadModelSchema, inTransaction, LIVE } from './postgres-read-model-schema';

export interface PostgresReadModelOptions {
  /** postgres://user:password@host:5432/database (or postgresql://). */
  url: string;
  /** Connections at most (PG_POOL_SIZE). */
  poolSize?: number;
}

/**
 * PostgreSQL text cannot hold NUL: no row has such an id, and sending one fails the statement.
 * Lookups by such an id answer "nothing" without asking (SQLite answers the same by finding none).
 */
const holdable = (...texts: string[]) => texts.every((t) => !t.includes('\u0000'));

/** bigint columns arrive as strings (pg keeps their full range); these all fit a double. */
type Big = string;

interface ReadyRow {
  seq: Big;
  id: string;
  endpoint_id: string;
  app_id: string;
  profile_id: string;
  payload: string;
  attempts: number;
}

const readyDelivery = (r: ReadyRow): ReadyDelivery => ({ ...r, seq: Number(r.seq) });

const PROFILE_LOOKUP = `
  SELECT p.profile_id, p.revision, p.view, s.position AS stopped_position, s.event_type AS stopped_type, s.error AS stopped_error
  FROM ledger_rm_profiles p LEFT JOIN ledger_rm_stopped s ON s.stream_id = 'profile-' || p.profile_id`;

/**
 * A profile's deliveries to an endpoint go in sequence order: one may be claimed only when nothing
 * older of its pair is still unsent or in flight (one waiting for a retry does not hold the rest
 * up), nor claimed in the same call.
 */
const CLAIM = `
  WITH candidates AS (
    SELECT seq, endpoint_id, profile_id FROM ledger_rm_deliveries
    WHERE seq = ANY ($1::bigint[]) AND status = 'pending' AND next_attempt_at <= $2 AND (lease_until IS NULL OR lease_until < $2)
    FOR UPDATE SKIP LOCKED
  ), granted AS (
    SELECT c.seq FROM candidates c
    WHERE NOT EXISTS (
      SELECT 1 FROM ledger_rm_deliveries p
      WHERE p.endpoint_id = c.endpoint_id AND p.profile_id = c.profile_id AND p.status = 'pending' AND p.seq < c.seq
        AND (p.attempts = 0 OR p.lease_until >= $2 OR p.seq IN (SELECT seq FROM candidates)))
  )
  UPDATE ledger_rm_deliveries d SET lease_until = $3 FROM granted g WHERE d.seq = g.seq RETURNING d.seq`;

/** Statements on the derived tables under `prefix` (the live ones, or a rebuild's scratch copy). */
const derivedQueries = (prefix: string) => ({
  checkpoint: { name: `${prefix}checkpoint`, text: `SELECT position, generation FROM ${prefix}checkpoint WHERE id = 1` },
  stopped: { name: `${prefix}stopped`, text: `SELECT stream_id, position, event_type, error FROM ${prefix}stopped ORDER BY position, stream_id` },
  endpointsOf: {
    name: `${prefix}endpoints_of`,
    text: `SELECT endpoint FROM ${prefix}endpoints WHERE app_id = $1 ORDER BY (endpoint::json ->> 'created_at') COLLATE "C", id COLLATE "C"`,
  },
  endpoint: { name: `${prefix}endpoint`, text: `SELECT endpoint FROM ${prefix}endpoints WHERE id = $1` },
});

const Q = derivedQueries(LIVE);

async function checkpointOf(pool: Pool): Promise<bigint> {
  const { rows } = await pool.query<{ position: Big }>(Q.checkpoint);
  return BigInt(rows[0].position);
}

async function stoppedOf(pool: Pool, q = Q): Promise<StreamFailure[]> {
  return (await pool.query<FailureRow>(q.stopped)).rows.map(failureOf);
}

/** The last of each key wins (one statement may not upsert a row twice). */
function lastByKey<T>(items: T[], key: (item: T) => string): T[] {
  return [...new Map(items.map((item): [string, T] => [key(item), item])).values()];
}

/* Set-based writes of derived rows under a table prefix (one statement each, however many rows). */

export async function upsertProfiles(c: PoolClient, t: string, rows: ProfileRow[]): Promise<void> {
  const profiles = lastByKey(rows, (p) => p.profile_id);
  if (profiles.length === 0) return;
  await c.query(
    `INSERT INTO ${t}profiles (profile_id, app_id, customer_user_id, revision, view, next_expiry_at)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::bigint[])
     ON CONFLICT (profile_id) DO UPDATE SET app_id = excluded.app_id, customer_user_id = excluded.customer_user_id,
       revision = excluded.revision, view = excluded.view, next_expiry_at = excluded.next_expiry_at`,
    [
      profiles.map((p) => p.profile_id),
      profiles.map((p) => p.app_id),
      // One holding NUL (an API may accept it) cannot be a column value, nor ever be asked for here: the view keeps it.
      profiles.map((p) => (p.customer_user_id !== null && holdable(p.customer_user_id) ? p.customer_user_id : null)),
      profiles.map((p) => p.revision.toString()),
      profiles.map((p) => JSON.stringify(p.view)),
      profiles.map((p) => p.next_expiry_at),
    ],
  );
}

export async function upsertEndpoints(c: PoolClient, t: string, rows: Array<{ app_id: string; endpoint: WebhookEndpoint }>): Promise<void> {
  const endpoints = lastByKey(rows, (e) => e.endpoint.id);
  if (endpoints.length === 0) return;
  await c.query(
    `INSERT INTO ${t}endpoints (id, app_id, endpoint) SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
     ON CONFLICT (id) DO UPDATE SET endpoint = excluded.endpoint`,
    [endpoints.map((e) => e.endpoint.id), endpoints.map((e) => e.app_id), endpoints.map((e) => JSON.stringify(e.endpoint))],
  );
}

/** Text for a message column: a NUL (which PostgreSQL text cannot hold) shows as U+FFFD. */
const message = (text: string) => text.replaceAll('\u0000', '\uFFFD');

/** A stream stops at its first failure: later ones for it are ignored. */
export async function insertStopped(c: PoolClient, t: string, failures: StreamFailure[]): Promise<void> {
  if (failures.length === 0) return;
  await c.query(
    `INSERT INTO ${t}stopped (stream_id, position, event_type, error)
     SELECT stream_id, position, event_type, error
     FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[]) WITH ORDINALITY AS f (stream_id, position, event_type, error, ord)
     ORDER BY ord ON CONFLICT (stream_id) DO NOTHING`,
    [failures.map((f) => f.stream_id), failures.map((f) => f.position.toString()), failures.map((f) => message(f.event_type)), failures.map((f) => message(f.error))],
  );
}

/**
 * The read models in PostgreSQL, shared by every node. Each projection batch is one transaction
 * that holds the checkpoint row (FOR UPDATE) and is refused unless it still stands at the batch's
 * `from`, so each batch is applied once whichever node computed it; a commit that moves the
 * checkpoint notifies `ledger_read_models` with the new position (sent when it commits).
 */
export class PostgresReadModelWriter implements ReadModelWriter {
  private readonly q: ReturnType<typeof derivedQueries>;
  /** The rebuild generation the last checkpoint() saw (see commit). */
  private generation: Big | null = null;

  private constructor(
    private readonly pool: Pool,
    private readonly ownsPool: boolean,
    private readonly now: () => number,
    /** `ledger_rm_` (live: shared outbox, notifications) or a rebuild's scratch copy (neither). */
    private readonly prefix: string = LIVE,
  ) {
    this.q = derivedQueries(prefix);
  }

  /** Opens a pool on `url` and creates the schema if it is missing. */
  static async open(options: PostgresReadModelOptions, now: () => number = Date.now): Promise<PostgresReadModelWriter> {
    const pool = createPostgresPool({ url: options.url, size: options.poolSize ?? 10, applicationName: 'subscription-ledger read models' });
    return PostgresReadModelWriter.onPool(pool, true, now).catch(async (error: unknown) => {
      await pool.end();
      throw error;
    });
  }

  /** On a pool the caller owns (and ends after `close`), unless `ownsPool`. */
  static async onPool(pool: Pool, ownsPool = false, now: () => number = Date.now): Promise<PostgresReadModelWriter> {
    await ensurePostgresReadModelSchema(pool);
    return new PostgresReadModelWriter(pool, ownsPool, now);
  }

  /**
   * A writer of a rebuild's scratch tables (created by the caller): no outbox (their horizon lies
   * past any position), no notifications.
   */
  static scratch(pool: Pool, prefix: string): PostgresReadModelWriter {
    return new PostgresReadModelWriter(pool, false, Date.now, prefix);
  }

  private get live(): boolean {
    return this.prefix === LIVE;
  }

  async checkpoint(): Promise<bigint> {
    const { rows } = await this.pool.query<{ position: Big; generation: Big }>(this.q.checkpoint);
    this.generation = rows[0].generation;
    return BigInt(rows[0].position);
  }

  async outboxHorizon(initial: bigint): Promise<bigint> {
    const meta = `${this.prefix}meta`;
    const { rows } = await this.pool.query<{ value: string }>(
      `WITH inserted AS (INSERT INTO ${meta} (key, value) VALUES ('outbox_from', $1) ON CONFLICT (key) DO NOTHING RETURNING value)
       SELECT value FROM inserted UNION ALL SELECT value FROM ${meta} WHERE key = 'outbox_from'`,
      [initial.toString()],
    );
    return BigInt(rows[0].value);
  }

  stoppedStreams(): Promise<StreamFailure[]> {
    return stoppedOf(this.pool, this.q);
  }

  async endpointsOf(appId: string): Promise<WebhookEndpoint[]> {
    if (!holdable(appId)) return [];
    const { rows } = await this.pool.query<{ endpoint: string }>({ ...this.q.endpointsOf, values: [appId] });
    return rows.map((r) => JSON.parse(r.endpoint) as WebhookEndpoint);
  }

  async commit(batch: ProjectionBatch): Promise<{ enqueued: ReadyDelivery[] } | null> {
    if (!this.live && batch.deliveries.length > 0) throw new Error('a scratch copy of the read models has no outbox');
    const enqueuedAt = this.now();
    const t = this.prefix;
    return inTransaction(this.pool, async (c) => {
      // Held until the commit: another node's batch from the same checkpoint waits here, then is refused.
      // Also refused across a rebuild's swap (its generation): the batch was computed from the tables it replaced.
      const { rows } = await c.query<{ position: Big; generation: Big }>(`SELECT position, generation FROM ${t}checkpoint WHERE id = 1 FOR UPDATE`);
      if (BigInt(rows[0].position) !== batch.from || (this.generation !== null && rows[0].generation !== this.generation)) return null;
      await upsertProfiles(c, t, batch.profiles);
      if (batch.removedProfiles.length > 0) {
        await c.query(`DELETE FROM ${t}profiles WHERE profile_id = ANY ($1::text[])`, [batch.removedProfiles]);
        await c.query(`DELETE FROM ${t}stopped WHERE stream_id = ANY ($1::text[])`, [batch.removedProfiles.map((id) => `profile-${id}`)]);
      }
      await upsertEndpoints(c, t, batch.endpoints);
      if (batch.removedEndpoints.length > 0) await c.query(`DELETE FROM ${t}endpoints WHERE id = ANY ($1::text[])`, [batch.removedEndpoints]);
      const enqueued: ReadyDelivery[] = [];
      if (batch.deliveries.length > 0) {
        const ds = batch.deliveries;
        // Sequence numbers follow the batch's order (ORDER BY ord); deliveries already in the outbox are skipped.
        const inserted = await c.query<{ seq: Big; id: string }>(
          `INSERT INTO ledger_rm_deliveries
             (id, endpoint_id, app_id, profile_id, profile_sequence, event_type, payload, next_attempt_at, created_at, enqueued_at)
           SELECT id, endpoint_id, app_id, profile_id, profile_sequence, event_type, payload, due_at, due_at, $9
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[], $8::bigint[])
             WITH ORDINALITY AS d (id, endpoint_id, app_id, profile_id, profile_sequence, event_type, payload, due_at, ord)
           ORDER BY ord
           ON CONFLICT (id) DO NOTHING
           RETURNING seq, id`,
          [
            ds.map((d) => d.id),
            ds.map((d) => d.endpoint_id),
            ds.map((d) => d.app_id),
            ds.map((d) => d.profile_id),
            ds.map((d) => d.profile_sequence),
            ds.map((d) => d.event_type),
            ds.map((d) => d.payload),
            ds.map((d) => d.due_at),
            enqueuedAt,
          ],
        );
        const seqOf = new Map(inserted.rows.map((r): [string, number] => [r.id, Number(r.seq)]));
        for (const d of ds) {
          const seq = seqOf.get(d.id);
          if (seq === undefined) continue;
          seqOf.delete(d.id);
          enqueued.push({ seq, id: d.id, endpoint_id: d.endpoint_id, app_id: d.app_id, profile_id: d.profile_id, payload: d.payload, attempts: 0 });
        }
        enqueued.sort((a, b) => a.seq - b.seq);
      }
      await insertStopped(c, t, batch.stopped);
      if (this.live) {
        await c.query(
          `WITH moved AS (UPDATE ${t}checkpoint SET position = $1 WHERE id = 1 RETURNING position)
           SELECT pg_notify('${READ_MODELS_CHANNEL}', position::text) FROM moved`,
          [batch.to.toString()],
        );
      } else {
        await c.query(`UPDATE ${t}checkpoint SET position = $1 WHERE id = 1`, [batch.to.toString()]);
      }
      return { enqueued };
    });
  }

  async claim(seqs: number[], now: number, leaseUntil: number): Promise<number[]> {
    if (seqs.length === 0) return [];
    const granted = await inTransaction(this.pool, async (c) => {
      // Claims from every node take turns, so two nodes never each take one of a profile's deliveries to an endpoint.
      await c.query(`SELECT pg_advisory_xact_lock(${DELIVERY_CLAIM_LOCK})`);
      const { rows } = await c.query<{ seq: Big }>(CLAIM, [seqs, now, leaseUntil]);
      return new Set(rows.map((r) => Number(r.seq)));
    });
    return seqs.filter((seq) => granted.has(seq));
  }

  async recordAttempts(records: AttemptRecord[]): Promise<void> {
    if (records.length === 0) return;
    // A retry keeps the delivery pending with its next attempt; delivered clears the last error; the rest end it.
    await this.pool.query(
      `UPDATE ledger_rm_deliveries d SET
         status = CASE WHEN r.status = 'pending' THEN d.status ELSE r.status END,
         attempts = d.attempts + 1,
         last_status = r.response_status,
         last_error = CASE WHEN r.status = 'delivered' THEN NULL ELSE r.error END,
         last_response_excerpt = CASE WHEN r.status = 'delivered' THEN NULL ELSE r.excerpt END,
         last_attempt_at = r.attempted_at,
         delivered_at = CASE WHEN r.status = 'delivered' THEN r.attempted_at ELSE d.delivered_at END,
         next_attempt_at = CASE WHEN r.status = 'pending' THEN r.next_attempt_at ELSE d.next_attempt_at END,
         lease_until = NULL
       FROM unnest($1::bigint[], $2::text[], $3::integer[], $4::text[], $5::text[], $6::bigint[], $7::bigint[])
         AS r (seq, status, response_status, error, excerpt, attempted_at, next_attempt_at)
       WHERE d.seq = r.seq`,
      [
        records.map((r) => r.seq),
        records.map((r) => r.status),
        records.map((r) => r.response_status),
        // A subscriber's answer may hold anything.
        records.map((r) => (r.error === null ? null : message(r.error))),
        records.map((r) => (r.response_excerpt === null ? null : message(r.response_excerpt))),
        records.map((r) => r.attempted_at),
        records.map((r) => r.next_attempt_at),
      ],
    );
  }

  async release(seqs: number[]): Promise<void> {
    if (seqs.length === 0) return;
    await this.pool.query(`UPDATE ledger_rm_deliveries SET lease_until = NULL WHERE seq = ANY ($1::bigint[]) AND status = 'pending'`, [seqs]);
  }

  async redeliver(appId: string, deliveryId: string, now: number): Promise<DeliveryView | null> {
    if (!holdable(appId, deliveryId)) return null;
    await this.pool.query(
      `UPDATE ledger_rm_deliveries SET status = 'pending', attempts = 0, next_attempt_at = $1, lease_until = NULL
       WHERE app_id = $2 AND id = $3 AND status != 'pending'`,
      [now, appId, deliveryId],
    );
    const { rows } = await this.pool.query<DeliveryRow>(`SELECT ${DELIVERY_COLUMNS} FROM ledger_rm_deliveries WHERE app_id = $1 AND id = $2`, [appId, deliveryId]);
    return rows.length > 0 ? deliveryView(rows[0]) : null;
  }

  async close(): Promise<void> {
    if (this.ownsPool && !this.pool.ended) await this.pool.end();
  }
}

const R = {
  byId: { name: 'ledger_rm_profile_by_id', text: `${PROFILE_LOOKUP} WHERE p.profile_id = $1 AND p.app_id = $2` },
  byCustomer: { name: 'ledger_rm_profile_by_customer', text: `${PROFILE_LOOKUP} WHERE p.app_id = $1 AND p.customer_user_id = $2 LIMIT 1` },
  dueExpiries: {
    name: 'ledger_rm_due_expiries',
    text: 'SELECT profile_id, app_id, next_expiry_at AS due_at FROM ledger_rm_profiles WHERE next_expiry_at <= $1 ORDER BY next_expiry_at LIMIT $2',
  },
  due: {
    name: 'ledger_rm_due_deliveries',
    text: `
      SELECT d.seq, d.id, d.endpoint_id, d.app_id, d.profile_id, d.payload, d.attempts
      FROM ledger_rm_deliveries d
        JOIN ledger_rm_endpoints e ON e.id = d.endpoint_id AND (e.endpoint::json ->> 'enabled') = 'true'
      WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND (d.lease_until IS NULL OR d.lease_until < $1)
        AND NOT EXISTS (
          SELECT 1 FROM ledger_rm_deliveries p
          WHERE p.endpoint_id = d.endpoint_id AND p.profile_id = d.profile_id AND p.status = 'pending' AND p.seq < d.seq
            AND (p.attempts = 0 OR p.lease_until >= $1))
      ORDER BY d.seq LIMIT $2`,
  },
  list: {
    name: 'ledger_rm_deliveries_of_endpoint',
    text: `SELECT ${DELIVERY_COLUMNS} FROM ledger_rm_deliveries WHERE app_id = $1 AND endpoint_id = $2 ORDER BY seq DESC LIMIT $3`,
  },
  ofProfile: {
    name: 'ledger_rm_deliveries_of_profile',
    text: `SELECT ${DELIVERY_COLUMNS} FROM ledger_rm_deliveries WHERE app_id = $1 AND profile_id = $2 AND seq < $3 ORDER BY seq DESC LIMIT $4`,
  },
  // Both counts read partial indexes (pending, failed), never the delivered history.
  counts: {
    name: 'ledger_rm_outbox_counts',
    text: `SELECT (SELECT count(*) FROM ledger_rm_deliveries WHERE status = 'pending') AS pending,
                  (SELECT count(*) FROM ledger_rm_deliveries WHERE status = 'failed') AS failed`,
  },
};

/** Reads of the read models, on a pool of their own (a GET never waits for a projection commit). */
export class PostgresReadModelReader implements ReadModelReader {
  private constructor(
    private readonly pool: Pool,
    private readonly ownsPool: boolean,
  ) {}

  /** The writer creates the schema; open a reader after it. */
  static open(options: PostgresReadModelOptions): PostgresReadModelReader {
    const pool = createPostgresPool({ url: options.url, size: options.poolSize ?? 10, applicationName: 'subscription-ledger reads' });
    return new PostgresReadModelReader(pool, true);
  }

  static onPool(pool: Pool): PostgresReadModelReader {
    return new PostgresReadModelReader(pool, false);
  }

  checkpoint(): Promise<bigint> {
    return checkpointOf(this.pool);
  }

  async profileById(appId: string, profileId: string): Promise<StoredProfile | null> {
    if (!holdable(appId, profileId)) return null;
    return storedProfile((await this.pool.query<ProfileLookupRow>({ ...R.byId, values: [profileId, appId] })).rows[0]);
  }

  async profileByCustomer(appId: string, customerUserId: string): Promise<StoredProfile | null> {
    if (!holdable(appId, customerUserId)) return null;
    return storedProfile((await this.pool.query<ProfileLookupRow>({ ...R.byCustomer, values: [appId, customerUserId] })).rows[0]);
  }

  async dueExpiries(now: number, limit: number) {
    const { rows } = await this.pool.query<{ profile_id: string; app_id: string; due_at: Big }>({ ...R.dueExpiries, values: [now, limit] });
    return rows.map((r) => ({ profile_id: r.profile_id, app_id: r.app_id, due_at: Number(r.due_at) }));
  }

  async dueDeliveries(now: number, limit: number): Promise<ReadyDelivery[]> {
    return (await this.pool.query<ReadyRow>({ ...R.due, values: [now, limit] })).rows.map(readyDelivery);
  }

  async endpoint(id: string): Promise<WebhookEndpoint | null> {
    if (!holdable(id)) return null;
    const { rows } = await this.pool.query<{ endpoint: string }>({ ...Q.endpoint, values: [id] });
    return rows.length === 0 ? null : (JSON.parse(rows[0].endpoint) as WebhookEndpoint);
  }

  async deliveries(appId: string, endpointId: string, limit: number): Promise<DeliveryView[]> {
    if (!holdable(appId, endpointId)) return [];
    return (await this.pool.query<DeliveryRow>({ ...R.list, values: [appId, endpointId, limit] })).rows.map(deliveryView);
  }

  async profileDeliveries(appId: string, profileId: string, limit: number, beforeSeq: number | null) {
    if (!holdable(appId, profileId)) return { data: [], nextBeforeSeq: null };
    const { rows } = await this.pool.query<DeliveryRow>({ ...R.ofProfile, values: [appId, profileId, beforeSeq ?? Number.MAX_SAFE_INTEGER, limit + 1] });
    const page = rows.slice(0, limit);
    return { data: page.map(deliveryView), nextBeforeSeq: rows.length > limit ? Number(page[page.length - 1].seq) : null };
  }

  stoppedStreams(): Promise<StreamFailure[]> {
    return stoppedOf(this.pool);
  }

  async outboxCounts(): Promise<{ pending: number; failed: number }> {
    const { rows } = await this.pool.query<{ pending: Big; failed: Big }>(R.counts);
    return { pending: Number(rows[0].pending), failed: Number(rows[0].failed) };
  }

  async close(): Promise<void> {
    if (this.ownsPool && !this.pool.ended) await this.pool.end();
  }
}
