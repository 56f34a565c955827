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
      // Only the live outbox has to walk the log itself (it queues deliveries); the other live
      // models are replaced whole by the swap.
      await live.runner('webhook_outbox').runUntil(head);
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

/**
 * Replaces the live tables with the rebuilt ones and moves the live checkpoints to `head`, if
 * the rebuilt models and the live outbox are exactly at `head` (else the caller goes round again).
 */
function swap(live: ReadModelSet, scratchPath: string, head: bigint): boolean {
  const db = live.db;
  db.prepare('ATTACH DATABASE ? AS rebuilt').run(scratchPath);
  try {
    return db
      .transaction(() => {
        const position = (schema: string, name: string) =>
          db.prepare<[string], { position: number }>(`SELECT position FROM ${schema}.projection_checkpoints WHERE name = ?`).get(name)?.position;
        const scratchAtHead = live.runners.every((r) => position('rebuilt', r.name) === Number(head));
        if (!scratchAtHead || position('main', 'webhook_outbox') !== Number(head)) return false;
        for (const { table } of REBUILT_TABLES) {
          db.exec(`DELETE FROM main.${table}; INSERT INTO main.${table} SELECT * FROM rebuilt.${table};`);
        }
        db.prepare(
          'INSERT INTO main.projection_checkpoints (name, position) SELECT name, position FROM rebuilt.projection_checkpoints WHERE true ON CONFLICT(name) DO UPDATE SET position = excluded.position',
        ).run();
        return true;
      })
      .immediate();
  } finally {
    db.exec('DETACH DATABASE rebuilt');
  }
}
