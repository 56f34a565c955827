import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export type SqliteSynchronous = 'FULL' | 'NORMAL' | 'OFF';

/**
 * Opens a SQLite file the way every part of the ledger shares it: WAL (readers never wait for the
 * writer), and a busy timeout, because several processes and threads may hold the same file.
 */
export function openSqlite(path: string, options: { synchronous?: SqliteSynchronous; readonly?: boolean } = {}): Database.Database {
  if (!options.readonly && path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { readonly: options.readonly ?? false });
  if (!options.readonly) db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
  db.pragma('busy_timeout = 10000');
  return db;
}
