import { copyFileSync, existsSync, renameSync } from 'node:fs';
import Database from 'better-sqlite3';
import { LedgerConfig } from '../config/config';
import { erasureStreamId } from '../domain/profile/customer-user-id';
import { createEventStore } from '../event-store/event-store.factory';
import { liveServers, serversDirOf } from '../lifecycle/server-pid';
import { backupStateFileOf, writeBackupState } from '../observability/backup-state';
import { openStoreIntakeStats } from '../projections/store-intake/store-intake-stats';
import { openStoreSecrets } from '../projections/store-intake/store-secrets';
import { BackupProgress, backupSqliteFile, LogSummary, summarize } from '../sqlite/sqlite-backup';
import { verifyBackupFile } from '../sqlite/verify-log-file';

export class BackupRefused extends Error {}

/** The embedded log's file; the PostgreSQL log is backed up with PostgreSQL's own tools. */
function logFileOf(config: LedgerConfig): string {
  if (!config.eventStoreUrl.startsWith('sqlite:')) {
    throw new BackupRefused('The log is not an embedded SQLite file: back up PostgreSQL with pg_dump or base backups and WAL archiving (README, "Backups").');
  }
  return config.eventStoreUrl.slice('sqlite:'.length);
}

const readModelsCopyOf = (target: string): string => `${target}.read-models`;

function summaryOf(path: string): LogSummary {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return summarize(db);
  } finally {
    db.close();
  }
}

export interface BackupResult {
  target: string;
  summary: LogSummary;
  readModels: string | null;
}

/**
 * `ledger backup`: an online copy of the log (and, if asked, of the read models' file: the secrets and
 * counters it holds cannot be derived) while the server keeps serving; then the deployment's backup
 * state, which its /metrics reports.
 */
export async function backupLog(config: LedgerConfig, target: string, withReadModels: boolean, progress: BackupProgress): Promise<BackupResult> {
  const log = logFileOf(config);
  await backupSqliteFile(log, target, progress);
  let readModels: string | null = null;
  if (withReadModels && config.readModelUrl === null && existsSync(config.projectionsPath)) {
    readModels = readModelsCopyOf(target);
    await backupSqliteFile(config.projectionsPath, readModels, null);
  }
  const summary = summaryOf(target);
  const state = backupStateFileOf(config.eventStoreUrl);
  if (state !== null) writeBackupState(state, { finished_at: new Date().toISOString(), target, head: summary.head, events: summary.events });
  return { target, summary, readModels };
}

export interface RestoreResult {
  summary: LogSummary;
  /** Erasures the newer log had and the copy did not: applied again to the restored log. */
  erasuresApplied: number;
  setAside: string[];
}

const SIDE_FILES = ['', '-wal', '-shm'];

/** Moves a SQLite file and its WAL aside (a kill -9 can leave committed pages only in the WAL). */
function setAside(path: string, suffix: string): string[] {
  const moved: string[] = [];
  for (const side of SIDE_FILES) {
    if (!existsSync(`${path}${side}`)) continue;
    renameSync(`${path}${side}`, `${path}${suffix}${side}`);
    moved.push(`${path}${suffix}${side}`);
  }
  return moved;
}

interface Erasures {
  deleted: Set<string>;
  events: Array<{ event_id: string; stream_id: string; type: string; data: string; metadata: string; recorded_at: number }>;
}

function erasuresOf(path: string): Erasures {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const deleted = new Set((db.prepare('SELECT stream_id FROM streams WHERE deleted = 1').all() as Array<{ stream_id: string }>).map((r) => r.stream_id));
    // Every app's erasure stream (the anonymous records of deleted profiles).
    const events = db
      .prepare('SELECT event_id, stream_id, type, data, metadata, recorded_at FROM events WHERE stream_id LIKE ? ORDER BY position')
      .all(`${erasureStreamId('')}%`) as Erasures['events'];
    return { deleted, events };
  } finally {
    db.close();
  }
}

/**
 * `ledger restore`: the copy (checked whole first) becomes the log; the log it replaces and the read
 * models are set aside, not deleted. Every erasure the replaced log had and the copy predates is
 * applied again (the erased streams are erased, the anonymous erasure records appended), so a restore
 * never brings back a deleted profile. The read models start over from the restored log at the next
 * start (their webhook outbox sends nothing old); the app secrets and intake counters beside them are
 * carried over. Refused while a server runs on the log.
 */
export async function restoreLog(config: LedgerConfig, backup: string): Promise<RestoreResult> {
  const log = logFileOf(config);
  const servers = liveServers(serversDirOf(config.eventStoreUrl)!);
  if (servers.length > 0) throw new BackupRefused(`A server (pid ${servers.join(', ')}) is running on ${log}: stop it before restoring.`);
  const check = verifyBackupFile(backup);
  if (check.faults.length > 0) throw new BackupRefused(`The copy is not whole, nothing was changed: ${check.faults.join('; ')}`);
  const newer = existsSync(log) ? erasuresOf(log) : { deleted: new Set<string>(), events: [] };
  const older = erasuresOf(backup);
  const known = new Set(older.events.map((e) => e.event_id));
  const stamp = `.before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  const aside = setAside(log, stamp);
  const readModelsAside = config.readModelUrl === null ? setAside(config.projectionsPath, stamp) : [];
  copyFileSync(backup, `${log}.restoring`);
  renameSync(`${log}.restoring`, log);

  const store = await createEventStore({ url: config.eventStoreUrl });
  let applied = 0;
  try {
    for (const e of newer.events.filter((x) => !known.has(x.event_id))) {
      await store.append(e.stream_id, [{ eventId: e.event_id, type: e.type, data: JSON.parse(e.data), metadata: JSON.parse(e.metadata) }], { expected: 'any', recordedAt: new Date(e.recorded_at) });
      applied++;
    }
    for (const stream of newer.deleted) if (!older.deleted.has(stream)) await store.deleteStream(stream);
  } finally {
    await store.close();
  }
  // The secrets kept until now are the newest; after a disk loss, the copy's own read models hold them.
  const secretsFrom = readModelsAside[0] ?? (existsSync(readModelsCopyOf(backup)) ? readModelsCopyOf(backup) : null);
  if (config.readModelUrl === null && secretsFrom !== null) await carrySecretsOver(secretsFrom, config.projectionsPath);
  return { summary: summaryOf(log), erasuresApplied: applied, setAside: [...aside, ...readModelsAside] };
}

/** The secrets and intake counters are not derived from the log: they move to the new read models' file. */
async function carrySecretsOver(from: string, to: string): Promise<void> {
  // Each creates its table in the new file, as a server would.
  for (const open of [openStoreSecrets, openStoreIntakeStats]) await (await open({ sqlitePath: to })).close();
  const db = new Database(to);
  try {
    db.prepare('ATTACH DATABASE ? AS old').run(from);
    const tables = new Set((db.prepare("SELECT name FROM old.sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>).map((t) => t.name));
    for (const table of ['store_secrets', 'store_intake_stats']) if (tables.has(table)) db.exec(`INSERT OR REPLACE INTO main.${table} SELECT * FROM old.${table}`);
    db.exec('DETACH DATABASE old');
  } finally {
    db.close();
  }
}
