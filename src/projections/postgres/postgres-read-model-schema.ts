import { Pool, PoolClient } from 'pg';
import { READ_MODEL_SETUP_LOCK } from '../../postgres/advisory-locks';

/**
 * The read models in PostgreSQL, shared by every node: the same tables as the SQLite adapter's,
 * prefixed `ledger_rm_` so they sit beside the event store's (`ledger_events`, `ledger_streams`,
 * `ledger_log`) in one database without clashing. Instants are epoch milliseconds (bigint), JSON
 * documents are text (served as stored, parsed by the reader that caches them).
 *
 * Version of the derived tables: a database with another version has them dropped and rebuilt
 * from the log by the projector; the outbox (history) is kept.
 */
export const PG_READ_MODEL_VERSION = '1';

/** Derived tables (rebuilt, compared by verify), with their keys. `prefix` names a scratch copy. */
export const PG_DERIVED_TABLES: Array<{ table: string; key: string }> = [
  { table: 'profiles', key: 'profile_id' },
  { table: 'endpoints', key: 'id' },
  { table: 'stopped', key: 'stream_id' },
];

/** The live tables are `ledger_rm_<name>`; a rebuild's scratch copy `ledger_rs_<name>`; a verify's `ledger_rv_<name>`. */
export const LIVE = 'ledger_rm_';
export const SCRATCH = 'ledger_rs_';
export const VERIFY_SCRATCH = 'ledger_rv_';

/** The derived tables and the checkpoint, under `prefix`. */
export const derivedTables = (prefix: string) => `
CREATE TABLE IF NOT EXISTS ${prefix}profiles (
  profile_id       text   PRIMARY KEY,
  app_id           text   NOT NULL,
  customer_user_id text,
  revision         bigint NOT NULL,
  view             text   NOT NULL,
  next_expiry_at   bigint
);
CREATE INDEX IF NOT EXISTS ${prefix}profiles_customer ON ${prefix}profiles (app_id, customer_user_id);
CREATE INDEX IF NOT EXISTS ${prefix}profiles_expiry ON ${prefix}profiles (next_expiry_at) WHERE next_expiry_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS ${prefix}endpoints (
  id text PRIMARY KEY, app_id text NOT NULL, endpoint text NOT NULL
);
CREATE INDEX IF NOT EXISTS ${prefix}endpoints_app ON ${prefix}endpoints (app_id);
CREATE TABLE IF NOT EXISTS ${prefix}stopped (
  stream_id text PRIMARY KEY, position bigint NOT NULL, event_type text NOT NULL, error text NOT NULL
);
-- generation: bumped by each rebuild's swap, so a batch computed before it is refused after it.
CREATE TABLE IF NOT EXISTS ${prefix}checkpoint (
  id smallint PRIMARY KEY CHECK (id = 1), position bigint NOT NULL, generation bigint NOT NULL DEFAULT 0
);
INSERT INTO ${prefix}checkpoint (id, position) VALUES (1, -1) ON CONFLICT (id) DO NOTHING;
`;

const OUTBOX = `
CREATE TABLE IF NOT EXISTS ledger_rm_deliveries (
  seq              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id               text    NOT NULL UNIQUE,
  endpoint_id      text    NOT NULL,
  app_id           text    NOT NULL,
  profile_id       text    NOT NULL,
  profile_sequence bigint  NOT NULL,
  event_type       text    NOT NULL,
  payload          text    NOT NULL,
  status           text    NOT NULL DEFAULT 'pending',
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  bigint  NOT NULL,
  lease_until      bigint,
  last_status      integer,
  last_error       text,
  last_response_excerpt text,
  last_attempt_at  bigint,
  created_at       bigint  NOT NULL,
  enqueued_at      bigint  NOT NULL,
  delivered_at     bigint
);
-- Pending deliveries in sequence order: the poll for work walks this.
CREATE INDEX IF NOT EXISTS ledger_rm_deliveries_pending ON ledger_rm_deliveries (seq) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS ledger_rm_deliveries_order ON ledger_rm_deliveries (endpoint_id, profile_id, seq) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS ledger_rm_deliveries_endpoint ON ledger_rm_deliveries (endpoint_id, seq);
CREATE INDEX IF NOT EXISTS ledger_rm_deliveries_profile ON ledger_rm_deliveries (profile_id, seq);
CREATE INDEX IF NOT EXISTS ledger_rm_deliveries_failed ON ledger_rm_deliveries (seq) WHERE status = 'failed';
CREATE TABLE IF NOT EXISTS ledger_rm_meta (key text PRIMARY KEY, value text NOT NULL);
`;

/** Runs `work` in one transaction on a connection of its own; rolls back if it throws. */
export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let healthy = false;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    healthy = true;
    return result;
  } finally {
    if (!healthy) healthy = await client.query('ROLLBACK').then(() => true, () => false);
    // A connection whose state is unknown is closed rather than handed to the next caller.
    client.release(!healthy);
  }
}

/**
 * Creates or upgrades the schema; idempotent, and safe when several nodes start at once: one
 * transaction under a setup lock (they wait for each other instead of failing on a duplicate
 * pg_type entry), which checks the version again inside it.
 */
export async function ensurePostgresReadModelSchema(pool: Pool): Promise<void> {
  await inTransaction(pool, async (client) => {
    await client.query(`SELECT pg_advisory_xact_lock(${READ_MODEL_SETUP_LOCK})`);
    await client.query(OUTBOX);
    const { rows } = await client.query<{ value: string }>(`SELECT value FROM ledger_rm_meta WHERE key = 'version'`);
    if (rows[0]?.value !== PG_READ_MODEL_VERSION) {
      for (const { table } of PG_DERIVED_TABLES) await client.query(`DROP TABLE IF EXISTS ${LIVE}${table}`);
      await client.query(`DROP TABLE IF EXISTS ${LIVE}checkpoint`);
      await client.query(
        `INSERT INTO ledger_rm_meta (key, value) VALUES ('version', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
        [PG_READ_MODEL_VERSION],
      );
    }
    await client.query(derivedTables(LIVE));
  });
}
