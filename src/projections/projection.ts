import type Database from 'better-sqlite3';
import { RecordedEvent } from '../event-store/event-store.port';

/**
 * A read model built from the global log. `apply` runs inside the transaction that also
 * moves the projection's checkpoint, so a batch is either fully applied or not at all.
 */
export interface Projection {
  readonly name: string;
  setup(db: Database.Database): void;
  /** Optional asynchronous work before a batch's transaction (e.g. reading what `apply` needs). */
  beforeBatch?(events: RecordedEvent[]): Promise<void>;
  apply(db: Database.Database, events: RecordedEvent[]): void;
  /** The transaction around `apply` was rolled back: forget anything `apply` kept in memory. */
  rolledBack?(): void;
  /** Drops the read model's rows (a rebuild starts from here). */
  reset(db: Database.Database): void;
}
