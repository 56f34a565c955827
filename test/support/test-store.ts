/**
 * Which event store the end-to-end tests run the ledger on: LEDGER_TEST_STORE=sqlite (default) gives
 * every ledger a SQLite file in its directory, LEDGER_TEST_STORE=postgres a fresh database on the run's
 * throwaway PostgreSQL cluster (test/support/postgres.ts). A directory keeps its database for the whole
 * test file, so a restart on the same directory finds the same log, as it finds the same file on SQLite.
 */
import { join } from 'node:path';
import { Client } from 'pg';
import { createEventStore } from '../../src/event-store/event-store.factory';
import type { EventStore } from '../../src/event-store/event-store.port';
import { freshDatabase } from './postgres';

export type TestStore = 'sqlite' | 'postgres';

export function testStore(): TestStore {
  const store = process.env.LEDGER_TEST_STORE ?? 'sqlite';
  if (store !== 'sqlite' && store !== 'postgres') throw new Error(`LEDGER_TEST_STORE must be sqlite or postgres, not ${store}`);
  return store;
}

export const onPostgres = (): boolean => testStore() === 'postgres';

const databases = new Map<string, Promise<string>>();

/** The EVENT_STORE_URL of the ledger whose files live in `dir`. */
export function storeUrl(dir: string): Promise<string> {
  if (!onPostgres()) return Promise.resolve(`sqlite:${join(dir, 'ledger.sqlite')}`);
  let url = databases.get(dir);
  if (!url) {
    url = freshDatabase('e2e');
    databases.set(dir, url);
  }
  return url;
}

/** EVENT_STORE_URL and DATA_DIR for a ledger (server or CLI) in `dir`. */
export async function storeEnv(dir: string): Promise<{ EVENT_STORE_URL: string; DATA_DIR: string }> {
  return { EVENT_STORE_URL: await storeUrl(dir), DATA_DIR: dir };
}

/**
 * Env for a second ledger on the log of `dir` whose read models start empty (rebuilt from the log
 * alone): its own SQLite file, or on PostgreSQL its own database (READ_MODEL_URL).
 */
export async function emptyReadModelsEnv(dir: string): Promise<Record<string, string>> {
  if (!onPostgres()) return { PROJECTIONS_PATH: join(dir, 'rebuilt.sqlite') };
  return { READ_MODEL_URL: await freshDatabase('read_models') };
}

/** Runs one SQL statement on the ledger's database (PostgreSQL only: the log and the read models). */
export async function sql<T extends object>(dir: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: await storeUrl(dir) });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** The event store of the ledger in `dir`, opened beside it (close it after use). */
export async function openStore(dir: string): Promise<EventStore> {
  return createEventStore({ url: await storeUrl(dir), pgPoolSize: 2 });
}

/** The newest position in a ledger's log (-1 when empty), read beside the running server: did anything get appended? */
export async function logHead(dir: string): Promise<number> {
  const store = await createEventStore({ url: await storeUrl(dir), readOnly: true, pgPoolSize: 1 });
  try {
    return Number(await store.headPosition());
  } finally {
    await store.close();
  }
}
