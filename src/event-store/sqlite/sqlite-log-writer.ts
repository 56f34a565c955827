import type Database from 'better-sqlite3';
import { expectationMet, ExpectedRevision } from '../event-store.port';
import { LOG_SCHEMA } from './sqlite-log';

export interface AppendRequest {
  streamId: string;
  events: Array<{ eventId: string; type: string; data: unknown; metadata?: unknown }>;
  expected: ExpectedRevision;
  recordedAt: number;
}

/** What one append came to; errors travel as data (this runs in the writer thread). */
export type AppendOutcome =
  | { ok: true; nextExpectedRevision: bigint; position: bigint }
  | { ok: false; error: 'wrong_expected_revision'; streamId: string; expected: ExpectedRevision; actual: bigint | 'no_stream' }
  | { ok: false; error: 'stream_deleted'; streamId: string }
  | { ok: false; error: 'duplicate_event_id'; eventId: string };

/**
 * The write side of the embedded log. Appends handed over together are committed in one transaction
 * (group commit: one fsync for many commands); each is checked on its own inside it — expected
 * revision, tombstone, event ids — so one refused append never fails another, and the checks hold
 * between processes sharing the file (they run under SQLite's write lock).
 */
export class SqliteLogWriter {
  private readonly s: ReturnType<SqliteLogWriter['prepare']>;

  constructor(private readonly db: Database.Database) {
    db.exec(LOG_SCHEMA);
    this.s = this.prepare();
  }

  private prepare() {
    const db = this.db;
    return {
      stream: db.prepare<[string], { revision: number; deleted: number }>('SELECT revision, deleted FROM streams WHERE stream_id = ?'),
      upsertStream: db.prepare(
        'INSERT INTO streams (stream_id, revision) VALUES (?, ?) ON CONFLICT(stream_id) DO UPDATE SET revision = excluded.revision',
      ),
      eventIdTaken: db.prepare<[string], number>('SELECT 1 FROM events WHERE event_id = ?').pluck(),
      insert: db.prepare(
        'INSERT INTO events (event_id, stream_id, revision, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      deleteEvents: db.prepare('DELETE FROM events WHERE stream_id = ?'),
      tombstone: db.prepare(
        'INSERT INTO streams (stream_id, revision, deleted) VALUES (?, -1, 1) ON CONFLICT(stream_id) DO UPDATE SET deleted = 1',
      ),
      begin: db.prepare('BEGIN IMMEDIATE'),
      commit: db.prepare('COMMIT'),
      rollback: db.prepare('ROLLBACK'),
    };
  }

  /** Commits every append that passes its checks, in one transaction; a storage error fails them all. */
  appendAll(requests: AppendRequest[]): AppendOutcome[] {
    this.s.begin.run();
    try {
      const outcomes = requests.map((r) => this.appendOne(r));
      this.s.commit.run();
      return outcomes;
    } catch (error) {
      if (this.db.inTransaction) this.s.rollback.run();
      throw error;
    }
  }

  private appendOne(r: AppendRequest): AppendOutcome {
    const row = this.s.stream.get(r.streamId);
    if (row?.deleted) return { ok: false, error: 'stream_deleted', streamId: r.streamId };
    const current = row ? BigInt(row.revision) : undefined;
    if (!expectationMet(r.expected, current)) {
      return { ok: false, error: 'wrong_expected_revision', streamId: r.streamId, expected: r.expected, actual: current ?? 'no_stream' };
    }
    const ids = new Set<string>();
    for (const e of r.events) {
      if (ids.has(e.eventId) || this.s.eventIdTaken.get(e.eventId) !== undefined) return { ok: false, error: 'duplicate_event_id', eventId: e.eventId };
      ids.add(e.eventId);
    }
    let revision = current === undefined ? -1 : Number(current);
    let position = 0;
    for (const e of r.events) {
      revision += 1;
      const info = this.s.insert.run(e.eventId, r.streamId, revision, e.type, JSON.stringify(e.data), JSON.stringify(e.metadata ?? {}), r.recordedAt);
      position = Number(info.lastInsertRowid);
    }
    this.s.upsertStream.run(r.streamId, revision);
    return { ok: true, nextExpectedRevision: BigInt(revision), position: BigInt(position) };
  }

  /** Hard delete: the events go, a tombstone stays (also for a stream that never existed). */
  deleteStream(streamId: string): void {
    this.db.transaction(() => {
      this.s.deleteEvents.run(streamId);
      this.s.tombstone.run(streamId);
    }).immediate();
  }
}
