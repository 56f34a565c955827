import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** What the last successful `ledger backup` of a deployment's embedded log copied, and when. */
export interface BackupState {
  finished_at: string;
  target: string;
  head: number;
  events: number;
}

/** Beside the embedded log (`<log file>.last-backup.json`), where the server that serves it reads it at each scrape. */
export const backupStateFileOf = (eventStoreUrl: string): string | null =>
  eventStoreUrl.startsWith('sqlite:') ? `${resolve(eventStoreUrl.slice('sqlite:'.length))}.last-backup.json` : null;

export function writeBackupState(path: string, state: BackupState): void {
  writeFileSync(`${path}.tmp`, `${JSON.stringify(state)}\n`);
  renameSync(`${path}.tmp`, path);
}

export function readBackupState(path: string): BackupState | null {
  try {
    const state = JSON.parse(readFileSync(path, 'utf8')) as BackupState;
    return typeof state.finished_at === 'string' && !Number.isNaN(Date.parse(state.finished_at)) ? state : null;
  } catch {
    return null;
  }
}
