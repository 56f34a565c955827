import { Clock } from '../../domain/shared/clock';
import { DomainError, isDomainError } from '../../domain/shared/domain-error';
import { deterministicUuid } from '../../domain/shared/uuid';
import {
  DuplicateEventIdError,
  EventStore,
  EventToAppend,
  ExpectedRevision,
  StreamDeletedError,
  WrongExpectedRevisionError,
} from '../../event-store/event-store.port';

interface TypedEvent {
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

const MAX_ATTEMPTS = 100;

/** Another process keeps winning the race for this stream: wait a little, with jitter, before deciding again. */
const backoff = (attempt: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, attempt * 2)));

/**
 * Loads a stream's state and runs decide/append with optimistic concurrency: on a
 * conflict it re-reads and decides again. States are cached by revision; the cache only
 * saves reads (the append's expected revision keeps it honest across processes).
 */
export class EventSourcedStreams<S, E extends TypedEvent> {
  private readonly cache = new Map<string, Loaded<S>>();
  /** The last queued decision per stream (see execute). */
  private readonly tails = new Map<string, Promise<void>>();

  constructor(
    private readonly store: EventStore,
    private readonly initial: () => S,
    private readonly evolve: (state: S, event: E) => S,
    private readonly clock: Clock,
    private readonly maxCached = 50_000,
  ) {}

  async load(streamId: string): Promise<Loaded<S>> {
    const cached = this.cache.get(streamId);
    const from = cached ? cached.revision + 1n : 0n;
    const events = await this.store.readStream(streamId, from);
    if (cached && events.length === 0) return cached;
    let state = cached ? cached.state : this.initial();
    let revision = cached ? cached.revision : -1n;
    for (const e of events) {
      state = this.evolve(state, { type: e.type, data: e.data } as unknown as E);
      revision = e.revision;
    }
    const loaded = { state, revision };
    this.remember(streamId, loaded);
    return loaded;
  }

  /**
   * Decisions on one stream run one after the other within this process: parallel requests on
   * one profile would otherwise keep losing the append race to each other (more than
   * MAX_ATTEMPTS writers and some gave up with a 500). Other processes are still settled by
   * the expected revision.
   */
  execute(streamId: string, decide: (state: S) => E[] | DomainError, metadata: Record<string, unknown>): Promise<Executed<S>> {
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

  private async executeNow(
    streamId: string,
    decide: (state: S) => E[] | DomainError,
    metadata: Record<string, unknown>,
  ): Promise<Executed<S>> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      if (attempt >= 2) await backoff(attempt);
      const { state, revision } = await this.load(streamId);
      const decision = decide(state);
      if (isDomainError(decision)) return { ok: false, error: decision, state };
      if (decision.length === 0) return { ok: true, state, before: state, position: null, appended: 0 };
      const expected: ExpectedRevision = revision === -1n ? 'no_stream' : revision;
      // Ids derive from the command and the revision it decided on: the same decision never lands twice.
      const toAppend: EventToAppend[] = decision.map((e, i) => ({
        eventId: deterministicUuid(`${String(metadata.command_id)}:${streamId}:${revision}:${i}`),
        type: e.type,
        data: e.data as Record<string, unknown>,
        metadata,
      }));
      try {
        const result = await this.store.append(streamId, toAppend, { expected, recordedAt: this.clock.now() });
        const next = decision.reduce(this.evolve, state);
        this.remember(streamId, { state: next, revision: result.nextExpectedRevision });
        return { ok: true, state: next, before: state, position: result.position, appended: decision.length };
      } catch (error) {
        if (error instanceof WrongExpectedRevisionError || error instanceof DuplicateEventIdError) {
          this.cache.delete(streamId);
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

  forget(streamId: string): void {
    this.cache.delete(streamId);
  }

  private remember(streamId: string, loaded: Loaded<S>): void {
    this.cache.delete(streamId);
    this.cache.set(streamId, loaded);
    if (this.cache.size > this.maxCached) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
  }
}
