import type Database from 'better-sqlite3';
import { nextExpiryAt } from '../../domain/profile/expiry';
import { ProfileState } from '../../domain/profile/profile.state';
import { EventStore, RecordedEvent } from '../../event-store/event-store.port';
import { ExpirySchedule } from '../expiry-schedule/expiry-schedule';
import { ProfileFolds, profileIdOf } from '../profile-folds';
import { Projection } from '../projection';
import { ProfileReadModel, toReadModel } from './profile-read-model';

/**
 * Current status of every profile, as GET serves it. Only the read model is stored (a small
 * row per profile, found through its rowid); the folded state lives in memory (ProfileFolds).
 */
export class ProfileStatusProjection implements Projection {
  readonly name = 'profile_status';
  readonly expirySchedule = new ExpirySchedule();
  private readonly folds: ProfileFolds;
  private readonly changeListeners: Array<(profileId: string) => void> = [];
  private statements?: ReturnType<ProfileStatusProjection['statementsFor']>;

  constructor(store: EventStore) {
    this.folds = new ProfileFolds(store);
  }

  setup(db: Database.Database): void {
    this.expirySchedule.setup(db);
    db.exec(`
      CREATE TABLE IF NOT EXISTS profile_status (
        id               INTEGER PRIMARY KEY,
        profile_id       TEXT NOT NULL UNIQUE,
        app_id           TEXT NOT NULL,
        customer_user_id TEXT,
        view             TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS profile_status_customer ON profile_status (app_id, customer_user_id);
    `);
    this.statements = this.statementsFor(db);
  }

  private statementsFor(db: Database.Database) {
    return {
      upsert: db.prepare(
        `INSERT INTO profile_status (profile_id, app_id, customer_user_id, view) VALUES (?, ?, ?, ?)
         ON CONFLICT(profile_id) DO UPDATE SET app_id = excluded.app_id, customer_user_id = excluded.customer_user_id, view = excluded.view`,
      ),
      remove: db.prepare('DELETE FROM profile_status WHERE profile_id = ?'),
      byId: db.prepare<[string, string], { view: string }>('SELECT view FROM profile_status WHERE profile_id = ? AND app_id = ?'),
      byCustomer: db.prepare<[string, string], { view: string }>(
        'SELECT view FROM profile_status WHERE app_id = ? AND customer_user_id = ? LIMIT 1',
      ),
    };
  }

  private get s() {
    if (!this.statements) throw new Error('ProfileStatusProjection used before setup');
    return this.statements;
  }

  beforeBatch(events: RecordedEvent[]): Promise<void> {
    return this.folds.prepare(events);
  }

  apply(_db: Database.Database, events: RecordedEvent[]): void {
    const touched = new Map<string, ProfileState | null>();
    for (const e of events) {
      if (e.type === 'ProfileErased') {
        const id = String(e.data.profile_id);
        this.folds.forget(id);
        touched.set(id, null);
        continue;
      }
      const id = profileIdOf(e);
      if (id === null) continue;
      touched.set(id, this.folds.fold(id, e).after);
    }
    for (const [id, state] of touched) {
      this.changeListeners.forEach((l) => l(id));
      if (!state?.exists) {
        this.s.remove.run(id);
        this.expirySchedule.set(id, '', null);
      } else {
        this.s.upsert.run(id, state.app_id, state.customer_user_id, JSON.stringify(toReadModel(state)));
        this.expirySchedule.set(id, state.app_id, nextExpiryAt(state));
      }
    }
  }

  rolledBack(): void {
    this.folds.clear();
  }

  /** Called for every profile whose row this projection rewrites (caches evict it). */
  onChange(listener: (profileId: string) => void): void {
    this.changeListeners.push(listener);
  }

  reset(db: Database.Database): void {
    db.exec('DELETE FROM profile_status');
    this.expirySchedule.reset(db);
    this.folds.clear();
  }

  findById(appId: string, profileId: string): ProfileReadModel | null {
    const row = this.s.byId.get(profileId, appId);
    return row ? (JSON.parse(row.view) as ProfileReadModel) : null;
  }

  findByCustomerUserId(appId: string, customerUserId: string): ProfileReadModel | null {
    const row = this.s.byCustomer.get(appId, customerUserId);
    return row ? (JSON.parse(row.view) as ProfileReadModel) : null;
  }
}
