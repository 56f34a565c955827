import { closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import Database from 'better-sqlite3';

const ALL_PAGES = 0x7fffffff;

export interface LogSummary {
  /** The newest event's position (0 for an empty log). */
  head: number;
  events: number;
  streams: number;
  /** Streams erased (a deleted profile's): their positions are gaps in the log, by design. */
  erased_streams: number;
}

export interface BackupProgress {
  start(totalPages: number): void;
  update(donePages: number): void;
  stop(): void;
}

/** What a log file holds, read from the file itself (read-only). */
export function summarize(db: Database.Database): LogSummary {
  const events = db.prepare('SELECT count(*) AS n, coalesce(max(position), 0) AS head FROM events').get() as { n: number; head: number };
  const streams = db.prepare('SELECT count(*) AS n, coalesce(sum(deleted), 0) AS erased FROM streams').get() as { n: number; erased: number };
  return { head: events.head, events: events.n, streams: streams.n - streams.erased, erased_streams: streams.erased };
}

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * An online, consistent copy of a SQLite file while other connections keep writing (SQLite's backup
 * API through better-sqlite3's `backup()`: the copy of one instant), written under a temporary name
 * beside the target, fsynced, then renamed over it (and the directory fsynced): a crash never leaves
 * a half file under the target name.
 */
export async function backupSqliteFile(source: string, target: string, progress: BackupProgress | null): Promise<void> {
  if (!existsSync(source)) throw new Error(`no SQLite file at ${source}`);
  const temporary = join(dirname(target), `.${basename(target)}.${process.pid}.partial`);
  rmSync(temporary, { force: true });
  const db = new Database(source, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 10000');
  let started = false;
  let total = 0;
  try {
    await db.backup(temporary, {
      progress: ({ totalPages, remainingPages }) => {
        if (!started) progress?.start(totalPages);
        started = true;
        total = totalPages;
        progress?.update(totalPages - remainingPages);
        // Every page in one step, inside one read transaction: a write by the server between two steps
        // would restart the copy (so a log written to flat out would never finish), while in WAL mode
        // one long read blocks no writer.
        return ALL_PAGES;
      },
    });
    // The copy is a database of its own: its journal mode is the source's, so take it out of WAL (one file to carry).
    const copy = new Database(temporary);
    copy.pragma('journal_mode = DELETE');
    copy.close();
    fsyncPath(temporary);
    renameSync(temporary, target);
    fsyncPath(dirname(target));
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  } finally {
    if (started) progress?.update(total);
    progress?.stop();
    db.close();
  }
}
