import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventStore } from '../event-store/event-store.port';
import { createPostgresPool } from '../postgres/postgres-pool';
import { LIVE, VERIFY_SCRATCH } from '../projections/postgres/postgres-read-model-schema';
import { PostgresReadModelWriter } from '../projections/postgres/postgres-read-models';
import { derivedRows, PostgresScratch, sideBySide, withRebuildLock } from '../projections/postgres/postgres-rebuild';
import { isPostgresLocation, ReadModelLocation } from '../projections/read-model-store.factory';
import { StreamFailure } from '../projections/read-model-store.port';
import { compareRows, Difference } from '../projections/rebuild/compare-rows';
import { projectUntil, SILENT } from '../projections/rebuild/rebuild-progress';
import { compareDerived, SqliteScratch } from '../projections/sqlite/sqlite-rebuild';
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
export async function verify(store: EventStore, location: ReadModelLocation, options: { maxDifferences: number }): Promise<VerifyResult> {
  if (isPostgresLocation(location)) return verifyPostgres(store, location, options);
  const dir = mkdtempSync(join(tmpdir(), 'ledger-verify-'));
  const liveDb = openSqlite(location.sqlitePath, { synchronous: 'NORMAL' });
  const scratch = new SqliteScratch(join(dir, 'rebuilt.sqlite'));
  try {
    await projectUntil(store, new SqliteReadModelWriter(liveDb), await store.headPosition());
    liveDb.exec('BEGIN');
    try {
      const live = new SqliteReadModelReader(liveDb);
      const position = await live.checkpoint();
      await scratch.scan(store, position, SILENT);
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

/**
 * The same on PostgreSQL: the scratch copy in `ledger_rv_*` tables (dropped afterwards), the live
 * models pinned by a REPEATABLE READ snapshot (their position and every row compared come from it)
 * while nodes keep writing.
 */
async function verifyPostgres(store: EventStore, location: { postgresUrl: string; poolSize: number }, options: { maxDifferences: number }): Promise<VerifyResult> {
  const pool = createPostgresPool({ url: location.postgresUrl, size: Math.max(location.poolSize, 4), applicationName: 'ledger verify' });
  try {
    return await withRebuildLock(pool, async () => {
      await projectUntil(store, await PostgresReadModelWriter.onPool(pool), await store.headPosition());
      // Left over by a verify that was interrupted: it never holds anything worth keeping.
      await (await PostgresScratch.open(pool, VERIFY_SCRATCH)).drop();
      const scratch = await PostgresScratch.open(pool, VERIFY_SCRATCH);
      const snapshot = await pool.connect();
      try {
        await snapshot.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        const position = BigInt((await snapshot.query<{ position: string }>(`SELECT position FROM ${LIVE}checkpoint WHERE id = 1`)).rows[0].position);
        await scratch.scan(store, position, SILENT);
        const live = await derivedRows(snapshot, LIVE);
        const differences = compareRows(sideBySide(live, await derivedRows(pool, VERIFY_SCRATCH)), options.maxDifferences);
        await snapshot.query('COMMIT');
        const stopped = [...(live.get('stopped') ?? new Map()).values()]
          .map((r) => ({ stream_id: String(r.get('stream_id')), position: BigInt(String(r.get('position'))), event_type: String(r.get('event_type')), error: String(r.get('error')) }))
          .sort((a, b) => (a.position < b.position ? -1 : a.position > b.position ? 1 : 0));
        return { position, differences, stopped };
      } finally {
        // Never handed back mid-transaction (a failure above): the pool ends right after anyway.
        snapshot.release(true);
        await scratch.drop();
      }
    });
  } finally {
    await pool.end();
  }
}
