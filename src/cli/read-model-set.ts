import type Database from 'better-sqlite3';
import { EventStore } from '../event-store/event-store.port';
import { openSqlite } from '../event-store/sqlite/sqlite-event-store';
import { ProjectionRunner, RunnerOptions } from '../projections/projection-runner';
import { ProfileStatusProjection } from '../projections/profile-status/profile-status.projection';
import { WebhookOutboxProjection } from '../projections/webhook-outbox/webhook-outbox.projection';

/** Tables a rebuild replaces and verify compares, with their keys. Deliveries are history, not derived state. */
export const REBUILT_TABLES: Array<{ table: string; key: string }> = [
  { table: 'profile_status', key: 'profile_id' },
  { table: 'expiry_schedule', key: 'profile_id' },
  { table: 'webhook_sequences', key: 'profile_id' },
  { table: 'webhook_endpoints', key: 'id' },
];

/** Every projection over one SQLite database: the live one or a scratch one being rebuilt. */
export class ReadModelSet {
  readonly runners: ProjectionRunner[];

  constructor(
    store: EventStore,
    readonly db: Database.Database,
    options: { live: boolean } & RunnerOptions,
  ) {
    this.runners = [
      new ProjectionRunner(store, db, new ProfileStatusProjection(store), options),
      new ProjectionRunner(store, db, new WebhookOutboxProjection(store, { enqueue: options.live }), options),
    ];
  }

  static open(store: EventStore, path: string, options: { live: boolean; scratch?: boolean } & RunnerOptions): ReadModelSet {
    const db = openSqlite(path, 'NORMAL');
    // A scratch copy can always be made again from the log: no need to wait for the disk.
    if (options.scratch) db.pragma('synchronous = OFF');
    return new ReadModelSet(store, db, options);
  }

  async runUntil(position: bigint): Promise<void> {
    for (const r of this.runners) await r.runUntil(position);
  }

  runner(name: string): ProjectionRunner {
    const found = this.runners.find((r) => r.name === name);
    if (!found) throw new Error(`no projection named ${name}`);
    return found;
  }

  /** Brings each projection to the position given for its name (another set's checkpoints). */
  async runEachUntil(positions: Map<string, bigint>): Promise<void> {
    for (const r of this.runners) await r.runUntil(positions.get(r.name) ?? -1n);
  }

  close(): void {
    this.db.close();
  }
}
