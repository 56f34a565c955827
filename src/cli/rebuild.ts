import { rmSync } from 'node:fs';
import { EventStore } from '../event-store/event-store.port';
import { createPostgresPool } from '../postgres/postgres-pool';
import { SCRATCH } from '../projections/postgres/postgres-read-model-schema';
import { PostgresReadModelWriter } from '../projections/postgres/postgres-read-models';
import { PostgresScratch, swapIn as swapInPostgres, withRebuildLock } from '../projections/postgres/postgres-rebuild';
import { isPostgresLocation, ReadModelLocation } from '../projections/read-model-store.factory';
import { projectUntil, RebuildProgress } from '../projections/rebuild/rebuild-progress';
import { SqliteScratch, swapIn } from '../projections/sqlite/sqlite-rebuild';
import { SqliteReadModelWriter } from '../projections/sqlite/sqlite-read-models';
import { openSqlite } from '../sqlite/open-sqlite';

export const scratchPathOf = (livePath: string): string => `${livePath}.rebuild`;

export interface RebuildResult {
  events: number;
  position: bigint;
}

/**
 * Rebuilds every read model into a scratch copy next to the live one — a scan of the log by stream,
 * then the events appended meanwhile — and swaps the tables in one transaction. The live read models
 * keep serving until then; an interrupted rebuild resumes from its scratch copy. Webhook deliveries
 * are history: the live outbox is brought to the same position (it enqueues what is new) and kept.
 */
export async function rebuild(store: EventStore, location: ReadModelLocation, progress: RebuildProgress): Promise<RebuildResult> {
  if (isPostgresLocation(location)) return rebuildPostgres(store, location, progress);
  const livePath = location.sqlitePath;
  const scratchPath = scratchPathOf(livePath);
  const scratch = new SqliteScratch(scratchPath);
  const liveDb = openSqlite(livePath, { synchronous: 'NORMAL' });
  const live = new SqliteReadModelWriter(liveDb);
  let done = false;
  try {
    const events = await scratch.scan(store, await store.headPosition(), progress);
    progress.stop();
    for (;;) {
      const head = await store.headPosition();
      await projectUntil(store, new SqliteReadModelWriter(scratch.db), head);
      await projectUntil(store, live, head);
      if (swapIn(liveDb, scratchPath)) {
        done = true;
        return { events, position: scratch.checkpoint };
      }
    }
  } finally {
    scratch.close();
    await live.close();
    // An interrupted rebuild keeps its scratch copy, so the next run resumes from there.
    if (done) for (const suffix of ['', '-wal', '-shm']) rmSync(`${scratchPath}${suffix}`, { force: true });
  }
}

/**
 * The same on PostgreSQL, with the scratch copy in `ledger_rs_*` tables beside the live ones, while
 * every node keeps serving and projecting: the swap waits for their commits, and theirs for it.
 */
async function rebuildPostgres(store: EventStore, location: { postgresUrl: string; poolSize: number }, progress: RebuildProgress): Promise<RebuildResult> {
  const pool = createPostgresPool({ url: location.postgresUrl, size: Math.max(location.poolSize, 4), applicationName: 'ledger rebuild' });
  try {
    return await withRebuildLock(pool, async () => {
      const live = await PostgresReadModelWriter.onPool(pool);
      const scratch = await PostgresScratch.open(pool, SCRATCH);
      const events = await scratch.scan(store, await store.headPosition(), progress);
      progress.stop();
      for (;;) {
        const head = await store.headPosition();
        await projectUntil(store, scratch.writer(), head);
        await projectUntil(store, live, head);
        if (await swapInPostgres(pool, scratch)) {
          const position = await scratch.checkpoint();
          // An interrupted rebuild keeps its scratch tables, so the next run resumes from there.
          await scratch.drop();
          return { events, position };
        }
      }
    });
  } finally {
    await pool.end();
  }
}
