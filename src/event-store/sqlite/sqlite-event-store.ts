import Database from 'better-sqlite3';
import { once } from 'node:events';
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../../shared/worker-thread';
import { openSqlite, SqliteSynchronous } from '../../sqlite/open-sqlite';
import {
  AppendOptions,
  AppendResult,
  DuplicateEventIdError,
  EventStore,
  EventToAppend,
  ReadAllOptions,
  RecordedEvent,
  ScanOptions,
  StreamDeletedError,
  WrongExpectedRevisionError,
} from '../event-store.port';
import type { AppendOutcome } from './sqlite-log-writer';
import { EventRow, LOG_SCHEMA, logReads, toRecorded } from './sqlite-log';
import type { WriterReply, WriterRequest } from './sqlite-writer.worker';

export interface SqliteEventStoreOptions {
  path: string;
  /** FULL (default): a commit survives power loss. NORMAL: survives a process crash only. */
  synchronous?: SqliteSynchronous;
  /** Reads only: no writer thread (command-line tools, projector threads). */
  readOnly?: boolean;
  /** Told after every group commit (metrics): how many appends it held and how long the commit took. */
  onGroupCommit?: (appends: number, commitMs: number) => void;
}

interface Pending {
  resolve: (value: AppendResult | void) => void;
  reject: (error: unknown) => void;
}

function errorOf(outcome: Exclude<AppendOutcome, { ok: true }>): Error {
  switch (outcome.error) {
    case 'wrong_expected_revision':
      return new WrongExpectedRevisionError(outcome.streamId, outcome.expected, outcome.actual);
    case 'stream_deleted':
      return new StreamDeletedError(outcome.streamId);
    case 'duplicate_event_id':
      return new DuplicateEventIdError(outcome.eventId);
  }
}

/**
 * Embedded event store. Writes go to a writer thread that owns the write connection (group commit
 * and fsync off the event loop: a 2xx is on disk, yet no request waits for another's fsync to be
 * parsed); reads run here on a connection of their own, which sees every commit once it is acked.
 */
export class SqliteEventStore implements EventStore {
  private readonly reads: ReturnType<typeof logReads>;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  private constructor(
    private readonly options: SqliteEventStoreOptions,
    private readonly db: Database.Database,
    private readonly writer: Worker | null,
  ) {
    this.reads = logReads(db);
    writer?.on('message', (reply: WriterReply) => this.onReply(reply));
    writer?.on('error', (error) => this.failAll(error));
  }

  static async open(options: SqliteEventStoreOptions): Promise<SqliteEventStore> {
    let writer: Worker | null = null;
    if (!options.readOnly) {
      writer = startWorker(__dirname, 'sqlite-writer.worker', { path: options.path, synchronous: options.synchronous ?? 'FULL' });
      // The writer creates the file and its schema first; this connection then only reads.
      const [reply] = (await Promise.race([once(writer, 'message'), once(writer, 'error').then(([e]) => Promise.reject(e))])) as [WriterReply];
      if (reply.kind !== 'ready') throw new Error(`event store writer did not start: ${JSON.stringify(reply)}`);
    }
    const db = openSqlite(options.path, { synchronous: options.synchronous ?? 'FULL', readonly: options.readOnly });
    if (!options.readOnly) db.exec(LOG_SCHEMA);
    return new SqliteEventStore(options, db, writer);
  }

  private request(message: WriterRequest & { id: number }): Promise<AppendResult | void> {
    if (this.closed || !this.writer) return Promise.reject(new Error(this.closed ? 'event store is closed' : 'event store is read-only'));
    return new Promise((resolve, reject) => {
      this.pending.set(message.id, { resolve, reject });
      this.writer!.postMessage(message);
    });
  }

  private onReply(reply: WriterReply): void {
    switch (reply.kind) {
      case 'appended':
        this.options.onGroupCommit?.(reply.batch, reply.commitMs);
        reply.ids.forEach((id, i) => {
          const outcome = reply.outcomes[i];
          const waiter = this.pending.get(id);
          this.pending.delete(id);
          if (!waiter) return;
          if (outcome.ok) waiter.resolve({ nextExpectedRevision: outcome.nextExpectedRevision, position: outcome.position });
          else waiter.reject(errorOf(outcome));
        });
        return;
      case 'deleted': {
        const waiter = this.pending.get(reply.id);
        this.pending.delete(reply.id);
        waiter?.resolve();
        return;
      }
      case 'failed':
        for (const id of reply.ids) {
          this.pending.get(id)?.reject(new Error(`event store write failed: ${reply.message}`));
          this.pending.delete(id);
        }
        return;
      default:
        return;
    }
  }

  private failAll(error: unknown): void {
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }

  async append(streamId: string, events: EventToAppend[], options: AppendOptions): Promise<AppendResult> {
    if (events.length === 0) throw new Error('append needs at least one event');
    const request = { streamId, events, expected: options.expected, recordedAt: options.recordedAt.getTime() };
    return (await this.request({ kind: 'append', id: this.nextId++, request })) as AppendResult;
  }

  async deleteStream(streamId: string): Promise<void> {
    await this.request({ kind: 'delete', id: this.nextId++, streamId });
  }

  async readStream(streamId: string, fromRevision: bigint = 0n, maxCount = -1): Promise<RecordedEvent[]> {
    const rows = maxCount < 0 ? this.reads.readStream.all(streamId, Number(fromRevision)) : this.reads.readStreamPage.all(streamId, Number(fromRevision), maxCount);
    return rows.map(toRecorded);
  }

  async readAll(options: ReadAllOptions): Promise<RecordedEvent[]> {
    const after = options.after === undefined ? 0 : Number(options.after);
    return this.reads.readAll.all(after, options.maxCount).map(toRecorded);
  }

  async headPosition(): Promise<bigint> {
    const p = this.reads.head.get();
    return p === null || p === undefined ? -1n : BigInt(p);
  }

  /**
   * Pages by (stream, revision) on a connection of its own, inside one read transaction: the WAL
   * keeps that snapshot however long the consumer takes between batches.
   */
  async *scanByStream(options: ScanOptions): AsyncIterable<RecordedEvent[]> {
    const db = new Database(this.options.path, { readonly: true });
    try {
      db.pragma('busy_timeout = 10000');
      const first = db.prepare<[number, number], EventRow>('SELECT * FROM events WHERE position <= ? ORDER BY stream_id, revision LIMIT ?');
      const next = db.prepare<[string, number, number, number], EventRow>(
        'SELECT * FROM events WHERE (stream_id, revision) > (?, ?) AND position <= ? ORDER BY stream_id, revision LIMIT ?',
      );
      db.exec('BEGIN');
      const upTo = Number(options.upTo);
      let rows = options.afterStream === undefined ? first.all(upTo, options.batch) : next.all(options.afterStream, Number.MAX_SAFE_INTEGER, upTo, options.batch);
      while (rows.length > 0) {
        yield rows.map(toRecorded);
        if (rows.length < options.batch) break;
        const last = rows[rows.length - 1];
        rows = next.all(last.stream_id, last.revision, upTo, options.batch);
      }
      db.exec('COMMIT');
    } finally {
      db.close();
    }
  }

  /** Waits for the writer to commit what it holds (pending appends are not dropped), then closes. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.writer) {
      const closed = new Promise<void>((resolve) => {
        this.writer!.on('message', (reply: WriterReply) => reply.kind === 'closed' && resolve());
        this.writer!.once('exit', () => resolve());
      });
      this.writer.postMessage({ kind: 'close' } satisfies WriterRequest);
      await closed;
      await this.writer.terminate();
      this.failAll(new Error('event store is closed'));
    }
    this.db.close();
  }
}
