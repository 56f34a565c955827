/**
 * EventStoreDB adapter of the EventStore port, on `@eventstore/db-client` v6 (frozen upstream; its
 * successor is `@kurrent/kurrentdb-client`). Every import of the client lives in this folder, so a
 * later migration is a one-folder change (`expectedRevision` → `streamState`, error field renames).
 *
 * Conventions shared with the port:
 * - revisions are 0-based per stream, which is EventStoreDB's own numbering, so they pass through;
 * - a position is the event's commit position in the transaction log (`$all`). Appends made over
 *   gRPC are implicit transactions in which every event is its own commit record, so each event has
 *   a distinct commit position (commit === prepare). See `readAll` for how exclusivity is kept.
 *
 * Requires EventStoreDB >= 22.6 (stream reads carry the event position) — we target 24.10.
 */
import {
  ANY,
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  NO_STREAM,
  START,
  STREAM_EXISTS,
  StreamDeletedError as EsdbStreamDeletedError,
  StreamNotFoundError,
  WrongExpectedVersionError,
  jsonEvent,
  type AppendExpectedRevision,
  type Position,
  type ReadPosition,
} from '@eventstore/db-client';
import {
  AppendOptions,
  AppendResult,
  EventStore,
  EventToAppend,
  ExpectedRevision,
  ReadAllOptions,
  RecordedEvent,
  StreamDeletedError,
  WrongExpectedRevisionError,
} from '../event-store.port';

/** Events fetched per round trip while scanning `$all` forwards (system events are skipped client-side). */
const READ_ALL_PAGE_MIN = 256;
const READ_ALL_PAGE_MAX = 4096;
/** Events fetched per round trip while scanning `$all` backwards for the head. */
const HEAD_PAGE = 128;
/** EventNumber.DeletedStream (long.MaxValue): the revision a tombstoned stream reports. */
const DELETED_STREAM_REVISION = 9223372036854775807n;

/** Metadata key that carries the caller's recording instant (the server's `created` is its own clock). */
const RECORDED_AT = '$recordedAt';

/** The fields we read from a recorded event; both stream reads and `$all` reads provide them. */
interface EsdbRecorded {
  streamId: string;
  id: string;
  revision: bigint;
  type: string;
  created: Date;
  data: unknown;
  metadata: unknown;
}

export class EventStoreDbEventStore implements EventStore {
  private readonly client: EventStoreDBClient;
  private closed = false;

  /** @param connectionString e.g. `esdb://localhost:2113?tls=false` (TLS is on unless `tls=false`). */
  constructor(connectionString: string) {
    this.client = EventStoreDBClient.connectionString(connectionString);
  }

  /**
   * Event ids pass through: the server's idempotent-write check answers a repeated id with success and
   * writes nothing (it never appends an id twice, but does not reject it either).
   */
  async append(streamId: string, events: EventToAppend[], options: AppendOptions): Promise<AppendResult> {
    this.assertOpen();
    const { expected } = options;
    if (events.length === 0) throw new Error('append needs at least one event');
    const recordedAt = options.recordedAt.toISOString();
    const proposed = events.map((e) =>
      jsonEvent({ id: e.eventId, type: e.type, data: e.data, metadata: { ...e.metadata, [RECORDED_AT]: recordedAt } }),
    );
    try {
      // throwOnAppendFailure defaults to true, so a failed check throws WrongExpectedVersionError.
      const result = await this.client.appendToStream(streamId, proposed, {
        expectedRevision: toEsdbExpected(expected),
      });
      const position =
        result.position?.commit ?? (await this.positionOfRevision(streamId, result.nextExpectedRevision));
      return { nextExpectedRevision: result.nextExpectedRevision, position };
    } catch (error) {
      throw mapAppendError(error, streamId, expected);
    }
  }

  async readStream(streamId: string, fromRevision: bigint = 0n, maxCount?: number): Promise<RecordedEvent[]> {
    this.assertOpen();
    const out: RecordedEvent[] = [];
    if (maxCount !== undefined && maxCount <= 0) return out;
    try {
      // A missing or tombstoned stream is reported as an error while iterating, not on the call.
      for await (const resolved of this.client.readStream(streamId, {
        fromRevision: fromRevision < 0n ? START : fromRevision,
        direction: FORWARDS,
        resolveLinkTos: false,
        ...(maxCount === undefined ? {} : { maxCount }),
      })) {
        const event = resolved.event;
        if (!event) continue;
        out.push(toRecorded(event, event.position?.commit ?? -1n));
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError || error instanceof EsdbStreamDeletedError) return [];
      throw error;
    }
    return out;
  }

  /**
   * `$all` forwards, application events only. The client's `fromPosition` is INCLUSIVE (a read from an
   * event's position returns that event first), and v6 has no server-side filter on `readAll`, so:
   * - we start at `{commit: after, prepare: after}` (a real record boundary, since positions we hand
   *   out are event positions) and drop every event whose commit position is <= `after`;
   * - system events (`$`-typed) and events of system streams (`$`-named) are dropped client-side;
   * - we page until `maxCount` application events are collected or the end of the log is reached,
   *   so skipped events never shorten a page. Each next page starts at the last event seen (again
   *   inclusive) and that event is dropped by comparing full positions.
   */
  async readAll(options: ReadAllOptions): Promise<RecordedEvent[]> {
    this.assertOpen();
    const { after, maxCount } = options;
    const out: RecordedEvent[] = [];
    if (maxCount <= 0) return out;
    const pageSize = Math.min(Math.max(maxCount + 1, READ_ALL_PAGE_MIN), READ_ALL_PAGE_MAX);
    let from: ReadPosition = after === undefined || after < 0n ? START : { commit: after, prepare: after };
    let lastSeen: Position | undefined;

    for (;;) {
      const pageStart = lastSeen;
      let received = 0;
      // Drain the whole page (no early break) so the gRPC call always completes cleanly.
      for await (const resolved of this.client.readAll({
        fromPosition: from,
        direction: FORWARDS,
        maxCount: pageSize,
        resolveLinkTos: false,
      })) {
        received++;
        const event = resolved.event;
        if (!event) continue;
        const position = event.position;
        if (lastSeen && comparePositions(position, lastSeen) <= 0) continue; // re-read page start
        lastSeen = position;
        if (after !== undefined && position.commit <= after) continue; // `after` is exclusive
        if (isSystem(event)) continue;
        if (out.length < maxCount) out.push(toRecorded(event, position.commit));
      }
      await this.dropDeleted(out);
      const endOfLog = received < pageSize;
      const noProgress = !lastSeen || (pageStart !== undefined && comparePositions(lastSeen, pageStart) === 0);
      if (out.length >= maxCount || endOfLog || noProgress) break;
      from = lastSeen as Position;
    }
    return out;
  }

  /** Newest application event: `$all` backwards from the end, skipping system events. */
  async headPosition(): Promise<bigint> {
    this.assertOpen();
    let from: ReadPosition = END;
    let lastSeen: Position | undefined;
    for (;;) {
      const pageStart = lastSeen;
      let received = 0;
      let found: bigint | undefined;
      for await (const resolved of this.client.readAll({
        fromPosition: from,
        direction: BACKWARDS,
        maxCount: HEAD_PAGE,
        resolveLinkTos: false,
      })) {
        received++;
        const event = resolved.event;
        if (!event) continue;
        const position = event.position;
        // Backward reads from a position should exclude it; guard anyway against a re-read.
        if (lastSeen && comparePositions(position, lastSeen) >= 0) continue;
        lastSeen = position;
        if (found === undefined && !isSystem(event)) found = position.commit;
      }
      if (found !== undefined) return found;
      const noProgress = !lastSeen || (pageStart !== undefined && comparePositions(lastSeen, pageStart) === 0);
      if (received < HEAD_PAGE || noProgress) return -1n;
      from = lastSeen as Position;
    }
  }

  /**
   * Hard delete (tombstone): the stream can never be written again (appends fail with
   * StreamDeletedError). A missing stream is tombstoned too, as in the SQLite adapter; deleting an
   * already-deleted stream is a no-op. Until a scavenge runs, the server keeps the deleted events in
   * `$all`; `readAll` leaves them out.
   */
  async deleteStream(streamId: string): Promise<void> {
    this.assertOpen();
    try {
      await this.client.tombstoneStream(streamId, { expectedRevision: ANY });
    } catch (error) {
      if (error instanceof EsdbStreamDeletedError || error instanceof StreamNotFoundError) return;
      throw error;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.client.dispose();
  }

  /**
   * Tombstoned streams keep their events in `$all` until a scavenge; the port promises erased events
   * are gone, so each stream in a page is asked once whether it still exists.
   */
  private async dropDeleted(events: RecordedEvent[]): Promise<void> {
    const deleted = new Set<string>();
    for (const streamId of new Set(events.map((e) => e.streamId))) {
      try {
        for await (const _ of this.client.readStream(streamId, { fromRevision: START, maxCount: 1 })) break;
      } catch (error) {
        if (error instanceof EsdbStreamDeletedError || error instanceof StreamNotFoundError) deleted.add(streamId);
        else throw error;
      }
    }
    if (deleted.size === 0) return;
    const kept = events.filter((e) => !deleted.has(e.streamId));
    events.splice(0, events.length, ...kept);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('event store is closed');
  }

  /** Fallback when the server's append response carries no position. */
  private async positionOfRevision(streamId: string, revision: bigint): Promise<bigint> {
    for await (const resolved of this.client.readStream(streamId, { fromRevision: revision, maxCount: 1 })) {
      const commit = resolved.event?.position?.commit;
      if (commit !== undefined) return commit;
    }
    throw new Error(`EventStoreDB returned no position for ${streamId}@${revision}`);
  }
}

function toEsdbExpected(expected: ExpectedRevision): AppendExpectedRevision {
  if (expected === 'any') return ANY;
  if (expected === 'no_stream') return NO_STREAM;
  if (expected === 'stream_exists') return STREAM_EXISTS;
  return expected;
}

function mapAppendError(error: unknown, streamId: string, expected: ExpectedRevision): unknown {
  if (error instanceof EsdbStreamDeletedError) return new StreamDeletedError(streamId);
  if (error instanceof WrongExpectedVersionError) {
    const actual = error.actualVersion; // 'no_stream' | bigint: the stream's current revision
    // Defensive: a tombstoned stream's revision is long.MaxValue if the server ever reports it this way.
    if (actual === DELETED_STREAM_REVISION) return new StreamDeletedError(streamId);
    return new WrongExpectedRevisionError(streamId, expected, actual);
  }
  return error;
}

function isSystem(event: { type: string; streamId: string }): boolean {
  return event.type.startsWith('$') || event.streamId.startsWith('$');
}

function comparePositions(a: Position, b: Position): number {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}

function toRecorded(event: EsdbRecorded, position: bigint): RecordedEvent {
  const { [RECORDED_AT]: recordedAt, ...metadata } = toJsonObject(event.metadata);
  return {
    eventId: event.id,
    streamId: event.streamId,
    revision: event.revision,
    position,
    type: event.type,
    data: toJsonObject(event.data),
    metadata,
    recordedAt: typeof recordedAt === 'string' ? new Date(recordedAt) : event.created,
  };
}

/** We only write JSON objects; events written by other clients may be binary or absent. */
function toJsonObject(value: unknown): Record<string, unknown> {
  let v = value;
  if (v instanceof Uint8Array) {
    try {
      v = JSON.parse(Buffer.from(v).toString('utf8'));
    } catch {
      return {};
    }
  }
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}
