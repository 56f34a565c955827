import type Database from 'better-sqlite3';
import { EventStore } from '../event-store/event-store.port';
import { openSqlite } from '../event-store/sqlite/sqlite-event-store';
import { ProjectionRunner } from './projection-runner';
import { ProfileStatusProjection } from './profile-status/profile-status.projection';
import { WebhookOutboxProjection } from './webhook-outbox/webhook-outbox.projection';
import { OutboxAdmin } from '../webhooks/outbox-admin';
import { RenderedProfiles } from './profile-status/rendered-profiles';

/**
 * The read models and the runners that keep them in step with the log. Read models can be
 * rebuilt from the log, so their database commits with synchronous=NORMAL.
 */
export class ReadModels {
  readonly db: Database.Database;
  readonly profileStatus: ProfileStatusProjection;
  readonly profileStatusRunner: ProjectionRunner;
  readonly webhookOutbox: WebhookOutboxProjection;
  readonly webhookOutboxRunner: ProjectionRunner;
  readonly outboxAdmin: OutboxAdmin;
  readonly renderedProfiles: RenderedProfiles;
  private readonly outboxListeners: Array<() => void> = [];

  constructor(store: EventStore, path: string) {
    this.db = openSqlite(path, 'NORMAL');
    this.profileStatus = new ProfileStatusProjection(store);
    this.webhookOutbox = new WebhookOutboxProjection(store);
    this.profileStatusRunner = new ProjectionRunner(store, this.db, this.profileStatus);
    this.webhookOutboxRunner = new ProjectionRunner(store, this.db, this.webhookOutbox);
    this.outboxAdmin = new OutboxAdmin(this.db);
    this.renderedProfiles = new RenderedProfiles(this.db);
    this.profileStatus.onChange((id) => this.renderedProfiles.evict(id));
  }

  get runners(): ProjectionRunner[] {
    return [this.profileStatusRunner, this.webhookOutboxRunner];
  }

  /** Called when something new may be in the outbox (the delivery worker listens). */
  onOutbox(listener: () => void): void {
    this.outboxListeners.push(listener);
  }

  /**
   * A write just committed: bring the read models up to date without making the writer wait.
   * Only a latency shortcut — polling, and every GET's catch-up, get there anyway, in any process.
   */
  kick(position: bigint, onError: (e: unknown) => void): void {
    this.profileStatusRunner.catchUpTo(position).catch(onError);
    this.webhookOutboxRunner
      .catchUpTo(position)
      .then(() => this.notifyOutbox())
      .catch(onError);
  }

  notifyOutbox(): void {
    this.outboxListeners.forEach((l) => l());
  }

  async close(): Promise<void> {
    await Promise.all(this.runners.map((r) => r.stop()));
    this.db.close();
  }
}
