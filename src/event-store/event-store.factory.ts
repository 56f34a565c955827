import { LedgerConfig } from '../config/config';
import { isPostgresUrl } from '../postgres/postgres-pool';
import { EventStore } from './event-store.port';
import { SqliteEventStore } from './sqlite/sqlite-event-store';

export async function createEventStore(config: LedgerConfig): Promise<EventStore> {
  if (config.eventStoreUrl.startsWith('sqlite:')) {
    return new SqliteEventStore({ path: config.eventStoreUrl.slice('sqlite:'.length), synchronous: config.sqliteSynchronous });
  }
  if (isPostgresUrl(config.eventStoreUrl)) {
    const { PostgresEventStore } = await import('./postgres/postgres-event-store');
    return PostgresEventStore.open({ url: config.eventStoreUrl, poolSize: config.pgPoolSize });
  }
  // Loaded only when asked for, so the frozen EventStoreDB client stays out of SQLite deployments.
  const { EventStoreDbEventStore } = await import('./eventstoredb/eventstoredb-event-store');
  return new EventStoreDbEventStore(config.eventStoreUrl);
}
