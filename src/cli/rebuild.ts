import { rmSync } from 'node:fs';
import { EventStore } from '../event-store/event-store.port';
import { ReadModelSet, REBUILT_TABLES } from './read-model-set';

export interface RebuildProgress {
  start(total: number): void;
  update(events: number, position: bigint): void;
  stop(): void;
}

export const scratchPathOf = (livePath: string): string => `${livePath}.rebuild`;

/**
 * Rebuilds every read model into a scratch database next to the live one (resumable: a rerun
 * continues from the scratch checkpoints), then swaps the tables in one transaction. The live
 * read models keep serving until the new ones are complete.
 */
export async function rebuild(store: EventStore, livePath: string, progress: RebuildProgress): Promise<{ events: number; position: bigint }> {
  const scratchPath = scratchPathOf(livePath);
  let events = 0;
  const scratch = ReadModelSet.open(store, scratchPath, {
    live: false,
    scratch: true,
    batch: 20_000,
    onProgress: (applied, position) => {
      events += applied;
      progress.update(events, position);
    },
  });
  const live = ReadModelSet.open(store, livePath, { live: true });
  let done = false;
  try {
    for (;;) {
      const head = await store.headPosition();
      progress.start(Number(head < 0n ? 0n : head));
      if (head < 0n) {
        progress.stop();
        done = true;
        return { events, position: head };
      }
      await scratch.runUntil(head);
      await live.runUntil(head);
      if (swap(live, scratchPath, head)) {
        progress.stop();
        done = true;
        return { events, position: head };
      }
    }
  } finally {
    scratch.close();
    live.close();
    // An interrupted rebuild keeps its scratch copy, so the next run resumes from there.
    if (done) for (const suffix of ['', '-wal', '-shm']) rmSync(`${scratchPath}${suffix}`, { force: true });
  }
}

/** Replaces the live tables with the rebuilt ones, if the live models are exactly at `head` (else: try again). */
function swap(live: ReadModelSet, scratchPath: string, head: bigint): boolean {
  const db = live.db;
  db.prepare('ATTACH DATABASE ? AS rebuilt').run(scratchPath);
  try {
    return db
      .transaction(() => {
        const rows = db.prepare<[], { position: number }>('SELECT position FROM projection_checkpoints').all();
        const scratchRows = db.prepare<[], { position: number }>('SELECT position FROM rebuilt.projection_checkpoints').all();
        const atHead = (list: Array<{ position: number }>) => list.length > 0 && list.every((r) => BigInt(r.position) === head);
        if (!atHead(rows) || !atHead(scratchRows)) return false;
        for (const { table } of REBUILT_TABLES) {
          db.exec(`DELETE FROM main.${table}; INSERT INTO main.${table} SELECT * FROM rebuilt.${table};`);
        }
        return true;
      })
      .immediate();
  } finally {
    db.exec('DETACH DATABASE rebuilt');
  }
}
