import type Database from 'better-sqlite3';

/**
 * When each profile's next expiry falls due. Written by the profile-status projection in the
 * same transaction as the profile's state (it is a view of that same fold), read by the
 * expiry scheduler.
 */
export class ExpirySchedule {
  private statements?: ReturnType<ExpirySchedule['prepare']>;

  setup(db: Database.Database): void {
    db.exec(`
      CREATE TABLE IF NOT EXISTS expiry_schedule (
        profile_id TEXT PRIMARY KEY, app_id TEXT NOT NULL, due_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS expiry_schedule_due ON expiry_schedule (due_at);
    `);
    this.statements = this.prepare(db);
  }

  private prepare(db: Database.Database) {
    return {
      upsert: db.prepare(
        'INSERT INTO expiry_schedule (profile_id, app_id, due_at) VALUES (?, ?, ?) ON CONFLICT(profile_id) DO UPDATE SET due_at = excluded.due_at',
      ),
      remove: db.prepare('DELETE FROM expiry_schedule WHERE profile_id = ?'),
      due: db.prepare<[number, number], { profile_id: string; app_id: string; due_at: number }>(
        'SELECT profile_id, app_id, due_at FROM expiry_schedule WHERE due_at <= ? ORDER BY due_at LIMIT ?',
      ),
    };
  }

  private get s() {
    if (!this.statements) throw new Error('ExpirySchedule used before setup');
    return this.statements;
  }

  set(profileId: string, appId: string, dueAt: number | null): void {
    if (dueAt === null) this.s.remove.run(profileId);
    else this.s.upsert.run(profileId, appId, dueAt);
  }

  due(nowMs: number, limit: number): Array<{ profile_id: string; app_id: string; due_at: number }> {
    return this.s.due.all(nowMs, limit);
  }

  reset(db: Database.Database): void {
    db.exec('DELETE FROM expiry_schedule');
  }
}
