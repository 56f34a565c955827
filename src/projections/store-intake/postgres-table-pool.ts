import type { Pool } from 'pg';
import { createPostgresPool } from '../../postgres/postgres-pool';

/** A small pool for one table kept beside the read models, the table created if missing. */
export async function poolWithTable(url: string, applicationName: string, createTable: string): Promise<Pool> {
  const pool = createPostgresPool({ url, size: 2, applicationName });
  try {
    await pool.query(createTable);
  } catch (error) {
    // Two nodes creating the table at once: the loser finds it made.
    if (!/already exists|duplicate key/.test(error instanceof Error ? error.message : '')) {
      await pool.end();
      throw error;
    }
  }
  return pool;
}
