import { LedgerConfig } from '../config/config';
import { EngineMetrics, NO_METRICS } from '../observability/engine-metrics';
import { EventStore } from './event-store.port';
import { SqliteEventStore } from './sqlite/sqlite-event-store';

export async function createEventStore(config: LedgerConfig, metrics: EngineMetrics = NO_METRICS): Promise<EventStore> {
  if (config.eventStoreUrl.startsWith('sqlite:')) {
    return new SqliteEventStore({
      path: config.eventStoreUrl.slice('sqlite:'.length),
      synchronous: config.sqliteSynchronous,
      onCommit: metrics === NO_METRICS ? undefined : (appends, seconds) => metrics.groupCommitted(appends, seconds),
    });
  }
  // Loaded only when asked for, so the frozen EventStoreDB client stays out of SQLite deployments.
  const { EventStoreDbEventStore } = await import('./eventstoredb/eventstoredb-event-store');
  return new EventStoreDbEventStore(config.eventStoreUrl);
}
