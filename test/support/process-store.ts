import { dirname, join } from 'node:path';
/**
 * Looks at the SQLite files of a real server from the outside: the event store's own
 * invariants (every stream's rows match its recorded revision) and the read model's
 * checkpoint. Opened read-only while a server runs, so it sees what any reader would.
 */
import Database from 'better-sqlite3';

export interface StoreReport {
  head: number;
  events: number;
  /** Streams whose rows do not match streams.revision (a torn append). */
  tornStreams: Array<{ stream_id: string; revision: number; n: number; lo: number | null; hi: number | null }>;
  /** Events whose stream has no row in `streams`. */
  orphanEvents: number;
  /** Reservations pointing at a profile stream that holds no events (create interrupted between its two appends). */
  danglingReservations: string[];
  checkpoint: number | null;
}

export function inspectStore(path: string): StoreReport {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    const head = (db.prepare('SELECT COALESCE(MAX(position), -1) AS p FROM events').get() as { p: number }).p;
    const events = (db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n;
    const tornStreams = db
      .prepare(
        `SELECT s.stream_id, s.revision, COUNT(e.position) AS n, MIN(e.revision) AS lo, MAX(e.revision) AS hi
           FROM streams s LEFT JOIN events e ON e.stream_id = s.stream_id
          WHERE s.deleted = 0
          GROUP BY s.stream_id
         HAVING n != s.revision + 1 OR lo != 0 OR hi != s.revision`,
      )
      .all() as StoreReport['tornStreams'];
    const orphanEvents = (
      db.prepare('SELECT COUNT(*) AS n FROM events e WHERE NOT EXISTS (SELECT 1 FROM streams s WHERE s.stream_id = e.stream_id)').get() as {
        n: number;
      }
    ).n;
    const reservations = db
      .prepare(`SELECT stream_id, data FROM events WHERE stream_id LIKE 'customer-%' AND type = 'CustomerUserIdReserved'`)
      .all() as Array<{ stream_id: string; data: string }>;
    const hasProfile = db.prepare('SELECT 1 FROM events WHERE stream_id = ? LIMIT 1');
    const danglingReservations = reservations
      .map((r) => String(JSON.parse(r.data).profile_id))
      .filter((id) => !hasProfile.get(`profile-${id}`));
    let checkpoint: number | null = null;
    const projections = new Database(join(dirname(path), 'projections.sqlite'), { readonly: true, fileMustExist: true });
    try {
      const row = projections.prepare(`SELECT position FROM checkpoint WHERE id = 1`).get() as { position: number } | undefined;
      checkpoint = row ? row.position : null;
    } finally {
      projections.close();
    }
    return { head, events, tornStreams, orphanEvents, danglingReservations, checkpoint };
  } finally {
    db.close();
  }
}
