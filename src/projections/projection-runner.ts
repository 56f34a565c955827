import type Database from 'better-sqlite3';
import { EventStore } from '../event-store/event-store.port';
import { Projection } from './projection';

const BATCH = 2000;

/**
 * Feeds one projection from the global log with a stored checkpoint. Several processes may
 * run it against one database: the checkpoint is re-read inside the write transaction, so
 * each event is applied once whoever gets there first.
 */
export class ProjectionRunner {
  private checkpoint = -1n;
  private running: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly getCheckpoint: Database.Statement<[string], { position: number }>;
  private readonly setCheckpoint: Database.Statement<[string, number]>;

  constructor(
    private readonly store: EventStore,
    private readonly db: Database.Database,
    private readonly projection: Projection,
  ) {
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

  private storedCheckpoint(): bigint {
    const row = this.getCheckpoint.get(this.projection.name);
    return row ? BigInt(row.position) : -1n;
  }

  /** Resolves once every event up to `position` is in the read model. */
  async catchUpTo(position: bigint): Promise<void> {
    while (this.checkpoint < position) {
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
    if (!this.running) {
      this.running = this.drain().finally(() => {
        this.running = null;
      });
    }
    return this.running;
  }

  private async drain(): Promise<void> {
    for (;;) {
      const from = this.storedCheckpoint();
      const events = await this.store.readAll({ after: from, maxCount: BATCH });
      if (events.length === 0) {
        this.checkpoint = from > this.checkpoint ? from : this.checkpoint;
        return;
      }
      this.db
        .transaction(() => {
          const current = this.storedCheckpoint();
          const fresh = events.filter((e) => e.position > current);
          if (fresh.length > 0) {
            this.projection.apply(this.db, fresh);
            this.setCheckpoint.run(this.projection.name, Number(fresh[fresh.length - 1].position));
          }
        })
        .immediate();
      this.checkpoint = this.storedCheckpoint();
      if (events.length < BATCH) return;
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

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Rebuilds the read model from the start of the log. */
  async rebuild(): Promise<void> {
    await this.running;
    this.db
      .transaction(() => {
        this.projection.reset(this.db);
        this.setCheckpoint.run(this.projection.name, -1);
      })
      .immediate();
    this.checkpoint = -1n;
    await this.catchUpToHead();
  }
}
