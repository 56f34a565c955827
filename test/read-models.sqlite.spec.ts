import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readModelContract } from '../src/projections/contract/read-model.contract';
import { SqliteReadModelReader, SqliteReadModelWriter } from '../src/projections/sqlite/sqlite-read-models';

/** The shared contract on a fresh SQLite file per test; each writer and reader is a connection of its own. */
readModelContract('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-read-models-'));
  const path = join(dir, 'projections.sqlite');
  return {
    writer: async () => SqliteReadModelWriter.open(path),
    reader: async () => SqliteReadModelReader.open(path),
    dispose: async () => rmSync(dir, { recursive: true, force: true }),
  };
});
