import Database from 'better-sqlite3';
import { SqliteReadModelReader, SqliteReadModelWriter } from './sqlite-read-models';

describe('read models: a projections file of an earlier layout', () => {
  it('keeps its deliveries (history), gets the new outbox column, and drops the derived tables to rebuild them', async () => {
    const db = new Database(':memory:');
    try {
      // The table as earlier versions created it; deliveries are history that a rebuild keeps.
      db.exec(`
        CREATE TABLE webhook_deliveries (
          seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, endpoint_id TEXT NOT NULL, app_id TEXT NOT NULL,
          profile_id TEXT NOT NULL, profile_sequence INTEGER NOT NULL, event_type TEXT NOT NULL, payload TEXT NOT NULL,
          status TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL,
          lease_until INTEGER, last_status INTEGER, last_error TEXT, last_attempt_at INTEGER, created_at INTEGER NOT NULL,
          enqueued_at INTEGER NOT NULL, delivered_at INTEGER);
        INSERT INTO webhook_deliveries (id, endpoint_id, app_id, profile_id, profile_sequence, event_type, payload, status, attempts,
          next_attempt_at, last_status, last_error, created_at, enqueued_at)
        VALUES ('d1', 'e1', 'app1', 'p1', 1, 'access_level_updated', '{}', 'failed', 4, 0, 503, 'HTTP 503', 0, 0);
        CREATE TABLE profile_status (id INTEGER PRIMARY KEY, profile_id TEXT NOT NULL UNIQUE, app_id TEXT NOT NULL, customer_user_id TEXT, view TEXT NOT NULL);
        CREATE TABLE projection_checkpoints (name TEXT PRIMARY KEY, position INTEGER NOT NULL);
        INSERT INTO projection_checkpoints VALUES ('profile_status', 41);
      `);
      const writer = new SqliteReadModelWriter(db);
      new SqliteReadModelWriter(db); // and again on the next start: nothing to add
      expect(await writer.checkpoint()).toBe(-1n);
      const tables = db.prepare<[], string>(`SELECT name FROM sqlite_master WHERE type = 'table'`).pluck().all();
      expect(tables).not.toContain('profile_status');
      expect(tables).not.toContain('projection_checkpoints');
      const [delivery] = await new SqliteReadModelReader(db).deliveries('app1', 'e1', 10);
      expect(delivery).toMatchObject({ id: 'd1', status: 'failed', last_response_status: 503, last_response_excerpt: null, last_error: 'HTTP 503' });
    } finally {
      db.close();
    }
  });
});
