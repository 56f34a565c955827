import { LedgerConfig } from './config/config';
import { EventStoreOptions } from './event-store/event-store.factory';
import { ReadModelLocation } from './projections/read-model-store.factory';

/* Configuration → what the stores are opened with (the server and the command line agree). */

export const eventStoreOptionsOf = (config: LedgerConfig): EventStoreOptions => ({
  url: config.eventStoreUrl,
  sqliteSynchronous: config.sqliteSynchronous,
  pgPoolSize: config.pgPoolSize,
});

export const readModelLocationOf = (config: LedgerConfig): ReadModelLocation =>
  config.readModelUrl !== null ? { postgresUrl: config.readModelUrl, poolSize: config.pgPoolSize } : { sqlitePath: config.projectionsPath };
