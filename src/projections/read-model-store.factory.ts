import { ReadModelReader, ReadModelWriter } from './read-model-store.port';
import { SqliteReadModelReader, SqliteReadModelWriter } from './sqlite/sqlite-read-models';

/** Where the read models live: a SQLite file (default, beside the log). */
export interface ReadModelLocation {
  sqlitePath: string;
}

export async function openReadModelWriter(location: ReadModelLocation): Promise<ReadModelWriter> {
  return SqliteReadModelWriter.open(location.sqlitePath);
}

/** Open after a writer has created the schema. */
export async function openReadModelReader(location: ReadModelLocation): Promise<ReadModelReader> {
  return SqliteReadModelReader.open(location.sqlitePath);
}
