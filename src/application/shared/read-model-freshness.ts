import { DomainError } from '../../domain/shared/domain-error';
import { EventStore } from '../../event-store/event-store.port';
import { ProjectionEngine, ReadModelsUnavailableError } from '../../projections/engine/projection-engine';

export const readModelUnavailable = (reason: string): DomainError =>
  new DomainError('read_model_unavailable', null, `This data cannot be read now: ${reason}. Try again shortly.`);

/**
 * Read-your-writes for reads served from the read models: a read waits until they hold everything
 * the log held when the read began — this process's writes and any other process's. It never
 * applies events itself; the projection thread does, woken by the wait.
 */
export class ReadModelFreshness {
  constructor(
    private readonly store: EventStore,
    private readonly engine: ProjectionEngine,
    private readonly timeoutMs: number,
  ) {}

  /** Resolves when the read models are current; a DomainError (503) when they cannot get there in time. */
  async ensure(): Promise<DomainError | null> {
    const head = await this.store.headPosition();
    if (this.engine.position >= head) return null;
    try {
      await this.engine.reach(head, this.timeoutMs);
      return null;
    } catch (error) {
      if (error instanceof ReadModelsUnavailableError) return readModelUnavailable('the read models are catching up with the log');
      throw error;
    }
  }
}
