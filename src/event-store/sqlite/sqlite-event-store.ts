import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  AppendResult,
  EventStore,
  EventToAppend,
  ExpectedRevision,
  ReadAllOptions,
  RecordedEvent,
  StreamDeletedError,
  WrongExpectedRevisionError,
} from '../event-store.port';

export type SqliteSynchronous = 'FULL' | 'NORMAL';

export interface SqliteEventStoreOptions {
  path: string;
  /** FULL (default): a commit survives power loss. NORMAL: survives a process crash only. */
  synchronous?: SqliteSynchronous;
  /** After each group commit: how many appends it held and how long its COMMIT (the fsync) took. */
  onCommit?: (appends: number, commitSeconds: number) => void;
}

interface PendingAppend {
  streamId: string;
  events: EventToAppend[];
  expected: ExpectedRevision;
  resolve: (r: AppendResult) => void;
  reject: (e: unknown) => void;
}

interface EventRow {
  position: number;
  event_id: string;
  stream_id: string;
  revision: number;
  type: string;
  data: string;
  metadata: string;
  recorded_at: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  position    INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id    TEXT    NOT NULL UNIQUE,
  stream_id   TEXT    NOT NULL,
  revision    INTEGER NOT NULL,
  type        TEXT    NOT NULL,
  data        TEXT    NOT NULL,
  metadata    TEXT    NOT NULL,
  recorded_at INTEGER NOT NULL,
  UNIQUE (stream_id, revision)
);
CREATE TABLE IF NOT EXISTS streams (
  stream_id TEXT PRIMARY KEY,
  revision  INTEGER NOT NULL,
  deleted   INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
`;

export function openSqlite(path: string, synchronous: SqliteSynchronous): Database.Database {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  // Several processes may share the file; writers wait for each other instead of failing.
  db.pragma('busy_timeout = 10000');
  return db;
}

/**
 * Embedded event store. Appends issued in the same event-loop turn are committed in one
 * transaction (group commit): one fsync for many commands, without weakening durability.
 * Optimistic concurrency is checked inside the write transaction, so it also holds
 * between processes sharing the file.
 */
export class SqliteEventStore implements EventStore {
  private readonly db: Database.Database;
  private queue: PendingAppend[] = [];
  private flushScheduled = false;
  private closed = false;
  private knownHead: bigint | null = null;
  private knownVersion = -1;
  /** Upper bound of each stream's last revision, valid while data_version is `tailsVersion`. */
  private readonly tails = new Map<string, number>();
  private tailsVersion = -1;
  private readonly stmt: ReturnType<SqliteEventStore['prepare']>;
  private readonly onCommit: SqliteEventStoreOptions['onCommit'];

  constructor(options: SqliteEventStoreOptions) {
    this.onCommit = options.onCommit;
    this.db = openSqlite(options.path, options.synchronous ?? 'FULL');
    this.db.exec(SCHEMA);
    this.stmt = this.prepare();
  }

  private prepare() {
    const db = this.db;
    return {
      stream: db.prepare<[string], { revision: number; deleted: number }>(
        'SELECT revision, deleted FROM streams WHERE stream_id = ?',
      ),
      upsertStream: db.prepare('INSERT INTO streams (stream_id, revision) VALUES (?, ?) ON CONFLICT(stream_id) DO UPDATE SET revision = excluded.revision'),
      insert: db.prepare(
        'INSERT INTO events (event_id, stream_id, revision, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      readStream: db.prepare<[string, number, number], EventRow>(
        'SELECT * FROM events WHERE stream_id = ? AND revision >= ? ORDER BY revision LIMIT ?',
      ),
      readAll: db.prepare<[number, number], EventRow>('SELECT * FROM events WHERE position > ? ORDER BY position LIMIT ?'),
      head: db.prepare<[], { p: number | null }>('SELECT MAX(position) AS p FROM events'),
      dataVersion: db.prepare<[], number>('PRAGMA data_version').pluck(),
      deleteEvents: db.prepare('DELETE FROM events WHERE stream_id = ?'),
      tombstone: db.prepare(
        'INSERT INTO streams (stream_id, revision, deleted) VALUES (?, -1, 1) ON CONFLICT(stream_id) DO UPDATE SET deleted = 1',
      ),
      begin: db.prepare('BEGIN IMMEDIATE'),
      commit: db.prepare('COMMIT'),
      rollback: db.prepare('ROLLBACK'),
    };
  }

  append(streamId: string, events: EventToAppend[], expected: ExpectedRevision): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new Error('event store is closed'));
    if (events.length === 0) return Promise.reject(new Error('append needs at least one event'));
    return new Promise((resolve, reject) => {
      this.queue.push({ streamId, events, expected, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    const outcomes: Array<{ ok: true; value: AppendResult } | { ok: false; error: unknown }> = [];
    try {
      this.stmt.begin.run();
      try {
        for (const pending of batch) outcomes.push(this.tryAppend(pending));
        const started = this.onCommit ? process.hrtime.bigint() : 0n;
        this.stmt.commit.run();
        if (this.onCommit) this.onCommit(batch.length, Number(process.hrtime.bigint() - started) / 1e9);
      } catch (error) {
        if (this.db.inTransaction) this.stmt.rollback.run();
        // Tails noted during the rolled-back appends never happened.
        this.tails.clear();
        throw error;
      }
    } catch (error) {
      for (const pending of batch) pending.reject(error);
      return;
    }
    for (const outcome of outcomes) {
      if (outcome.ok && this.knownHead !== null && outcome.value.position > this.knownHead) this.knownHead = outcome.value.position;
    }
    batch.forEach((pending, i) => {
      const outcome = outcomes[i];
      if (outcome.ok) pending.resolve(outcome.value);
      else pending.reject(outcome.error);
    });
  }

  private tryAppend(p: PendingAppend): { ok: true; value: AppendResult } | { ok: false; error: unknown } {
    const row = this.stmt.stream.get(p.streamId);
    if (row?.deleted) return { ok: false, error: new StreamDeletedError(p.streamId) };
    const current = row ? BigInt(row.revision) : undefined;
    const mismatch =
      (p.expected === 'no_stream' && current !== undefined) ||
      (typeof p.expected === 'bigint' && current !== p.expected);
    if (mismatch) {
      return { ok: false, error: new WrongExpectedRevisionError(p.streamId, p.expected, current ?? 'no_stream') };
    }
    let revision = current === undefined ? -1 : Number(current);
    let position = 0;
    const now = Date.now();
    for (const e of p.events) {
      revision += 1;
      const info = this.stmt.insert.run(
        randomUUID(),
        p.streamId,
        revision,
        e.type,
        JSON.stringify(e.data),
        JSON.stringify(e.metadata ?? {}),
        now,
      );
      position = Number(info.lastInsertRowid);
    }
    this.stmt.upsertStream.run(p.streamId, revision);
    this.tails.set(p.streamId, revision);
    return { ok: true, value: { nextExpectedRevision: BigInt(revision), position: BigInt(position) } };
  }

  /**
   * Commands read each stream's tail before deciding (the profile, the catalogue, a reservation),
   * and most tails are empty. While no other connection has committed (data_version), a stream
   * whose last revision is known to be below `fromRevision` is answered without a query.
   */
  async readStream(streamId: string, fromRevision: bigint = 0n, maxCount = -1): Promise<RecordedEvent[]> {
    this.syncTailCache();
    const from = Number(fromRevision);
    const known = this.tails.get(streamId);
    if (known !== undefined && known < from) return [];
    // SQLite reads LIMIT -1 as no limit.
    const rows = this.stmt.readStream.all(streamId, from, maxCount);
    if (maxCount < 0 || rows.length < maxCount) this.tails.set(streamId, rows.length ? rows[rows.length - 1].revision : from - 1);
    return rows.map(toRecorded);
  }

  private syncTailCache(): void {
    const version = this.stmt.dataVersion.get()!;
    if (version !== this.tailsVersion || this.tails.size > 100_000) {
      this.tails.clear();
      this.tailsVersion = version;
    }
  }

  async readAll(options: ReadAllOptions): Promise<RecordedEvent[]> {
    const after = options.after === undefined ? 0 : Number(options.after);
    return this.stmt.readAll.all(after, options.maxCount).map(toRecorded);
  }

  /**
   * Every GET asks this, so it is answered from memory while no other connection has committed
   * (SQLite's data_version says so) — this connection's own appends keep the value current.
   */
  async headPosition(): Promise<bigint> {
    const version = this.stmt.dataVersion.get()!;
    if (this.knownHead !== null && version === this.knownVersion) return this.knownHead;
    const p = this.stmt.head.get()?.p;
    this.knownVersion = version;
    this.knownHead = p === null || p === undefined ? -1n : BigInt(p);
    return this.knownHead;
  }

  async deleteStream(streamId: string): Promise<void> {
    this.knownHead = null;
    this.tails.set(streamId, -1);
    this.db.transaction(() => {
      this.stmt.deleteEvents.run(streamId);
      this.stmt.tombstone.run(streamId);
    }).immediate();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.queue.length) this.flush();
    this.db.close();
  }
}

function toRecorded(r: EventRow): RecordedEvent {
  return {
    eventId: r.event_id,
    streamId: r.stream_id,
    revision: BigInt(r.revision),
    position: BigInt(r.position),
    type: r.type,
    data: JSON.parse(r.data),
    metadata: JSON.parse(r.metadata),
    recordedAt: new Date(r.recorded_at),
  };
}
