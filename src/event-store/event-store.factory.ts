import { isPostgresUrl } from '../postgres/postgres-pool';
import type { SqliteSynchronous } from '../sqlite/open-sqlite';
import { EventStore } from './event-store.port';
import { PostgresEventStore } from './postgres/postgres-event-store';
import { SqliteEventStore } from './sqlite/sqlite-event-store';

export interface EventStoreOptions {
  /** `sqlite:<path>`, `postgres://…` or `esdb://…` */
  url: string;
  sqliteSynchronous?: SqliteSynchronous;
  /** Connections per PostgreSQL pool. */
  pgPoolSize?: number;
  /** Reads only (no writer): projector threads and command-line tools that only read. */
  readOnly?: boolean;
  /** Told after every group commit of the embedded store (metrics). */
  onGroupCommit?: (appends: number, commitMs: number) => void;
}

export async function createEventStore(options: EventStoreOptions): Promise<EventStore> {
  if (options.url.startsWith('sqlite:')) {
    return SqliteEventStore.open({
      path: options.url.slice('sqlite:'.length),
      synchronous: options.sqliteSynchronous,
      readOnly: options.readOnly,
      onGroupCommit: options.onGroupCommit,
    });
  }
  if (isPostgresUrl(options.url)) {
    return PostgresEventStore.open({ url: options.url, poolSize: options.pgPoolSize });
  }
  // Loaded only when asked for, so the frozen EventStoreDB client stays out of SQLite deployments.
  const { EventStoreDbEventStore } = await import('./eventstoredb/eventstoredb-event-store');
  return new EventStoreDbEventStore(options.url);
}
