import { EventStore } from '../event-store/event-store.port';
import { ProjectionEngine } from '../projections/engine/projection-engine';
import { ReadModelReader, StreamFailure } from '../projections/read-model-store.port';

export interface ProjectionLag {
  projection: string;
  /** Events in the log the read models have not applied yet (counted up to the probe's cap). */
  events: number;
  /** Age of the oldest of them (0 when caught up). */
  seconds: number;
}

/**
 * What readiness and metrics ask the engine, and nothing more: does the store answer, how far
 * behind the log are the read models, which streams are stopped, how full is the webhook outbox.
 */
export interface EngineProbe {
  /** Resolves once the event store has answered a query; rejects when it fails or takes longer than `timeoutMs`. */
  storeAnswers(timeoutMs: number): Promise<void>;
  projectionLag(): Promise<ProjectionLag[]>;
  /** Streams stopped at an event a projection could not apply (each serves 503 until a fix and a rebuild). */
  stoppedStreams(): StreamFailure[];
  outbox(): Promise<{ pending: number; failed: number }>;
}

export const ENGINE_PROBE = Symbol('ENGINE_PROBE');

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The probe over this process's engine. Lag is counted by reading what follows the read models'
 * checkpoint (at most `maxEvents` events), so it holds for any store, whatever its positions mean.
 * Ages are wall-clock (events are stamped with the recording clock), not the ledger's clock.
 */
export class LedgerProbe implements EngineProbe {
  constructor(
    private readonly store: EventStore,
    private readonly engine: ProjectionEngine,
    private readonly readModels: ReadModelReader,
    private readonly maxEvents: number,
  ) {}

  storeAnswers(timeoutMs: number): Promise<void> {
    return within(this.store.headPosition(), timeoutMs, 'the event store').then(() => undefined);
  }

  async projectionLag(): Promise<ProjectionLag[]> {
    const head = await this.store.headPosition();
    const position = this.engine.position;
    if (position >= head) return [{ projection: 'read_models', events: 0, seconds: 0 }];
    const behind = await this.store.readAll({ after: position, maxCount: this.maxEvents });
    const oldest = behind[0]?.recordedAt.getTime() ?? Date.now();
    return [{ projection: 'read_models', events: behind.length, seconds: Math.max(0, (Date.now() - oldest) / 1000) }];
  }

  stoppedStreams(): StreamFailure[] {
    return this.engine.stopped;
  }

  outbox(): Promise<{ pending: number; failed: number }> {
    return this.readModels.outboxCounts();
  }
}
