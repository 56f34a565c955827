import { Pool } from 'pg';
import { APPEND_LOCK, EVENT_STORE_SETUP_LOCK as SETUP_LOCK } from '../../postgres/advisory-locks';
import { EVENTS_CHANNEL as NOTIFY_CHANNEL } from '../../postgres/notify-channels';

/**
 * `data` and `metadata` are `json`, not `jsonb`: the log keeps each document exactly as the
 * caller wrote it (key order included, as the SQLite store does), and skips jsonb's conversion
 * on every append. Stream ids use the "C" collation: byte order, the order scanByStream returns.
 * Positions start at 1 and are handed out by `ledger_log` under the append lock, without gaps.
 */
const TABLES = `
CREATE TABLE IF NOT EXISTS ledger_events (
  position    bigint      PRIMARY KEY,
  event_id    text        NOT NULL UNIQUE,
  stream_id   text        COLLATE "C" NOT NULL,
  revision    bigint      NOT NULL,
  type        text        NOT NULL,
  data        json        NOT NULL,
  metadata    json        NOT NULL,
  recorded_at timestamptz NOT NULL,
  UNIQUE (stream_id, revision)
);
CREATE TABLE IF NOT EXISTS ledger_streams (
  stream_id text    COLLATE "C" PRIMARY KEY,
  revision  bigint  NOT NULL,
  deleted   boolean NOT NULL DEFAULT false
);
CREATE TABLE IF NOT EXISTS ledger_log (
  id            smallint PRIMARY KEY CHECK (id = 1),
  last_position bigint   NOT NULL
);
INSERT INTO ledger_log (id, last_position) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;
`;

export const APPEND_SIGNATURE = 'ledger_append_v1(text[], text[], integer[], timestamptz[], text[], text[], json[], json[])';
export const DELETE_SIGNATURE = 'ledger_delete_stream_v1(text)';

/**
 * One call appends a whole group commit: the i-th append is p_streams[i] with p_counts[i] events
 * (taken in order from the event arrays), expected revision p_expected[i] ('any', 'no_stream',
 * 'stream_exists' or a number) and instant p_recorded_at[i]. Each append is checked on its own
 * against the state its predecessors in the batch left, and yields one row: 'ok' with its last
 * revision and position, or why it was refused ('deleted', 'wrong_revision' with the actual
 * revision, 'duplicate_id' with the id). Refused appends write nothing; the rest commit together.
 *
 * No reader ever skips an event: the transaction takes APPEND_LOCK before it hands out
 * positions and keeps it until it has committed (PostgreSQL releases transaction locks after the
 * commit is visible). So positions become visible in the order they were handed out: a snapshot
 * that sees position p sees every position below it, and a reader paging by position can never
 * pass an event that commits later. The same lock makes the checks here race-free across
 * processes; UNIQUE (stream_id, revision) and UNIQUE (event_id) back them up.
 *
 * All work is set-based (seven statements per batch, however many appends), so the lock is held
 * for the batch's execution and its commit, never across a network round trip.
 *
 * Every statement in it is a keyed lookup. PL/pgSQL caches each statement's plan per connection;
 * one planned while the table was nearly empty would stay a sequential scan until the next
 * ANALYZE, costing milliseconds per call under the lock. `enable_seqscan = off` rules that out.
 */
const APPEND_FUNCTION = `
CREATE FUNCTION ledger_append_v1(
  p_streams text[], p_expected text[], p_counts integer[], p_recorded_at timestamptz[],
  p_ids text[], p_types text[], p_data json[], p_metadata json[])
RETURNS TABLE (outcome text, detail text, next_revision bigint, last_position bigint)
LANGUAGE plpgsql
SET enable_seqscan = off
AS $fn$
#variable_conflict use_column
DECLARE
  v_appends integer := coalesce(array_length(p_streams, 1), 0);
  v_first integer := 1;
  v_count integer;
  v_k integer;
  v_cur bigint;
  v_exp text;
  v_dup text;
  v_head bigint;
  v_start bigint;
  v_s_ids text[];
  v_s_revs bigint[];
  v_s_deleted boolean[];
  v_existing text[];
  v_repeated text[];
  v_taken text[] := '{}';
  v_acc_i integer[] := '{}';
  v_acc_ev integer[] := '{}';
  v_acc_pos bigint[] := '{}';
  v_acc_rev bigint[] := '{}';
BEGIN
  PERFORM pg_advisory_xact_lock(${APPEND_LOCK});
  SELECT l.last_position INTO v_head FROM ledger_log l WHERE l.id = 1;
  v_start := v_head;
  SELECT coalesce(array_agg(s.stream_id), '{}'), coalesce(array_agg(s.revision), '{}'), coalesce(array_agg(s.deleted), '{}')
    INTO v_s_ids, v_s_revs, v_s_deleted
    FROM ledger_streams s WHERE s.stream_id = ANY (p_streams);
  v_existing := ARRAY(SELECT e.event_id FROM ledger_events e WHERE e.event_id = ANY (p_ids));
  v_repeated := ARRAY(SELECT x FROM unnest(p_ids) AS x GROUP BY x HAVING count(*) > 1);
  FOR i IN 1 .. v_appends LOOP
    v_count := p_counts[i];
    v_k := array_position(v_s_ids, p_streams[i]);
    v_cur := CASE WHEN v_k IS NULL THEN NULL ELSE v_s_revs[v_k] END;
    v_exp := p_expected[i];
    outcome := 'ok'; detail := NULL; next_revision := NULL; last_position := NULL;
    IF v_k IS NOT NULL AND v_s_deleted[v_k] THEN
      outcome := 'deleted';
    ELSIF NOT (v_exp = 'any' OR (v_exp = 'no_stream' AND v_cur IS NULL)
               OR (v_exp = 'stream_exists' AND v_cur IS NOT NULL) OR v_cur::text IS NOT DISTINCT FROM v_exp) THEN
      outcome := 'wrong_revision';
      detail := v_cur::text;
    ELSE
      v_dup := NULL;
      FOR j IN v_first .. v_first + v_count - 1 LOOP
        IF p_ids[j] = ANY (v_existing)
           OR (p_ids[j] = ANY (v_repeated) AND (p_ids[j] = ANY (v_taken) OR p_ids[j] = ANY (p_ids[v_first : j - 1]))) THEN
          v_dup := p_ids[j];
          EXIT;
        END IF;
      END LOOP;
      IF v_dup IS NOT NULL THEN
        outcome := 'duplicate_id';
        detail := v_dup;
      ELSE
        IF cardinality(v_repeated) > 0 THEN v_taken := v_taken || p_ids[v_first : v_first + v_count - 1]; END IF;
        v_acc_i := v_acc_i || i;
        v_acc_ev := v_acc_ev || v_first;
        v_acc_pos := v_acc_pos || (v_head + 1);
        v_acc_rev := v_acc_rev || (coalesce(v_cur, -1) + 1);
        v_head := v_head + v_count;
        v_cur := coalesce(v_cur, -1) + v_count;
        IF v_k IS NULL THEN
          v_s_ids := v_s_ids || p_streams[i];
          v_s_revs := v_s_revs || v_cur;
          v_s_deleted := v_s_deleted || false;
        ELSE
          v_s_revs[v_k] := v_cur;
        END IF;
        next_revision := v_cur;
        last_position := v_head;
      END IF;
    END IF;
    RETURN NEXT;
    v_first := v_first + v_count;
  END LOOP;
  IF v_head > v_start THEN
    INSERT INTO ledger_events (position, event_id, stream_id, revision, type, data, metadata, recorded_at)
      SELECT a.pos + g, p_ids[a.ev + g], p_streams[a.i], a.rev + g, p_types[a.ev + g], p_data[a.ev + g], p_metadata[a.ev + g], p_recorded_at[a.i]
        FROM unnest(v_acc_i, v_acc_ev, v_acc_pos, v_acc_rev) AS a (i, ev, pos, rev),
             generate_series(0, p_counts[a.i] - 1) AS g;
    INSERT INTO ledger_streams (stream_id, revision)
      SELECT p_streams[a.i], max(a.rev + p_counts[a.i] - 1)
        FROM unnest(v_acc_i, v_acc_rev) AS a (i, rev)
       GROUP BY p_streams[a.i]
      ON CONFLICT (stream_id) DO UPDATE SET revision = excluded.revision;
    UPDATE ledger_log SET last_position = v_head WHERE id = 1;
    PERFORM pg_notify('${NOTIFY_CHANNEL}', v_head::text);
  END IF;
END
$fn$;
`;

/**
 * Hard delete under the append lock, so it cannot interleave with a batch that checked the
 * stream before the delete and writes after it. A missing stream is tombstoned too.
 */
const DELETE_FUNCTION = `
CREATE FUNCTION ledger_delete_stream_v1(p_stream text) RETURNS void
LANGUAGE plpgsql
SET enable_seqscan = off
AS $fn$
BEGIN
  PERFORM pg_advisory_xact_lock(${APPEND_LOCK});
  DELETE FROM ledger_events WHERE stream_id = p_stream;
  INSERT INTO ledger_streams (stream_id, revision, deleted) VALUES (p_stream, -1, true)
    ON CONFLICT (stream_id) DO UPDATE SET deleted = true;
END
$fn$;
`;

/**
 * Creates what is missing, in one transaction under a setup lock: several processes opening the
 * store at once on an empty database wait for each other instead of failing on
 * "duplicate key value violates unique constraint pg_type_typname_nsp_index". The functions are
 * versioned by name (a changed body gets a new name), so they are created once and never
 * replaced under nodes that are running them.
 */
export async function ensureEventStoreSchema(pool: Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT pg_advisory_xact_lock(${SETUP_LOCK})`);
    await client.query(TABLES);
    const { rows } = await client.query<{ append: string | null; del: string | null }>(
      'SELECT to_regprocedure($1)::text AS append, to_regprocedure($2)::text AS del',
      [APPEND_SIGNATURE, DELETE_SIGNATURE],
    );
    if (rows[0].append === null) await client.query(APPEND_FUNCTION);
    if (rows[0].del === null) await client.query(DELETE_FUNCTION);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
