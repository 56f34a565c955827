/**
 * Looks at the store of a real server from the outside: the event store's own invariants (every
 * stream's rows match its recorded revision) and the read models' checkpoint. Read while a server
 * runs, so it sees what any reader would. Works on the store the suite runs on (test-store.ts).
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { Client } from 'pg';
import { onPostgres, storeUrl } from './test-store';

export interface StoreReport {
  head: number;
  events: number;
  /** Streams whose rows do not match their recorded revision (a torn append). */
  tornStreams: Array<{ stream_id: string; revision: number; n: number; lo: number | null; hi: number | null }>;
  /** Events whose stream has no row in the streams table. */
  orphanEvents: number;
  /** Reservations pointing at a profile stream that holds no events (create interrupted between its two appends). */
  danglingReservations: string[];
  checkpoint: number | null;
}

/** The questions, one per store dialect. */
const SQL = {
  sqlite: {
    head: 'SELECT COALESCE(MAX(position), -1) AS p FROM events',
    events: 'SELECT COUNT(*) AS n FROM events',
    torn: `SELECT s.stream_id, s.revision, COUNT(e.position) AS n, MIN(e.revision) AS lo, MAX(e.revision) AS hi
             FROM streams s LEFT JOIN events e ON e.stream_id = s.stream_id
            WHERE s.deleted = 0
            GROUP BY s.stream_id
           HAVING n != s.revision + 1 OR lo != 0 OR hi != s.revision`,
    orphans: 'SELECT COUNT(*) AS n FROM events e WHERE NOT EXISTS (SELECT 1 FROM streams s WHERE s.stream_id = e.stream_id)',
    dangling: `SELECT r.profile_id FROM (SELECT json_extract(data, '$.profile_id') AS profile_id FROM events
                 WHERE stream_id LIKE 'customer-%' AND type = 'CustomerUserIdReserved') r
                WHERE NOT EXISTS (SELECT 1 FROM events p WHERE p.stream_id = 'profile-' || r.profile_id)`,
  },
  postgres: {
    head: 'SELECT COALESCE(MAX(position), -1)::int AS p FROM ledger_events',
    events: 'SELECT COUNT(*)::int AS n FROM ledger_events',
    torn: `SELECT s.stream_id, s.revision::int, COUNT(e.position)::int AS n, MIN(e.revision)::int AS lo, MAX(e.revision)::int AS hi
             FROM ledger_streams s LEFT JOIN ledger_events e ON e.stream_id = s.stream_id
            WHERE NOT s.deleted
            GROUP BY s.stream_id, s.revision
           HAVING COUNT(e.position) != s.revision + 1 OR MIN(e.revision) != 0 OR MAX(e.revision) != s.revision`,
    orphans: 'SELECT COUNT(*)::int AS n FROM ledger_events e WHERE NOT EXISTS (SELECT 1 FROM ledger_streams s WHERE s.stream_id = e.stream_id)',
    dangling: `SELECT r.profile_id FROM (SELECT data->>'profile_id' AS profile_id FROM ledger_events
                 WHERE stream_id LIKE 'customer-%' AND type = 'CustomerUserIdReserved') r
                WHERE NOT EXISTS (SELECT 1 FROM ledger_events p WHERE p.stream_id = 'profile-' || r.profile_id)`,
  },
};

type Ask = (sql: string) => Promise<Array<Record<string, any>>>;

async function report(ask: Ask, sql: (typeof SQL)['sqlite'], checkpoint: number | null): Promise<StoreReport> {
  return {
    head: Number((await ask(sql.head))[0].p),
    events: Number((await ask(sql.events))[0].n),
    tornStreams: (await ask(sql.torn)) as StoreReport['tornStreams'],
    orphanEvents: Number((await ask(sql.orphans))[0].n),
    danglingReservations: (await ask(sql.dangling)).map((r) => String(r.profile_id)),
    checkpoint,
  };
}

/** The read models' checkpoint, in the SQLite file DATA_DIR/projections.sqlite beside the ledger in `dir`. */
function sqliteCheckpoint(dir: string): number | null {
  const projections = new Database(join(dir, 'projections.sqlite'), { readonly: true, fileMustExist: true });
  try {
    const row = projections.prepare(`SELECT position FROM checkpoint WHERE id = 1`).get() as { position: number } | undefined;
    return row ? row.position : null;
  } finally {
    projections.close();
  }
}

/** The report on the ledger whose store belongs to `dir` (test-store.ts). */
export async function inspectStore(dir: string): Promise<StoreReport> {
  if (onPostgres()) {
    const client = new Client({ connectionString: await storeUrl(dir) });
    await client.connect();
    try {
      // The read models share the log's database (no READ_MODEL_URL).
      const checkpoint = (await client.query<{ position: string }>('SELECT position FROM ledger_rm_checkpoint WHERE id = 1')).rows[0];
      return await report(async (sql) => (await client.query(sql)).rows, SQL.postgres, checkpoint ? Number(checkpoint.position) : null);
    } finally {
      await client.end();
    }
  }
  const db = new Database(join(dir, 'ledger.sqlite'), { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    return await report(async (sql) => db.prepare(sql).all() as Array<Record<string, any>>, SQL.sqlite, sqliteCheckpoint(dir));
  } finally {
    db.close();
  }
}
