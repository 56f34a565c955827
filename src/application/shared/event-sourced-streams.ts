import { DomainError, isDomainError } from '../../domain/shared/domain-error';
import {
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

const MAX_ATTEMPTS = 25;

/**
 * Loads a stream's state and runs decide/append with optimistic concurrency: on a
 * conflict it re-reads and decides again. States are cached by revision; the cache only
 * saves reads (the append's expected revision keeps it honest across processes).
 */
export class EventSourcedStreams<S, E extends TypedEvent> {
  private readonly cache = new Map<string, Loaded<S>>();

  constructor(
    private readonly store: EventStore,
    private readonly initial: () => S,
    private readonly evolve: (state: S, event: E) => S,
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

  async execute(
    streamId: string,
    decide: (state: S) => E[] | DomainError,
    metadata: Record<string, unknown>,
  ): Promise<Executed<S>> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const { state, revision } = await this.load(streamId);
      const decision = decide(state);
      if (isDomainError(decision)) return { ok: false, error: decision, state };
      if (decision.length === 0) return { ok: true, state, before: state, position: null, appended: 0 };
      const expected: ExpectedRevision = revision === -1n ? 'no_stream' : revision;
      const toAppend: EventToAppend[] = decision.map((e) => ({
        type: e.type,
        data: e.data as Record<string, unknown>,
        metadata,
      }));
      try {
        const result = await this.store.append(streamId, toAppend, expected);
        const next = decision.reduce(this.evolve, state);
        this.remember(streamId, { state: next, revision: result.nextExpectedRevision });
        return { ok: true, state: next, before: state, position: result.position, appended: decision.length };
      } catch (error) {
        if (error instanceof WrongExpectedRevisionError) {
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
