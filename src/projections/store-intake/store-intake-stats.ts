import { openSqlite } from '../../sqlite/open-sqlite';
import { isPostgresLocation, ReadModelLocation } from '../read-model-store.factory';
import { poolWithTable } from './postgres-table-pool';
import type { Pool } from 'pg';
import type Database from 'better-sqlite3';

export interface IntakeCount {
  outcome: string;
  count: number;
  last_at: number;
}

/**
 * How many notifications each app's store intake accepted or refused, and when it last saw each
 * outcome: counters kept beside the read models (shared by every node that shares them), not events
 * (a refused notification records nothing in the log) and not derived (a rebuild leaves them alone).
 */
export interface StoreIntakeStats {
  count(appId: string, store: string, outcome: string, at: number): Promise<void>;
  counts(appId: string, store: string): Promise<IntakeCount[]>;
  close(): Promise<void>;
}

type Row = { outcome: string; count: number | string; last_at: number | string };
const countOf = (r: Row): IntakeCount => ({ outcome: r.outcome, count: Number(r.count), last_at: Number(r.last_at) });

class SqliteStoreIntakeStats implements StoreIntakeStats {
  private readonly upsert: Database.Statement;
  private readonly select: Database.Statement<[string, string], Row>;

  constructor(private readonly db: Database.Database) {
    db.exec(`CREATE TABLE IF NOT EXISTS store_intake_stats (
      app_id TEXT NOT NULL, store TEXT NOT NULL, outcome TEXT NOT NULL, count INTEGER NOT NULL, last_at INTEGER NOT NULL,
      PRIMARY KEY (app_id, store, outcome)) WITHOUT ROWID`);
    this.upsert = db.prepare(
      `INSERT INTO store_intake_stats (app_id, store, outcome, count, last_at) VALUES (?, ?, ?, 1, ?)
       ON CONFLICT (app_id, store, outcome) DO UPDATE SET count = count + 1, last_at = max(last_at, excluded.last_at)`,
    );
    this.select = db.prepare('SELECT outcome, count, last_at FROM store_intake_stats WHERE app_id = ? AND store = ? ORDER BY outcome');
  }

  async count(appId: string, store: string, outcome: string, at: number): Promise<void> {
    this.upsert.run(appId, store, outcome, at);
  }

  async counts(appId: string, store: string): Promise<IntakeCount[]> {
    return this.select.all(appId, store).map(countOf);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

class PostgresStoreIntakeStats implements StoreIntakeStats {
  constructor(private readonly pool: Pool) {}

  static async open(url: string): Promise<PostgresStoreIntakeStats> {
    const pool = await poolWithTable(
      url,
      'subscription-ledger store intake',
      `CREATE TABLE IF NOT EXISTS ledger_rm_store_intake_stats (
        app_id TEXT NOT NULL, store TEXT NOT NULL, outcome TEXT NOT NULL, count BIGINT NOT NULL, last_at BIGINT NOT NULL,
        PRIMARY KEY (app_id, store, outcome))`,
    );
    return new PostgresStoreIntakeStats(pool);
  }

  async count(appId: string, store: string, outcome: string, at: number): Promise<void> {
    await this.pool.query(
      `INSERT INTO ledger_rm_store_intake_stats (app_id, store, outcome, count, last_at) VALUES ($1, $2, $3, 1, $4)
       ON CONFLICT (app_id, store, outcome) DO UPDATE SET count = ledger_rm_store_intake_stats.count + 1,
         last_at = GREATEST(ledger_rm_store_intake_stats.last_at, EXCLUDED.last_at)`,
      [appId, store, outcome, at],
    );
  }

  async counts(appId: string, store: string): Promise<IntakeCount[]> {
    const { rows } = await this.pool.query<Row>('SELECT outcome, count, last_at FROM ledger_rm_store_intake_stats WHERE app_id = $1 AND store = $2 ORDER BY outcome', [
      appId,
      store,
    ]);
    return rows.map(countOf);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** Beside the read models: in their SQLite file (a connection of its own) or their PostgreSQL database. */
export async function openStoreIntakeStats(location: ReadModelLocation): Promise<StoreIntakeStats> {
  if (isPostgresLocation(location)) return PostgresStoreIntakeStats.open(location.postgresUrl);
  return new SqliteStoreIntakeStats(openSqlite(location.sqlitePath, { synchronous: 'NORMAL' }));
}
