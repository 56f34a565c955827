import type Database from 'better-sqlite3';
import { EventStore } from '../event-store/event-store.port';
import { openSqlite } from '../event-store/sqlite/sqlite-event-store';
import { ProjectionRunner } from './projection-runner';
import { ProfileStatusProjection } from './profile-status/profile-status.projection';

/**
 * The read models and the runners that keep them in step with the log. Read models can be
 * rebuilt from the log, so their database commits with synchronous=NORMAL.
 */
export class ReadModels {
  readonly db: Database.Database;
  readonly profileStatus = new ProfileStatusProjection();
  readonly profileStatusRunner: ProjectionRunner;

  constructor(store: EventStore, path: string) {
    this.db = openSqlite(path, 'NORMAL');
    this.profileStatusRunner = new ProjectionRunner(store, this.db, this.profileStatus);
  }

  close(): void {
    this.profileStatusRunner.stop();
    this.db.close();
  }
}
