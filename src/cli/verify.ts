import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventStore } from '../event-store/event-store.port';
import { StreamFailure } from '../projections/read-model-store.port';
import { compareDerived, Difference, projectUntil, SqliteScratch } from '../projections/sqlite/sqlite-rebuild';
import { SqliteReadModelReader, SqliteReadModelWriter } from '../projections/sqlite/sqlite-read-models';
import { openSqlite } from '../sqlite/open-sqlite';

export interface VerifyResult {
  position: bigint;
  differences: Difference[];
  /** Streams the live read models stopped at an event they could not apply. */
  stopped: StreamFailure[];
}

/**
 * Rebuilds every read model into a scratch copy at the live models' position and compares them row by
 * row (JSON by value). The live models are first brought up to the log's head; then a read
 * transaction pins them while the copy is built.
 */
export async function verify(store: EventStore, livePath: string, options: { maxDifferences: number }): Promise<VerifyResult> {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-verify-'));
  const liveDb = openSqlite(livePath, { synchronous: 'NORMAL' });
  const scratch = new SqliteScratch(join(dir, 'rebuilt.sqlite'));
  try {
    await projectUntil(store, new SqliteReadModelWriter(liveDb), await store.headPosition());
    liveDb.exec('BEGIN');
    try {
      const live = new SqliteReadModelReader(liveDb);
      const position = await live.checkpoint();
      await scratch.scan(store, position, { start: () => undefined, update: () => undefined, stop: () => undefined });
      return { position, differences: compareDerived(liveDb, scratch.db, options.maxDifferences), stopped: await live.stoppedStreams() };
    } finally {
      liveDb.exec('COMMIT');
    }
  } finally {
    scratch.close();
    liveDb.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
