import type { DeliveryOutcome } from '../webhooks/delivery-outcome';

/**
 * What the engine reports while it works. Engine code (stores, delivery worker, expiry scheduler)
 * calls these few methods and knows nothing of Prometheus; `Metrics` implements them.
 */
export interface EngineMetrics {
  /** One append (one stream, one or more events) committed. */
  appended(events: number): void;
  /** An append refused because the stream moved on (optimistic concurrency). */
  conflicted(): void;
  /** One group commit of the SQLite store: how many appends it held and how long its COMMIT (the fsync) took. */
  groupCommitted(appends: number, commitSeconds: number): void;
  /** One webhook delivery attempt and how long the subscriber took to answer (or fail). */
  deliveryAttempted(outcome: DeliveryOutcome, seconds: number): void;
  /** Expiry events the scheduler recorded. */
  expiriesRecorded(count: number): void;
  /** A store notification's outcome at the intake (accepted, duplicate, unattributed, refused_<reason>, …). */
  storeNotification(store: string, outcome: string): void;
}


/** For code run without a server (CLI, benches, tests that build parts alone). */
export const NO_METRICS: EngineMetrics = {
  appended: () => undefined,
  conflicted: () => undefined,
  groupCommitted: () => undefined,
  deliveryAttempted: () => undefined,
  expiriesRecorded: () => undefined,
  storeNotification: () => undefined,
};
