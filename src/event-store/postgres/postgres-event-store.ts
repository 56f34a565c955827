import { Pool, PoolClient } from 'pg';
import { createPostgresPool } from '../../postgres/postgres-pool';
import {
  AppendOptions,
  AppendResult,
  DuplicateEventIdError,
  EventStore,
  EventToAppend,
  ExpectedRevision,
  ReadAllOptions,
  RecordedEvent,
  ScanOptions,
  StreamDeletedError,
  WrongExpectedRevisionError,
} from '../event-store.port';
import { ensureEventStoreSchema } from './postgres-schema';

export interface PostgresEventStoreOptions {
  /** postgres://user:password@host:5432/database (or postgresql://). */
  url: string;
  /** Connections at most (appends use one at a time; the rest serve reads). */
  poolSize?: number;
  /** Told after every group commit (metrics): how many appends it carried and how long its statement took. */
  onGroupCommit?: (appends: number, commitMs: number) => void;
}

/** A group commit stops growing at this many events or bytes of JSON; the rest go in the next one. */
const MAX_BATCH_EVENTS = 1000;
const MAX_BATCH_BYTES = 8 * 1024 * 1024;

interface PendingAppend {
  streamId: string;
  expected: string;
  recordedAt: string;
  ids: string[];
  types: string[];
  data: string[];
  metadata: string[];
  bytes: number;
  resolve: (r: AppendResult) => void;
  reject: (e: unknown) => void;
}

interface OutcomeRow {
  outcome: 'ok' | 'deleted' | 'wrong_revision' | 'duplicate_id';
  detail: string | null;
  next_revision: string | null;
  last_position: string | null;
}

interface EventRow {
  position: string;
  event_id: string;
  stream_id: string;
  revision: string;
  type: string;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  recorded_at: Date;
}

const COLUMNS = 'position, event_id, stream_id, revision, type, data, metadata, recorded_at';

const QUERIES = {
  append: { name: 'ledger_append_v1', text: 'SELECT * FROM ledger_append_v1($1, $2, $3, $4, $5, $6, $7, $8)' },
  readStream: {
    name: 'ledger_read_stream',
    text: `SELECT ${COLUMNS} FROM ledger_events WHERE stream_id = $1 AND revision >= $2 ORDER BY revision LIMIT $3`,
  },
  readAll: { name: 'ledger_read_all', text: `SELECT ${COLUMNS} FROM ledger_events WHERE position > $1 ORDER BY position LIMIT $2` },
  head: { name: 'ledger_head', text: 'SELECT max(position) AS head FROM ledger_events' },
  deleteStream: { name: 'ledger_delete_stream_v1', text: 'SELECT ledger_delete_stream_v1($1)' },
  scanFirst: {
    name: 'ledger_scan_first',
    text: `SELECT ${COLUMNS} FROM ledger_events WHERE position <= $1 ORDER BY stream_id, revision LIMIT $2`,
  },
  scanNext: {
    name: 'ledger_scan_next',
    text: `SELECT ${COLUMNS} FROM ledger_events WHERE position <= $1 AND (stream_id, revision) > ($2, $3) ORDER BY stream_id, revision LIMIT $4`,
  },
};

/**
 * PostgreSQL adapter of the EventStore port (schema and the no-skip argument: postgres-schema.ts).
 *
 * Appends issued while a commit is in flight wait for it and then go together in one call of
 * `ledger_append_v1`: one statement, one round trip and one WAL flush for the whole group, each
 * append accepted or refused on its own. One group is in flight per store at a time: the append
 * lock would serialise a second one anyway, and the waiting appends make the next group bigger.
 */
export class PostgresEventStore implements EventStore {
  private queue: PendingAppend[] = [];
  private flushScheduled = false;
  private flushing: Promise<void> | null = null;
  private closed = false;

  private constructor(
    private readonly pool: Pool,
    private readonly ownsPool: boolean,
    private readonly onGroupCommit?: (appends: number, commitMs: number) => void,
  ) {}

  /** Opens a pool on `url` and creates the schema if it is missing. */
  static async open(options: PostgresEventStoreOptions): Promise<PostgresEventStore> {
    const pool = createPostgresPool({ url: options.url, size: options.poolSize ?? 10, applicationName: 'subscription-ledger' });
    return PostgresEventStore.onPool(pool, true, options.onGroupCommit).catch(async (error: unknown) => {
      await pool.end();
      throw error;
    });
  }

  /** On a pool the caller owns (and ends after `close`). */
  static async onPool(pool: Pool, ownsPool = false, onGroupCommit?: (appends: number, commitMs: number) => void): Promise<PostgresEventStore> {
    await ensureEventStoreSchema(pool);
    return new PostgresEventStore(pool, ownsPool, onGroupCommit);
  }

  append(streamId: string, events: EventToAppend[], options: AppendOptions): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new Error('event store is closed'));
    if (events.length === 0) return Promise.reject(new Error('append needs at least one event'));
    let pending: Omit<PendingAppend, 'resolve' | 'reject'>;
    try {
      // Anything that could fail the whole group's statement fails this append alone, here.
      const data = events.map((e) => JSON.stringify(e.data));
      const metadata = events.map((e) => JSON.stringify(e.metadata ?? {}));
      const texts = [streamId, ...events.map((e) => e.eventId), ...events.map((e) => e.type)];
      if (texts.some((t) => typeof t !== 'string' || t.includes('\u0000'))) {
        throw new TypeError('stream ids, event ids and event types must be strings without NUL characters');
      }
      if (data.some((d) => d === undefined)) throw new TypeError('event data must be a JSON object');
      pending = {
        streamId,
        expected: encodeExpected(options.expected),
        recordedAt: options.recordedAt.toISOString(),
        ids: events.map((e) => e.eventId),
        types: events.map((e) => e.type),
        data,
        metadata,
        bytes: data.reduce((n, d) => n + d.length, 0) + metadata.reduce((n, m) => n + m.length, 0),
      };
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ ...pending, resolve, reject });
      this.scheduleFlush();
    });
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.flushing || this.queue.length === 0) return;
    this.flushScheduled = true;
    // Appends issued in the same event-loop turn join the same group.
    setImmediate(() => {
      this.flushScheduled = false;
      this.flushing = this.flush().finally(() => {
        this.flushing = null;
        this.scheduleFlush();
      });
    });
  }

  private async flush(): Promise<void> {
    const batch = this.takeBatch();
    if (batch.length === 0) return;
    try {
      settle(batch, await this.appendBatch(batch));
    } catch (error) {
      if (batch.length > 1 && rolledBackByServer(error)) {
        // Nothing of the group was written: retry each append alone so one bad append fails alone.
        for (const pending of batch) {
          try {
            settle([pending], await this.appendBatch([pending]));
          } catch (single) {
            pending.reject(single);
          }
        }
        return;
      }
      for (const pending of batch) pending.reject(error);
    }
  }

  private takeBatch(): PendingAppend[] {
    let events = 0;
    let bytes = 0;
    let n = 0;
    while (n < this.queue.length) {
      const next = this.queue[n];
      if (n > 0 && (events + next.ids.length > MAX_BATCH_EVENTS || bytes + next.bytes > MAX_BATCH_BYTES)) break;
      events += next.ids.length;
      bytes += next.bytes;
      n++;
    }
    return this.queue.splice(0, n);
  }

  private async appendBatch(batch: PendingAppend[]): Promise<OutcomeRow[]> {
    const started = performance.now();
    const result = await this.pool.query<OutcomeRow>({
      ...QUERIES.append,
      values: [
        batch.map((p) => p.streamId),
        batch.map((p) => p.expected),
        batch.map((p) => p.ids.length),
        batch.map((p) => p.recordedAt),
        batch.flatMap((p) => p.ids),
        batch.flatMap((p) => p.types),
        batch.flatMap((p) => p.data),
        batch.flatMap((p) => p.metadata),
      ],
    });
    if (result.rows.length !== batch.length) throw new Error(`ledger_append_v1 answered ${result.rows.length} rows for ${batch.length} appends`);
    // The statement is its own transaction: its duration is the commit's, WAL flush included.
    this.onGroupCommit?.(batch.length, performance.now() - started);
    return result.rows;
  }

  async readStream(streamId: string, fromRevision: bigint = 0n, maxCount?: number): Promise<RecordedEvent[]> {
    const limit = maxCount === undefined || maxCount < 0 ? null : maxCount;
    const { rows } = await this.pool.query<EventRow>({ ...QUERIES.readStream, values: [streamId, fromRevision.toString(), limit] });
    return rows.map(toRecorded);
  }

  async readAll(options: ReadAllOptions): Promise<RecordedEvent[]> {
    const after = options.after === undefined ? '0' : options.after.toString();
    const { rows } = await this.pool.query<EventRow>({ ...QUERIES.readAll, values: [after, options.maxCount] });
    return rows.map(toRecorded);
  }

  async headPosition(): Promise<bigint> {
    const { rows } = await this.pool.query<{ head: string | null }>(QUERIES.head);
    return rows[0].head === null ? -1n : BigInt(rows[0].head);
  }

  async deleteStream(streamId: string): Promise<void> {
    await this.pool.query({ ...QUERIES.deleteStream, values: [streamId] });
  }

  /**
   * Keyset pages by (stream, revision) inside one REPEATABLE READ READ ONLY transaction on a
   * connection of its own: every page comes from the snapshot taken at the first one, however long
   * the consumer takes between batches. Breaking out of the loop rolls back and frees the connection.
   */
  async *scanByStream(options: ScanOptions): AsyncIterable<RecordedEvent[]> {
    const client = await this.pool.connect();
    let healthy = false;
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const upTo = options.upTo.toString();
      let rows =
        options.afterStream === undefined
          ? await page(client, { ...QUERIES.scanFirst, values: [upTo, options.batch] })
          : await page(client, { ...QUERIES.scanNext, values: [upTo, options.afterStream, Number.MAX_SAFE_INTEGER, options.batch] });
      while (rows.length > 0) {
        yield rows.map(toRecorded);
        if (rows.length < options.batch) break;
        const last = rows[rows.length - 1];
        rows = await page(client, { ...QUERIES.scanNext, values: [upTo, last.stream_id, last.revision, options.batch] });
      }
      await client.query('COMMIT');
      healthy = true;
    } finally {
      if (!healthy) healthy = await client.query('ROLLBACK').then(() => true, () => false);
      // A connection whose state is unknown is closed rather than handed to the next caller.
      client.release(!healthy);
    }
  }

  /** Commits what is queued, then ends the pool if the store opened it. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.flushing || this.flushScheduled || this.queue.length > 0) {
      if (this.flushing) await this.flushing;
      else await new Promise((resolve) => setImmediate(resolve));
    }
    if (this.ownsPool) await this.pool.end();
  }
}

async function page(client: PoolClient, query: { name: string; text: string; values: unknown[] }): Promise<EventRow[]> {
  return (await client.query<EventRow>(query)).rows;
}

function encodeExpected(expected: ExpectedRevision): string {
  return typeof expected === 'bigint' ? expected.toString() : expected;
}

function settle(batch: PendingAppend[], rows: OutcomeRow[]): void {
  batch.forEach((pending, i) => {
    const row = rows[i];
    switch (row.outcome) {
      case 'ok':
        pending.resolve({ nextExpectedRevision: BigInt(row.next_revision!), position: BigInt(row.last_position!) });
        break;
      case 'deleted':
        pending.reject(new StreamDeletedError(pending.streamId));
        break;
      case 'duplicate_id':
        pending.reject(new DuplicateEventIdError(row.detail!));
        break;
      case 'wrong_revision':
        pending.reject(
          new WrongExpectedRevisionError(pending.streamId, decodeExpected(pending.expected), row.detail === null ? 'no_stream' : BigInt(row.detail)),
        );
        break;
      default:
        pending.reject(new Error(`ledger_append_v1 answered an unknown outcome ${String(row.outcome)}`));
    }
  });
}

function decodeExpected(expected: string): ExpectedRevision {
  return expected === 'any' || expected === 'no_stream' || expected === 'stream_exists' ? expected : BigInt(expected);
}

/**
 * The server refused the statement (bad data, a constraint): its transaction rolled back and
 * nothing was written. Not so for a lost connection or a server shutting down (SQLSTATE classes
 * 08, 57, 58 or no code at all): whether the commit happened is unknown, so the callers are told
 * (a retried command carries the same event ids and cannot land twice).
 */
function rolledBackByServer(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code.length === 5 && !['08', '57', '58'].includes(code.slice(0, 2));
}

function toRecorded(r: EventRow): RecordedEvent {
  return {
    eventId: r.event_id,
    streamId: r.stream_id,
    revision: BigInt(r.revision),
    position: BigInt(r.position),
    type: r.type,
    data: r.data,
    metadata: r.metadata,
    recordedAt: r.recorded_at,
  };
}
