import type Database from 'better-sqlite3';

/**
 * Version of the derived tables below. A file with another version has its derived tables dropped
 * and rebuilt from the log by the projector; the outbox (history) is kept.
 */
export const READ_MODEL_VERSION = '3';

const DERIVED = `
CREATE TABLE IF NOT EXISTS profiles (
  id               INTEGER PRIMARY KEY,
  profile_id       TEXT    NOT NULL UNIQUE,
  app_id           TEXT    NOT NULL,
  customer_user_id TEXT,
  revision         INTEGER NOT NULL,
  view             TEXT    NOT NULL,
  next_expiry_at   INTEGER
);
CREATE INDEX IF NOT EXISTS profiles_customer ON profiles (app_id, customer_user_id);
CREATE INDEX IF NOT EXISTS profiles_expiry ON profiles (next_expiry_at) WHERE next_expiry_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS webhook_endpoints (
  id TEXT PRIMARY KEY, app_id TEXT NOT NULL, endpoint TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS webhook_endpoints_app ON webhook_endpoints (app_id);
CREATE TABLE IF NOT EXISTS stopped_streams (
  stream_id TEXT PRIMARY KEY, position INTEGER NOT NULL, event_type TEXT NOT NULL, error TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS checkpoint (
  id INTEGER PRIMARY KEY CHECK (id = 1), position INTEGER NOT NULL
);
INSERT OR IGNORE INTO checkpoint (id, position) VALUES (1, -1);
`;

/** Tables a rebuild replaces and verify compares, with their keys (row ids are storage detail). */
export const DERIVED_TABLES: Array<{ table: string; key: string }> = [
  { table: 'profiles', key: 'profile_id' },
  { table: 'webhook_endpoints', key: 'id' },
  { table: 'stopped_streams', key: 'stream_id' },
];

const OUTBOX = `
CREATE TABLE IF NOT EXISTS webhook_deliveries (
  seq              INTEGER PRIMARY KEY AUTOINCREMENT,
  id               TEXT    NOT NULL UNIQUE,
  endpoint_id      TEXT    NOT NULL,
  app_id           TEXT    NOT NULL,
  profile_id       TEXT    NOT NULL,
  profile_sequence INTEGER NOT NULL,
  event_type       TEXT    NOT NULL,
  payload          TEXT    NOT NULL,
  status           TEXT    NOT NULL DEFAULT 'pending',
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_attempt_at  INTEGER NOT NULL,
  lease_until      INTEGER,
  last_status      INTEGER,
  last_error       TEXT,
  last_response_excerpt TEXT,
  last_attempt_at  INTEGER,
  created_at       INTEGER NOT NULL,
  enqueued_at      INTEGER NOT NULL,
  delivered_at     INTEGER
);
-- Pending deliveries in sequence order: the poll for work walks this.
CREATE INDEX IF NOT EXISTS webhook_deliveries_pending ON webhook_deliveries (seq) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS webhook_deliveries_order ON webhook_deliveries (endpoint_id, profile_id, status, seq);
CREATE INDEX IF NOT EXISTS webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, seq);
CREATE INDEX IF NOT EXISTS webhook_deliveries_profile ON webhook_deliveries (profile_id, seq);
CREATE INDEX IF NOT EXISTS webhook_deliveries_failed ON webhook_deliveries (seq) WHERE status = 'failed';
CREATE TABLE IF NOT EXISTS read_model_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
`;

/** Tables of read-model layouts before this one: dropped on upgrade (rebuilt from the log). */
const OLD_DERIVED = ['profile_status', 'expiry_schedule', 'webhook_sequences', 'projection_checkpoints'];

/**
 * Creates or upgrades the schema; idempotent, safe when several processes open the file at once
 * (the upgrade runs under the write lock and checks the version again inside it).
 */
export function ensureReadModelSchema(db: Database.Database): void {
  db.transaction(() => {
    db.exec(OUTBOX);
    const columns = db.prepare<[], { name: string }>(`SELECT name FROM pragma_table_info('webhook_deliveries')`).all();
    if (!columns.some((c) => c.name === 'last_response_excerpt')) db.exec('ALTER TABLE webhook_deliveries ADD COLUMN last_response_excerpt TEXT');
    const version = db.prepare<[], string>(`SELECT value FROM read_model_meta WHERE key = 'version'`).pluck().get();
    if (version !== READ_MODEL_VERSION) {
      for (const table of [...OLD_DERIVED, ...DERIVED_TABLES.map((t) => t.table), 'checkpoint']) db.exec(`DROP TABLE IF EXISTS ${table}`);
      db.prepare(`INSERT INTO read_model_meta (key, value) VALUES ('version', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`).run(
        READ_MODEL_VERSION,
      );
    }
    db.exec(DERIVED);
  }).immediate();
}
