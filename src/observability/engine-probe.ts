import { Ledger } from '../application/shared/ledger';

export interface ProjectionLag {
  projection: string;
  /** Events in the log this read model has not applied yet (counted up to the probe's cap). */
  events: number;
  /** Age of the oldest of them (0 when caught up). */
  seconds: number;
}

/**
 * What readiness and metrics ask the engine, and nothing more: does the store answer, how far
 * behind the log are the read models, how full is the webhook outbox.
 */
export interface EngineProbe {
  /** Resolves once the event store has answered a query; rejects when it fails or takes longer than `timeoutMs`. */
  storeAnswers(timeoutMs: number): Promise<void>;
  projectionLag(): Promise<ProjectionLag[]>;
  outbox(): { pending: number; failed: number };
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
 * The probe over this process's ledger. Lag is counted by reading what follows each runner's
 * checkpoint (at most `maxEvents` events), so it holds for any store, whatever its positions mean.
 * Ages are wall-clock (events are stamped with the machine's time), not the ledger's clock.
 */
export class LedgerProbe implements EngineProbe {
  constructor(
    private readonly ledger: Ledger,
    private readonly maxEvents: number,
  ) {}

  storeAnswers(timeoutMs: number): Promise<void> {
    return within(this.ledger.store.headPosition(), timeoutMs, 'the event store').then(() => undefined);
  }

  async projectionLag(): Promise<ProjectionLag[]> {
    const { store, readModels } = this.ledger;
    const head = await store.headPosition();
    return Promise.all(
      readModels.runners.map(async (runner) => {
        if (runner.position >= head) return { projection: runner.name, events: 0, seconds: 0 };
        const behind = await store.readAll({ after: runner.position, maxCount: this.maxEvents });
        const oldest = behind[0]?.recordedAt.getTime() ?? Date.now();
        return { projection: runner.name, events: behind.length, seconds: Math.max(0, (Date.now() - oldest) / 1000) };
      }),
    );
  }

  outbox(): { pending: number; failed: number } {
    return this.ledger.readModels.outboxAdmin.counts();
  }
}
