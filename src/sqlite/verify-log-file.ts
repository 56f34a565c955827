import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { LogSummary, summarize } from './sqlite-backup';

export interface BackupCheck {
  faults: string[];
  summary: LogSummary | null;
}

/** At most this many faults of one kind are listed (a torn file can have millions). */
const LISTED = 10;

/**
 * Is a copy of the log whole? SQLite's own `integrity_check`; every stream's events are its revisions
 * 0…n with none missing (positions themselves have gaps where a profile was erased, by design); no
 * position beyond the log's sequence; every event's data and metadata parse. Read-only: the copy is
 * not touched.
 */
export function verifyBackupFile(path: string): BackupCheck {
  if (!existsSync(path)) return { faults: [`no file at ${path}`], summary: null };
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch (error) {
    return { faults: [`not a SQLite database: ${error instanceof Error ? error.message : String(error)}`], summary: null };
  }
  const faults: string[] = [];
  try {
    const integrity = (db.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check);
    if (integrity.join() !== 'ok') faults.push(...integrity.slice(0, LISTED).map((line) => `integrity_check: ${line}`));
    const tables = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>).map((t) => t.name));
    if (!tables.has('events') || !tables.has('streams')) return { faults: [...faults, 'not a ledger log: no events and streams tables'], summary: null };

    const streams = db.prepare(
      `SELECT s.stream_id, s.revision, s.deleted, count(e.position) AS n, min(e.revision) AS low, max(e.revision) AS high
       FROM streams s LEFT JOIN events e ON e.stream_id = s.stream_id GROUP BY s.stream_id`,
    );
    let broken = 0;
    for (const s of streams.iterate() as Iterable<{ stream_id: string; revision: number; deleted: number; n: number; low: number | null; high: number | null }>) {
      const whole = s.deleted ? s.n === 0 : s.n === s.revision + 1 && s.low === 0 && s.high === s.revision;
      if (!whole && broken++ < LISTED) faults.push(`stream ${s.stream_id}: revision ${s.revision}${s.deleted ? ' (erased)' : ''}, but ${s.n} event(s) from ${s.low} to ${s.high}`);
    }
    const orphans = (db.prepare('SELECT count(*) AS n FROM events e WHERE NOT EXISTS (SELECT 1 FROM streams s WHERE s.stream_id = e.stream_id)').get() as { n: number }).n;
    if (orphans > 0) faults.push(`${orphans} event(s) of streams the log does not list`);
    const sequence = (db.prepare("SELECT coalesce(max(seq), 0) AS seq FROM sqlite_sequence WHERE name = 'events'").get() as { seq: number }).seq;
    const summary = summarize(db);
    if (summary.head > sequence) faults.push(`position ${summary.head} is beyond the log's sequence (${sequence})`);

    let unreadable = 0;
    for (const e of db.prepare('SELECT position, data, metadata FROM events ORDER BY position').iterate() as Iterable<{ position: number; data: string; metadata: string }>) {
      try {
        JSON.parse(e.data);
        JSON.parse(e.metadata);
      } catch {
        if (unreadable++ < LISTED) faults.push(`event at position ${e.position} does not parse`);
      }
    }
    if (unreadable > LISTED) faults.push(`… ${unreadable - LISTED} more events do not parse`);
    if (broken > LISTED) faults.push(`… ${broken - LISTED} more streams are not whole`);
    return { faults, summary };
  } catch (error) {
    return { faults: [...faults, `unreadable: ${error instanceof Error ? error.message : String(error)}`], summary: null };
  } finally {
    db.close();
  }
}
