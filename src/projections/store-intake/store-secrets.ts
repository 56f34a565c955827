import type Database from 'better-sqlite3';
import type { Pool } from 'pg';
import { openSqlite } from '../../sqlite/open-sqlite';
import { isPostgresLocation, ReadModelLocation } from '../read-model-store.factory';
import { poolWithTable } from './postgres-table-pool';

/**
 * Each app's store secrets (a service-account key, a push token), beside the read models and never in
 * the event log: an erased profile or a copied log does not carry them. Not derived (a rebuild leaves
 * them alone); shared by every node that shares the read models. Whoever can read that file or
 * database can read them: it is to be kept as the API keys are.
 */
export interface StoreSecrets {
  get(appId: string, store: string): Promise<unknown>;
  put(appId: string, store: string, secrets: unknown): Promise<void>;
  remove(appId: string, store: string): Promise<void>;
}

class SqliteStoreSecrets implements StoreSecrets {
  private readonly select: Database.Statement<[string, string], { secrets: string }>;
  private readonly upsert: Database.Statement;
  private readonly delete: Database.Statement;

  constructor(private readonly db: Database.Database) {
    db.exec('CREATE TABLE IF NOT EXISTS store_secrets (app_id TEXT NOT NULL, store TEXT NOT NULL, secrets TEXT NOT NULL, PRIMARY KEY (app_id, store)) WITHOUT ROWID');
    this.select = db.prepare('SELECT secrets FROM store_secrets WHERE app_id = ? AND store = ?');
    this.upsert = db.prepare('INSERT INTO store_secrets (app_id, store, secrets) VALUES (?, ?, ?) ON CONFLICT (app_id, store) DO UPDATE SET secrets = excluded.secrets');
    this.delete = db.prepare('DELETE FROM store_secrets WHERE app_id = ? AND store = ?');
  }

  async get(appId: string, store: string): Promise<unknown> {
    const row = this.select.get(appId, store);
    return row ? JSON.parse(row.secrets) : null;
  }

  async put(appId: string, store: string, secrets: unknown): Promise<void> {
    this.upsert.run(appId, store, JSON.stringify(secrets));
  }

  async remove(appId: string, store: string): Promise<void> {
    this.delete.run(appId, store);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

class PostgresStoreSecrets implements StoreSecrets {
  constructor(private readonly pool: Pool) {}

  static async open(url: string): Promise<PostgresStoreSecrets> {
    const pool = await poolWithTable(
      url,
      'subscription-ledger store secrets',
      'CREATE TABLE IF NOT EXISTS ledger_rm_store_secrets (app_id TEXT NOT NULL, store TEXT NOT NULL, secrets TEXT NOT NULL, PRIMARY KEY (app_id, store))',
    );
    return new PostgresStoreSecrets(pool);
  }

  async get(appId: string, store: string): Promise<unknown> {
    const { rows } = await this.pool.query<{ secrets: string }>('SELECT secrets FROM ledger_rm_store_secrets WHERE app_id = $1 AND store = $2', [appId, store]);
    return rows.length === 0 ? null : JSON.parse(rows[0].secrets);
  }

  async put(appId: string, store: string, secrets: unknown): Promise<void> {
    await this.pool.query(
      'INSERT INTO ledger_rm_store_secrets (app_id, store, secrets) VALUES ($1, $2, $3) ON CONFLICT (app_id, store) DO UPDATE SET secrets = EXCLUDED.secrets',
      [appId, store, JSON.stringify(secrets)],
    );
  }

  async remove(appId: string, store: string): Promise<void> {
    await this.pool.query('DELETE FROM ledger_rm_store_secrets WHERE app_id = $1 AND store = $2', [appId, store]);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

export type ClosableStoreSecrets = StoreSecrets & { close(): Promise<void> };

/** Beside the read models: in their SQLite file (a connection of its own) or their PostgreSQL database. */
export async function openStoreSecrets(location: ReadModelLocation): Promise<ClosableStoreSecrets> {
  if (isPostgresLocation(location)) return PostgresStoreSecrets.open(location.postgresUrl);
  return new SqliteStoreSecrets(openSqlite(location.sqlitePath, { synchronous: 'FULL' }));
}
