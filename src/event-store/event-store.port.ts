/**
 * The one source of truth. Adapters: embedded SQLite (default), PostgreSQL and EventStoreDB.
 * Revisions are 0-based per stream (EventStoreDB's convention); positions order the global log.
 */
export type ExpectedRevision = 'any' | 'no_stream' | 'stream_exists' | bigint;

export interface EventToAppend {
  /**
   * Supplied by the caller and derived from the command that decided the event, so a retried
   * command cannot append twice: the store rejects an id it already holds (DuplicateEventIdError).
   */
  eventId: string;
  type: string;
  data: Record<string, unknown>;
  metadata?: Record<string, unknown>;
}

export interface AppendOptions {
  expected: ExpectedRevision;
  /** The instant the events are recorded at, from the caller's (injected) clock. */
  recordedAt: Date;
}

export interface RecordedEvent {
  eventId: string;
  streamId: string;
  revision: bigint;
  position: bigint;
  type: string;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  recordedAt: Date;
}

export interface AppendResult {
  /** Revision of the last event written: pass it as the expected revision of the next append. */
  nextExpectedRevision: bigint;
  /** Position in the global log of the last event written. */
  position: bigint;
}

export interface ReadAllOptions {
  /** Exclusive: only events strictly after this position. Omit to read from the start. */
  after?: bigint;
  maxCount: number;
}

export interface ScanOptions {
  /** Inclusive: only events at or before this position (a rebuild's target). */
  upTo: bigint;
  /** Events per yielded batch. */
  batch: number;
  /** Exclusive: start after this stream (a rebuild resuming). */
  afterStream?: string;
}

export interface EventStore {
  /**
   * Appends atomically, or not at all. Rejects with WrongExpectedRevisionError (the stream is not
   * where `expected` says), StreamDeletedError (hard-deleted, or tombstoned while missing) or
   * DuplicateEventIdError (an event id the store already holds).
   */
  append(streamId: string, events: EventToAppend[], options: AppendOptions): Promise<AppendResult>;
  /** Events of one stream in order, from `fromRevision` (inclusive), at most `maxCount`. A missing or deleted stream reads as []. */
  readStream(streamId: string, fromRevision?: bigint, maxCount?: number): Promise<RecordedEvent[]>;
  /**
   * The global log in position order. Never skips: once a reader has seen position p, no event at a
   * position below p can become visible later. Events of deleted streams are not returned.
   */
  readAll(options: ReadAllOptions): Promise<RecordedEvent[]>;
  /** Position of the newest event `readAll` can return, or -1n when the log is empty. */
  headPosition(): Promise<bigint>;
  /**
   * Hard delete (erasure): the stream's events are gone, also from `readAll`, and the stream can never
   * be written again. A missing stream is tombstoned too; deleting a deleted stream is a no-op.
   */
  deleteStream(streamId: string): Promise<void>;
  /**
   * Every event at or before `upTo`, ordered by stream then revision, from one consistent snapshot:
   * a rebuild folds each stream once, in memory, without caching states across the log. Optional:
   * a store that cannot scan by stream is rebuilt by replaying `readAll`.
   */
  scanByStream?(options: ScanOptions): AsyncIterable<RecordedEvent[]>;
  close(): Promise<void>;
}

export const EVENT_STORE = Symbol('EVENT_STORE');

export class WrongExpectedRevisionError extends Error {
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedRevision,
    readonly actual: bigint | 'no_stream',
  ) {
    super(`Wrong expected revision on ${streamId}: expected ${String(expected)}, actual ${String(actual)}`);
    this.name = 'WrongExpectedRevisionError';
  }
}

export class StreamDeletedError extends Error {
  constructor(readonly streamId: string) {
    super(`Stream ${streamId} is deleted`);
    this.name = 'StreamDeletedError';
  }
}

export class DuplicateEventIdError extends Error {
  constructor(readonly eventId: string) {
    super(`An event with id ${eventId} is already in the store`);
    this.name = 'DuplicateEventIdError';
  }
}

/** Whether an append at `expected` fits a stream whose last revision is `current` (undefined: no stream). */
export function expectationMet(expected: ExpectedRevision, current: bigint | undefined): boolean {
  if (expected === 'any') return true;
  if (expected === 'no_stream') return current === undefined;
  if (expected === 'stream_exists') return current !== undefined;
  return current === expected;
}
