import type Database from 'better-sqlite3';
import { EventStore, RecordedEvent } from '../../event-store/event-store.port';
import { openSqlite } from '../../sqlite/open-sqlite';
import { compareRows, Difference } from '../rebuild/compare-rows';
import { RebuildProgress } from '../rebuild/rebuild-progress';
import { foldStream, RebuildSink } from '../rebuild/stream-folder';
import { DERIVED_TABLES, ensureReadModelSchema } from './sqlite-read-model-schema';


const SCAN_BATCH = 20_000;
const ROWS_PER_TRANSACTION = 5_000;
/** No delivery is ever enqueued into a scratch copy: its outbox horizon is past any position. */
const NEVER = '9223372036854775807';

/**
 * A scratch copy of the read models being built by a scan of the log by stream: each stream is
 * folded once, in memory, and written as one row (large transactions, no webhook payloads). Its
 * progress (the target position and the last stream written) lives in the copy, so an interrupted
 * rebuild continues where it stopped.
 */
export class SqliteScratch {
  readonly db: Database.Database;
  private readonly s: ReturnType<SqliteScratch['prepare']>;

  constructor(readonly path: string) {
    this.db = openSqlite(path, { synchronous: 'OFF' });
    ensureReadModelSchema(this.db);
    this.db.exec('CREATE TABLE IF NOT EXISTS rebuild_erased (profile_id TEXT PRIMARY KEY) WITHOUT ROWID');
    this.db.prepare(`INSERT INTO read_model_meta (key, value) VALUES ('outbox_from', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`).run(NEVER);
    this.s = this.prepare();
  }

  private prepare() {
    const db = this.db;
    return {
      meta: db.prepare<[string], string>('SELECT value FROM read_model_meta WHERE key = ?').pluck(),
      setMeta: db.prepare('INSERT INTO read_model_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'),
      profile: db.prepare(
        `INSERT INTO profiles (profile_id, app_id, customer_user_id, revision, view, next_expiry_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(profile_id) DO UPDATE SET app_id = excluded.app_id, customer_user_id = excluded.customer_user_id,
           revision = excluded.revision, view = excluded.view, next_expiry_at = excluded.next_expiry_at`,
      ),
      endpoint: db.prepare('INSERT INTO webhook_endpoints (id, app_id, endpoint) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET endpoint = excluded.endpoint'),
      stopped: db.prepare('INSERT INTO stopped_streams (stream_id, position, event_type, error) VALUES (?, ?, ?, ?) ON CONFLICT(stream_id) DO NOTHING'),
      erased: db.prepare('INSERT OR IGNORE INTO rebuild_erased (profile_id) VALUES (?)'),
      isErased: db.prepare<[string], number>('SELECT 1 FROM rebuild_erased WHERE profile_id = ?').pluck(),
      checkpoint: db.prepare<[], number>('SELECT position FROM checkpoint WHERE id = 1').pluck(),
      setCheckpoint: db.prepare('UPDATE checkpoint SET position = ? WHERE id = 1'),
    };
  }

  get checkpoint(): bigint {
    return BigInt(this.s.checkpoint.get()!);
  }

  /** Folds every stream up to `upTo` (or the target an interrupted scan was given), then sets the checkpoint there. */
  async scan(store: EventStore, upTo: bigint, progress: RebuildProgress): Promise<number> {
    if (this.checkpoint >= 0n) return 0;
    const target = BigInt(this.s.meta.get('scan_up_to') ?? String(upTo));
    this.s.setMeta.run('scan_up_to', String(target));
    const resumeAfter = this.s.meta.get('scan_after_stream') ?? null;
    progress.start(target);
    const sink: RebuildSink = {
      profile: (r) => this.s.profile.run(r.profile_id, r.app_id, r.customer_user_id, r.revision, JSON.stringify(r.view), r.next_expiry_at),
      endpoint: (appId, e) => this.s.endpoint.run(e.id, appId, JSON.stringify(e)),
      stopped: (f) => this.s.stopped.run(f.stream_id, f.position, f.event_type, f.error),
      erased: (id) => this.s.erased.run(id),
      isErased: (id) => this.s.isErased.get(id) !== undefined,
    };
    let events = 0;
    let pending: RecordedEvent[] = [];
    let written = 0;
    this.db.exec('BEGIN');
    const flushStream = () => {
      if (pending.length === 0) return;
      foldStream(pending[0].streamId, pending, sink);
      this.s.setMeta.run('scan_after_stream', pending[0].streamId);
      pending = [];
      if (++written % ROWS_PER_TRANSACTION === 0) this.db.exec('COMMIT; BEGIN');
    };
    try {
      if (!store.scanByStream) throw new Error('this event store cannot scan by stream');
      for await (const batch of store.scanByStream({ upTo: target, batch: SCAN_BATCH, afterStream: resumeAfter ?? undefined })) {
        for (const e of batch) {
          if (pending.length > 0 && pending[0].streamId !== e.streamId) flushStream();
          pending.push(e);
        }
        events += batch.length;
        progress.update(events);
      }
      flushStream();
      this.s.setCheckpoint.run(target);
      this.db.exec('COMMIT');
    } catch (error) {
      if (this.db.inTransaction) this.db.exec('COMMIT');
      throw error;
    }
    return events;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}


/**
 * Replaces the live derived tables with the scratch copy's in one transaction, if both stand at the
 * same position (else the caller brings them level and tries again). The outbox is not touched.
 */
export function swapIn(live: Database.Database, scratchPath: string): boolean {
  live.prepare('ATTACH DATABASE ? AS rebuilt').run(scratchPath);
  try {
    return live
      .transaction(() => {
        const at = (schema: string) => live.prepare<[], number>(`SELECT position FROM ${schema}.checkpoint WHERE id = 1`).pluck().get();
        if (at('main') !== at('rebuilt')) return false;
        for (const { table } of DERIVED_TABLES) {
          // A row id (INTEGER PRIMARY KEY) is storage detail; a key that is data (webhook_endpoints.id) is copied.
          const columns = live
            .prepare<[], string>(`SELECT name FROM pragma_table_info('${table}') WHERE NOT (pk = 1 AND upper(type) = 'INTEGER')`)
            .pluck()
            .all()
            .join(', ');
          live.exec(`DELETE FROM main.${table}; INSERT INTO main.${table} (${columns}) SELECT ${columns} FROM rebuilt.${table};`);
        }
        return true;
      })
      .immediate();
  } finally {
    live.exec('DETACH DATABASE rebuilt');
  }
}

function rowsByKey(db: Database.Database, table: string, key: string): Map<string, Map<string, unknown>> {
  const rows = db.prepare(`SELECT * FROM ${table}`).all() as object[];
  return new Map(rows.map((r) => new Map(Object.entries(r))).map((r) => [String(r.get(key)), r]));
}

/** Row-by-row differences of the derived tables (JSON compared by value; row ids are storage detail). */
export function compareDerived(live: Database.Database, rebuilt: Database.Database, max: number): Difference[] {
  return compareRows(
    DERIVED_TABLES.map(({ table, key }) => ({ table, live: rowsByKey(live, table, key), rebuilt: rowsByKey(rebuilt, table, key) })),
    max,
  );
}
