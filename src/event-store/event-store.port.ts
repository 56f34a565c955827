/**
 * The one source of truth. Adapters: embedded SQLite (default) and EventStoreDB.
 * Revisions are 0-based per stream (EventStoreDB's convention); positions order the global log.
 */
export type ExpectedRevision = 'any' | 'no_stream' | bigint;

export interface EventToAppend {
  type: string;
  data: Record<string, unknown>;
  metadata?: Record<string, unknown>;
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

export interface EventStore {
  append(streamId: string, events: EventToAppend[], expected: ExpectedRevision): Promise<AppendResult>;
  /** Events of one stream in order, from `fromRevision` (inclusive), at most `maxCount`. A missing or deleted stream reads as []. */
  readStream(streamId: string, fromRevision?: bigint, maxCount?: number): Promise<RecordedEvent[]>;
  /** The global log in commit order. Only application events (no store-internal ones). */
  readAll(options: ReadAllOptions): Promise<RecordedEvent[]>;
  /** Position of the newest application event in the log, or -1n when the log is empty. */
  headPosition(): Promise<bigint>;
  /** Hard delete: the stream's events are erased and the stream can never be written again. */
  deleteStream(streamId: string): Promise<void>;
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
