import type Database from 'better-sqlite3';
import { EventStore } from '../event-store/event-store.port';
import { Projection } from './projection';
import { StaleFoldError } from './profile-folds';

export interface RunnerOptions {
  /** Events read and applied per transaction. */
  batch?: number;
  /** Called after each applied batch (progress bars). */
  onProgress?: (applied: number, position: bigint) => void;
}

/**
 * Feeds one projection from the global log with a stored checkpoint. Several processes may
 * run it against one database: the checkpoint is re-read inside the write transaction, so
 * each event is applied once whoever gets there first.
 */
export class ProjectionRunner {
  private checkpoint = -1n;
  private running: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly getCheckpoint: Database.Statement<[string], { position: number }>;
  private readonly setCheckpoint: Database.Statement<[string, number]>;

  private readonly batch: number;

  constructor(
    private readonly store: EventStore,
    private readonly db: Database.Database,
    private readonly projection: Projection,
    private readonly options: RunnerOptions = {},
  ) {
    this.batch = options.batch ?? 2000;
    db.exec('CREATE TABLE IF NOT EXISTS projection_checkpoints (name TEXT PRIMARY KEY, position INTEGER NOT NULL)');
    projection.setup(db);
    this.getCheckpoint = db.prepare('SELECT position FROM projection_checkpoints WHERE name = ?');
    this.setCheckpoint = db.prepare(
      'INSERT INTO projection_checkpoints (name, position) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET position = excluded.position',
    );
    this.checkpoint = this.storedCheckpoint();
  }

  get position(): bigint {
    return this.checkpoint;
  }

  get name(): string {
    return this.projection.name;
  }

  private storedCheckpoint(): bigint {
    const row = this.getCheckpoint.get(this.projection.name);
    return row ? BigInt(row.position) : -1n;
  }

  /** Resolves once every event up to `position` is in the read model. */
  async catchUpTo(position: bigint): Promise<void> {
    while (this.checkpoint < position && !this.stopped) {
      const before = this.checkpoint;
      await this.catchUp();
      if (this.checkpoint === before && this.checkpoint < position) {
        // Nothing newer was readable yet (another process may hold the write lock): try again shortly.
        await new Promise((r) => setTimeout(r, 2));
      }
    }
  }

  /** Catches up with whatever the log holds now (used by reads that must see other processes' writes). */
  async catchUpToHead(): Promise<void> {
    const head = await this.store.headPosition();
    if (head > this.checkpoint) await this.catchUpTo(head);
  }

  catchUp(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (!this.running) {
      this.running = this.drain().finally(() => {
        this.running = null;
      });
    }
    return this.running;
  }

  /** Applies the log up to `until` (inclusive; the head when omitted). */
  async runUntil(until?: bigint): Promise<void> {
    await this.running;
    await this.drain(until);
  }

  private async drain(until?: bigint): Promise<void> {
    for (;;) {
      const from = this.storedCheckpoint();
      if (until !== undefined && from >= until) {
        this.checkpoint = from;
        return;
      }
      const read = await this.store.readAll({ after: from, maxCount: this.batch });
      const events = until === undefined ? read : read.filter((e) => e.position <= until);
      if (events.length === 0) {
        this.checkpoint = from > this.checkpoint ? from : this.checkpoint;
        return;
      }
      let applied = 0;
      await this.projection.beforeBatch?.(events);
      try {
        this.db
          .transaction(() => {
            const current = this.storedCheckpoint();
            const fresh = events.filter((e) => e.position > current);
            if (fresh.length > 0) {
              this.projection.apply(this.db, fresh);
              this.setCheckpoint.run(this.projection.name, Number(fresh[fresh.length - 1].position));
              applied = fresh.length;
            }
          })
          .immediate();
      } catch (error) {
        this.projection.rolledBack?.();
        // Another process applied part of this batch meanwhile: read from its checkpoint again.
        if (error instanceof StaleFoldError) continue;
        throw error;
      }
      this.checkpoint = this.storedCheckpoint();
      this.options.onProgress?.(applied, this.checkpoint);
      if (read.length < this.batch || events.length < read.length) return;
    }
  }

  /** Polls the log so writes from other processes reach the read model without a request. */
  start(intervalMs: number, onError: (error: unknown) => void): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.catchUpToHead().catch(onError);
    }, intervalMs);
    this.timer.unref();
  }

  /** Stops polling and refuses further catch-ups; resolves once a running one has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
