import { PostgresReadModelReader, PostgresReadModelWriter } from './postgres/postgres-read-models';
import { ReadModelReader, ReadModelWriter } from './read-model-store.port';
import { SqliteReadModelReader, SqliteReadModelWriter } from './sqlite/sqlite-read-models';

/** Where the read models live: a SQLite file beside one node, or a PostgreSQL database every node shares. */
export type ReadModelLocation = { sqlitePath: string } | { postgresUrl: string; poolSize: number };

export const isPostgresLocation = (location: ReadModelLocation): location is { postgresUrl: string; poolSize: number } => 'postgresUrl' in location;

export async function openReadModelWriter(location: ReadModelLocation): Promise<ReadModelWriter> {
  if (!isPostgresLocation(location)) return SqliteReadModelWriter.open(location.sqlitePath);
  return PostgresReadModelWriter.open({ url: location.postgresUrl, poolSize: location.poolSize });
}

/** Open after a writer has created the schema. */
export async function openReadModelReader(location: ReadModelLocation): Promise<ReadModelReader> {
  if (!isPostgresLocation(location)) return SqliteReadModelReader.open(location.sqlitePath);
  return PostgresReadModelReader.open({ url: location.postgresUrl, poolSize: location.poolSize });
}
