import type Database from 'better-sqlite3';
import { PROFILE_EVENT_TYPES, ProfileEvent } from '../../domain/profile/profile.events';
import { evolve, initialProfileState, ProfileState } from '../../domain/profile/profile.state';
import { RecordedEvent } from '../../event-store/event-store.port';
import { nextExpiryAt } from '../../domain/profile/expiry';
import { ExpirySchedule } from '../expiry-schedule/expiry-schedule';
import { Projection } from '../projection';
import { ProfileReadModel, toReadModel } from './profile-read-model';

const PROFILE_STREAM = /^profile-(.+)$/;

/** Current status of every profile: its folded state (to evolve) and its read model (to serve). */
export class ProfileStatusProjection implements Projection {
  readonly name = 'profile_status';
  private statements?: ReturnType<ProfileStatusProjection['prepare']>;
  readonly expirySchedule = new ExpirySchedule();

  setup(db: Database.Database): void {
    this.expirySchedule.setup(db);
    db.exec(`
      CREATE TABLE IF NOT EXISTS profile_status (
        profile_id       TEXT PRIMARY KEY,
        app_id           TEXT NOT NULL,
        customer_user_id TEXT,
        state            TEXT NOT NULL,
        view             TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS profile_status_customer ON profile_status (app_id, customer_user_id);
    `);
    this.statements = this.prepare(db);
  }

  private prepare(db: Database.Database) {
    return {
      state: db.prepare<[string], { state: string }>('SELECT state FROM profile_status WHERE profile_id = ?'),
      upsert: db.prepare(
        `INSERT INTO profile_status (profile_id, app_id, customer_user_id, state, view) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(profile_id) DO UPDATE SET app_id = excluded.app_id, customer_user_id = excluded.customer_user_id,
         state = excluded.state, view = excluded.view`,
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

  apply(_db: Database.Database, events: RecordedEvent[]): void {
    const touched = new Map<string, ProfileState>();
    for (const e of events) {
      if (e.type === 'ProfileErased') {
        const id = String(e.data.profile_id);
        touched.set(id, { ...initialProfileState(), deleted: true });
        continue;
      }
      if (!PROFILE_EVENT_TYPES.has(e.type)) continue;
      const match = PROFILE_STREAM.exec(e.streamId);
      if (!match) continue;
      const id = match[1];
      const state = touched.get(id) ?? this.load(id);
      touched.set(id, evolve(state, { type: e.type, data: e.data } as unknown as ProfileEvent));
    }
    for (const [id, state] of touched) {
      if (!state.exists) this.s.remove.run(id);
      else {
        this.s.upsert.run(id, state.app_id, state.customer_user_id, JSON.stringify(state), JSON.stringify(toReadModel(state)));
      }
      this.expirySchedule.set(id, state.app_id, nextExpiryAt(state));
    }
  }

  private load(profileId: string): ProfileState {
    const row = this.s.state.get(profileId);
    return row ? (JSON.parse(row.state) as ProfileState) : initialProfileState();
  }

  reset(db: Database.Database): void {
    db.exec('DELETE FROM profile_status');
    this.expirySchedule.reset(db);
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
