import { Clock } from '../../domain/shared/clock';
import { DomainError, isDomainError } from '../../domain/shared/domain-error';
import { deterministicUuid } from '../../domain/shared/uuid';
import {
  AppendResult,
  DuplicateEventIdError,
  EventStore,
  EventToAppend,
  ExpectedRevision,
  RecordedEvent,
  StreamDeletedError,
  WrongExpectedRevisionError,
} from '../../event-store/event-store.port';
import { RevisionCache } from '../../shared/revision-cache';

export interface TypedEvent {
  type: string;
  data: object;
}

export interface Loaded<S> {
  state: S;
  /** Revision of the last event folded, -1n when the stream has none. */
  revision: bigint;
}

export type Executed<S> =
  | { ok: true; state: S; before: S; position: bigint | null; appended: number }
  | { ok: false; error: DomainError; state: S }
  | { ok: false; deleted: true };

/** Where a decision came from: kept in each event's metadata; event ids derive from `command_id`. */
export interface EventMetadata extends Record<string, unknown> {
  app_id: string;
  source: string;
  command_id: string;
}

/** A stream holds an event this code cannot fold: commands on it answer 503 until a fix. */
export const streamUnavailable = (streamId: string, error: unknown): DomainError =>
  new DomainError(
    'stream_unavailable',
    null,
    `This record cannot be changed now: one of its events could not be read (${error instanceof Error ? error.message : String(error)}). It resumes after a fix.`,
  );

const MAX_ATTEMPTS = 100;

/** Another process keeps winning the race for this stream: wait a little, with jitter, before deciding again. */
const backoff = (attempt: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, attempt * 2)));

export interface RepositoryOptions<S, E> {
  initial: () => S;
  evolve: (state: S, event: E) => S;
  /** Told after every append (the projection engine is woken, so the write reaches the read models at once). */
  afterAppend?: (result: AppendResult) => void;
  cacheSize?: number;
}

/**
 * Decide/append with optimistic concurrency over one kind of stream. Folded states are kept by
 * revision (a RevisionCache): a decision runs on the cached state and its append's expected revision
 * confirms it; a decision that appends nothing is confirmed by reading the stream's tail. A conflict
 * forgets the state and decides again on what the store holds.
 */
export class EventSourcedRepository<S, E extends TypedEvent> {
  private readonly cache: RevisionCache<string, S>;
  /** The last queued decision per stream (see execute). */
  private readonly tails = new Map<string, Promise<void>>();

  constructor(
    private readonly store: EventStore,
    private readonly clock: Clock,
    private readonly options: RepositoryOptions<S, E>,
  ) {
    this.cache = new RevisionCache(options.cacheSize ?? 50_000);
  }

  /**
   * The stream's state as the store holds it now (for reads: the tail is always checked). Throws the
   * `stream_unavailable` DomainError when an event cannot be folded.
   */
  async load(streamId: string): Promise<Loaded<S>> {
    const cached = this.cache.get(streamId);
    return this.foldFrom(streamId, cached ? { state: cached.value, revision: cached.revision } : null);
  }

  private async foldFrom(streamId: string, from: Loaded<S> | null): Promise<Loaded<S>> {
    const events = await this.store.readStream(streamId, from ? from.revision + 1n : 0n);
    if (from && events.length === 0) return from;
    let loaded: Loaded<S>;
    try {
      loaded = this.fold(from ?? { state: this.options.initial(), revision: -1n }, events);
    } catch (error) {
      this.cache.delete(streamId);
      throw streamUnavailable(streamId, error);
    }
    this.cache.set(streamId, loaded.state, loaded.revision);
    return loaded;
  }

  private fold(from: Loaded<S>, events: RecordedEvent[]): Loaded<S> {
    let { state, revision } = from;
    for (const e of events) {
      state = this.options.evolve(state, { type: e.type, data: e.data } as unknown as E);
      revision = e.revision;
    }
    return { state, revision };
  }

  /**
   * Decisions on one stream run one after the other within this process: parallel requests on
   * one profile would otherwise keep losing the append race to each other. Other processes are
   * still settled by the expected revision.
   */
  execute(streamId: string, decide: (state: S) => E[] | DomainError, metadata: EventMetadata): Promise<Executed<S>> {
    const previous = this.tails.get(streamId) ?? Promise.resolve();
    const run = previous.then(() => this.executeNow(streamId, decide, metadata));
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(streamId, tail);
    void tail.then(() => {
      if (this.tails.get(streamId) === tail) this.tails.delete(streamId);
    });
    return run;
  }

  private async executeNow(streamId: string, decide: (state: S) => E[] | DomainError, metadata: EventMetadata): Promise<Executed<S>> {
    const unavailable = (error: unknown): Executed<S> => {
      if (isDomainError(error)) return { ok: false, error, state: this.options.initial() };
      throw error;
    };
    let current: Loaded<S>;
    try {
      const cached = this.cache.get(streamId);
      current = cached ? { state: cached.value, revision: cached.revision } : await this.foldFrom(streamId, null);
    } catch (error) {
      return unavailable(error);
    }
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      if (attempt >= 2) await backoff(attempt);
      const { state, revision } = current;
      const decision = decide(state);
      if (isDomainError(decision) || decision.length === 0) {
        // Nothing to append to confirm the cached state: the stream's tail does.
        let confirmed: Loaded<S>;
        try {
          confirmed = await this.foldFrom(streamId, current);
        } catch (error) {
          return unavailable(error);
        }
        if (confirmed !== current) {
          current = confirmed;
          continue;
        }
        return isDomainError(decision) ? { ok: false, error: decision, state } : { ok: true, state, before: state, position: null, appended: 0 };
      }
      const expected: ExpectedRevision = revision === -1n ? 'no_stream' : revision;
      // Ids derive from the command and the revision it decided on: the same decision never lands twice.
      const toAppend: EventToAppend[] = decision.map((e, i) => ({
        eventId: deterministicUuid(`${metadata.command_id}:${streamId}:${revision}:${i}`),
        type: e.type,
        data: e.data as Record<string, unknown>,
        metadata,
      }));
      try {
        const result = await this.store.append(streamId, toAppend, { expected, recordedAt: this.clock.now() });
        const next = decision.reduce(this.options.evolve, state);
        this.cache.set(streamId, next, result.nextExpectedRevision);
        this.options.afterAppend?.(result);
        return { ok: true, state: next, before: state, position: result.position, appended: decision.length };
      } catch (error) {
        if (error instanceof WrongExpectedRevisionError || error instanceof DuplicateEventIdError) {
          this.cache.delete(streamId);
          try {
            current = await this.foldFrom(streamId, null);
          } catch (foldError) {
            return unavailable(foldError);
          }
          continue;
        }
        if (error instanceof StreamDeletedError) {
          this.cache.delete(streamId);
          return { ok: false, deleted: true };
        }
        throw error;
      }
    }
    throw new Error(`Too much contention on ${streamId}: gave up after ${MAX_ATTEMPTS} attempts`);
  }

  /** Hard-deletes the stream (erasure) and forgets its state. */
  async erase(streamId: string): Promise<void> {
    await this.store.deleteStream(streamId);
    this.cache.delete(streamId);
  }
}
