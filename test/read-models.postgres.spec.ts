import { readModelContract } from '../src/projections/contract/read-model.contract';
import { PostgresReadModelReader, PostgresReadModelWriter } from '../src/projections/postgres/postgres-read-models';
import { freshDatabase } from './support/postgres';

jest.setTimeout(60_000);

/** The shared contract on a fresh database of the run's throwaway cluster per test; each writer and reader has a pool of its own (as nodes do). */
readModelContract('postgres', async () => {
  const url = await freshDatabase('read_models');
  return {
    writer: () => PostgresReadModelWriter.open({ url, poolSize: 4 }),
    reader: async () => PostgresReadModelReader.open({ url, poolSize: 4 }),
    dispose: async () => undefined,
  };
});
