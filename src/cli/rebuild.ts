import { rmSync } from 'node:fs';
import { EventStore } from '../event-store/event-store.port';
import { RebuildProgress, projectUntil, SqliteScratch, swapIn } from '../projections/sqlite/sqlite-rebuild';
import { SqliteReadModelWriter } from '../projections/sqlite/sqlite-read-models';
import { openSqlite } from '../sqlite/open-sqlite';

export const scratchPathOf = (livePath: string): string => `${livePath}.rebuild`;

/**
 * Rebuilds every read model into a scratch copy next to the live one — a scan of the log by stream,
 * then the events appended meanwhile — and swaps the tables in one transaction. The live read models
 * keep serving until then; an interrupted rebuild resumes from its scratch copy. Webhook deliveries
 * are history: the live outbox is brought to the same position (it enqueues what is new) and kept.
 */
export async function rebuild(store: EventStore, livePath: string, progress: RebuildProgress): Promise<{ events: number; position: bigint }> {
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
