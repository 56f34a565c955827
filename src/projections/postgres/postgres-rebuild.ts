import { Pool, PoolClient } from 'pg';
import { EventStore, RecordedEvent } from '../../event-store/event-store.port';
import { REBUILD_LOCK } from '../../postgres/advisory-locks';
import { READ_MODELS_CHANNEL, REBUILT } from '../../postgres/notify-channels';
import { TableRows } from '../rebuild/compare-rows';
import { RebuildProgress } from '../rebuild/rebuild-progress';
import { foldStream, RebuildSink } from '../rebuild/stream-folder';
import { ProfileRow, StreamFailure } from '../read-model-store.port';
import { WebhookEndpoint } from '../../domain/webhooks/webhook-endpoint';
import { derivedTables, inTransaction, LIVE, PG_DERIVED_TABLES } from './postgres-read-model-schema';
import { insertStopped, PostgresReadModelWriter, upsertEndpoints, upsertProfiles } from './postgres-read-models';

const SCAN_BATCH = 20_000;
/** Rows written per transaction of a scan (each also records the last stream it holds, to resume after). */
const ROWS_PER_TRANSACTION = 5_000;
/** No delivery is ever enqueued into a scratch copy: its outbox horizon is past any position. */
const NEVER = '9223372036854775807';

/**
 * Runs `work` while this process holds the database's rebuild lock (a session lock on a connection
 * held meanwhile): one `ledger rebuild` or `ledger verify` at a time, so two never write the same
 * scratch tables. Released when the work ends, or by the server if the process dies.
 */
export async function withRebuildLock<T>(pool: Pool, work: () => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let locked = false;
  try {
    locked = (await client.query<{ ok: boolean }>(`SELECT pg_try_advisory_lock(${REBUILD_LOCK}) AS ok`)).rows[0].ok;
    if (!locked) throw new Error('another `ledger rebuild` or `ledger verify` is running on this database; try again when it has finished');
    return await work();
  } finally {
    if (locked) await client.query(`SELECT pg_advisory_unlock(${REBUILD_LOCK})`).catch(() => undefined);
    client.release();
  }
}

/**
 * A scratch copy of the derived read models in tables beside the live ones (`<prefix>profiles`, …),
 * built by a scan of the log by stream: each stream is folded once, in memory, and its rows written
 * in large set-based transactions (no webhook payloads). Its progress (the target position and the
 * last stream written) lives in its own meta table, so an interrupted rebuild continues where it
 * stopped. Callers hold the rebuild lock.
 */
export class PostgresScratch {
  private constructor(
    private readonly pool: Pool,
    readonly prefix: string,
  ) {}

  static async open(pool: Pool, prefix: string): Promise<PostgresScratch> {
    await inTransaction(pool, async (c) => {
      await c.query(derivedTables(prefix));
      await c.query(`CREATE TABLE IF NOT EXISTS ${prefix}meta (key text PRIMARY KEY, value text NOT NULL)`);
      await c.query(`CREATE TABLE IF NOT EXISTS ${prefix}erased (profile_id text PRIMARY KEY)`);
      await c.query(`INSERT INTO ${prefix}meta (key, value) VALUES ('outbox_from', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [NEVER]);
    });
    return new PostgresScratch(pool, prefix);
  }

  /** A projector's writer of these tables (to bring the copy up to a later position). */
  writer(): PostgresReadModelWriter {
    return PostgresReadModelWriter.scratch(this.pool, this.prefix);
  }

  async checkpoint(): Promise<bigint> {
    return this.writer().checkpoint();
  }

  private async meta(key: string): Promise<string | null> {
    const { rows } = await this.pool.query<{ value: string }>(`SELECT value FROM ${this.prefix}meta WHERE key = $1`, [key]);
    return rows[0]?.value ?? null;
  }

  private async setMeta(c: PoolClient | Pool, key: string, value: string): Promise<void> {
    await c.query(`INSERT INTO ${this.prefix}meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [key, value]);
  }

  /** Folds every stream up to `upTo` (or the target an interrupted scan was given), then sets the checkpoint there. */
  async scan(store: EventStore, upTo: bigint, progress: RebuildProgress): Promise<number> {
    if ((await this.checkpoint()) >= 0n) return 0;
    if (!store.scanByStream) throw new Error('this event store cannot scan by stream');
    const target = BigInt((await this.meta('scan_up_to')) ?? String(upTo));
    await this.setMeta(this.pool, 'scan_up_to', String(target));
    const resumeAfter = await this.meta('scan_after_stream');
    progress.start(target);
    const erased = new Set((await this.pool.query<{ profile_id: string }>(`SELECT profile_id FROM ${this.prefix}erased`)).rows.map((r) => r.profile_id));
    let rows = { profiles: [] as ProfileRow[], endpoints: [] as Array<{ app_id: string; endpoint: WebhookEndpoint }>, stopped: [] as StreamFailure[], erased: [] as string[] };
    let buffered = 0;
    const sink: RebuildSink = {
      profile: (r) => rows.profiles.push(r),
      endpoint: (appId, endpoint) => rows.endpoints.push({ app_id: appId, endpoint }),
      stopped: (f) => rows.stopped.push(f),
      erased: (id) => {
        erased.add(id);
        rows.erased.push(id);
      },
      isErased: (id) => erased.has(id),
    };
    const t = this.prefix;
    /** Writes what the streams folded so far derived, and that the scan is past `lastStream`; at the end, the checkpoint too. */
    const flush = async (lastStream: string | null, done: boolean) => {
      const written = rows;
      rows = { profiles: [], endpoints: [], stopped: [], erased: [] };
      buffered = 0;
      await inTransaction(this.pool, async (c) => {
        await upsertProfiles(c, t, written.profiles);
        await upsertEndpoints(c, t, written.endpoints);
        await insertStopped(c, t, written.stopped);
        if (written.erased.length > 0) await c.query(`INSERT INTO ${t}erased SELECT unnest($1::text[]) ON CONFLICT DO NOTHING`, [written.erased]);
        if (lastStream !== null) await this.setMeta(c, 'scan_after_stream', lastStream);
        if (done) await c.query(`UPDATE ${t}checkpoint SET position = $1 WHERE id = 1`, [target.toString()]);
      });
    };
    let events = 0;
    let pending: RecordedEvent[] = [];
    let lastStream: string | null = null;
    const fold = () => {
      if (pending.length === 0) return;
      foldStream(pending[0].streamId, pending, sink);
      lastStream = pending[0].streamId;
      buffered++;
      pending = [];
    };
    for await (const batch of store.scanByStream({ upTo: target, batch: SCAN_BATCH, afterStream: resumeAfter ?? undefined })) {
      for (const e of batch) {
        if (pending.length > 0 && pending[0].streamId !== e.streamId) {
          fold();
          if (buffered >= ROWS_PER_TRANSACTION) await flush(lastStream, false);
        }
        pending.push(e);
      }
      events += batch.length;
      progress.update(events);
    }
    fold();
    await flush(lastStream, true);
    return events;
  }

  async drop(): Promise<void> {
    const tables = [...PG_DERIVED_TABLES.map((d) => d.table), 'checkpoint', 'meta', 'erased'].map((name) => `${this.prefix}${name}`);
    await this.pool.query(`DROP TABLE IF EXISTS ${tables.join(', ')}`);
  }
}

/**
 * Replaces the live derived tables with the scratch copy's in one transaction, if both stand at the
 * same position (else the caller brings them level and tries again). The outbox is not touched.
 * Readers keep the old rows until the commit; projectors of every node wait on the checkpoint row,
 * and a batch they computed from the old tables is refused (the generation moved). Every node is
 * told (NOTIFY REBUILT) to drop what it cached.
 */
export async function swapIn(pool: Pool, scratch: PostgresScratch): Promise<boolean> {
  return inTransaction(pool, async (c) => {
    const at = async (prefix: string, lock: string) =>
      (await c.query<{ position: string }>(`SELECT position FROM ${prefix}checkpoint WHERE id = 1 ${lock}`)).rows[0].position;
    if ((await at(LIVE, 'FOR UPDATE')) !== (await at(scratch.prefix, ''))) return false;
    for (const { table } of PG_DERIVED_TABLES) {
      await c.query(`DELETE FROM ${LIVE}${table}`);
      await c.query(`INSERT INTO ${LIVE}${table} SELECT * FROM ${scratch.prefix}${table}`);
    }
    await c.query(`UPDATE ${LIVE}checkpoint SET generation = generation + 1 WHERE id = 1`);
    await c.query(`SELECT pg_notify('${READ_MODELS_CHANNEL}', '${REBUILT}')`);
    return true;
  });
}

/** The derived tables under `prefix`, row by row by key (read on `c`: a caller's snapshot). */
export async function derivedRows(c: PoolClient | Pool, prefix: string): Promise<Map<string, Map<string, Map<string, unknown>>>> {
  const out = new Map<string, Map<string, Map<string, unknown>>>();
  for (const { table, key } of PG_DERIVED_TABLES) {
    const { rows } = await c.query<Record<string, unknown>>(`SELECT * FROM ${prefix}${table}`);
    out.set(table, new Map(rows.map((r) => new Map(Object.entries(r))).map((r) => [String(r.get(key)), r])));
  }
  return out;
}

/** Live and rebuilt rows side by side, for compareRows. */
export const sideBySide = (live: Map<string, Map<string, Map<string, unknown>>>, rebuilt: typeof live): TableRows[] =>
  PG_DERIVED_TABLES.map(({ table }) => ({ table, live: live.get(table) ?? new Map(), rebuilt: rebuilt.get(table) ?? new Map() }));
