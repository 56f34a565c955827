import { Clock } from '../../domain/shared/clock';
import { DomainError } from '../../domain/shared/domain-error';
import { ProjectionEngine } from '../../projections/engine/projection-engine';
import { DeliveryView, ReadModelReader } from '../../projections/read-model-store.port';
import { ReadModelFreshness } from '../shared/read-model-freshness';

export const deliveryNotFound = (): DomainError => new DomainError('webhook_delivery_does_not_exist', null, 'Webhook delivery not found');

/** What an app's admin may see and do with its outbox: lists read once the outbox holds every acked write. */
export class Outbox {
  private readonly queuedListeners: Array<() => void> = [];

  constructor(
    private readonly engine: ProjectionEngine,
    private readonly models: ReadModelReader,
    private readonly freshness: ReadModelFreshness,
    private readonly clock: Clock,
  ) {}

  /** Told when a delivery is queued again by hand (the sender picks it up at once). */
  onQueued(listener: () => void): void {
    this.queuedListeners.push(listener);
  }

  async deliveries(appId: string, endpointId: string, limit: number): Promise<DeliveryView[] | DomainError> {
    return (await this.freshness.ensure()) ?? this.models.deliveries(appId, endpointId, limit);
  }

  async profileDeliveries(appId: string, profileId: string, limit: number, beforeSeq: number | null) {
    return (await this.freshness.ensure()) ?? this.models.profileDeliveries(appId, profileId, limit, beforeSeq);
  }

  /** Queues a delivered, rejected or failed delivery again (same webhook-id); a pending one is left as it is. */
  async redeliver(appId: string, deliveryId: string): Promise<DeliveryView | DomainError> {
    const view = await this.engine.call({ kind: 'redeliver', appId, deliveryId, now: this.clock.now().getTime() });
    if (!view) return deliveryNotFound();
    this.queuedListeners.forEach((l) => l());
    return view;
  }
}
