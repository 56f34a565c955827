/**
 * The built server (`node dist/main.js`) selecting the PostgreSQL event store with
 * EVENT_STORE_URL=postgres://…: writes land in PostgreSQL, survive kill -9, and a process with an
 * empty data directory rebuilds its (local) read models from the PostgreSQL log. The whole
 * end-to-end suite on PostgreSQL comes with the read models in PostgreSQL; this proves the wiring.
 */
import { Client } from 'pg';
import { cleanupAll, freePort, getProfile, http, spawnLedger, stable, startLedger, tempDir, V2 } from './support/process-ledger';
import { freshDatabase } from './support/postgres';

jest.setTimeout(60_000);
afterAll(cleanupAll);

const GRANT = `${V2}/purchase/profile/grant/access-level/`;
const accessIds = (body: any) => (body?.data?.access_levels ?? []).map((a: any) => a.access_level_id);

describe('server on the PostgreSQL event store', () => {
  let url: string;
  beforeAll(async () => {
    url = await freshDatabase('server');
  }, 120_000);

  it('writes to PostgreSQL, survives kill -9, and a node with an empty data directory serves the same profile', async () => {
    const env = { EVENT_STORE_URL: url, PG_POOL_SIZE: '4', DATA_DIR: tempDir() };
    const first = await startLedger({ dir: tempDir(), env });
    await first.waitForStdout(/"event_store":"postgres:\/\/\*\*\*@127\.0\.0\.1:\d+\//);
    const created = await http(first.url, { method: 'POST', customerUserId: 'pg-user', body: { first_name: 'Ada', custom_attributes: [{ key: 'plan', value: 'pro' }] } });
    expect(created.status).toBe(200);
    expect((await http(first.url, { method: 'POST', path: GRANT, customerUserId: 'pg-user', body: { access_level_id: 'premium' } })).status).toBe(200);
    await first.kill9();

    const db = new Client({ connectionString: url });
    await db.connect();
    try {
      const { rows } = await db.query<{ type: string }>("SELECT type FROM ledger_events WHERE stream_id LIKE 'profile-%' ORDER BY position");
      expect(rows.map((r) => r.type)).toEqual(['ProfileCreated', 'AccessGranted']);
    } finally {
      await db.end();
    }

    const restarted = await startLedger({ dir: tempDir(), env });
    const again = await getProfile(restarted.url, 'pg-user');
    expect(again.status).toBe(200);
    expect(again.body.data.profile_id).toBe(created.body.data.profile_id);
    expect(accessIds(again.body)).toEqual(['premium']);
    expect(again.body.data.custom_attributes).toEqual([{ key: 'plan', value: 'pro' }]);

    // Another node: its own (empty) read models, the same log.
    const other = await startLedger({ dir: tempDir(), env: { ...env, DATA_DIR: tempDir() } });
    const seen = await getProfile(other.url, 'pg-user');
    expect(seen.status).toBe(200);
    expect(stable(seen.body)).toEqual(stable(again.body));
  });

  it('exits non-zero, naming the cause and not the password, when PostgreSQL is unreachable', async () => {
    const port = await freePort();
    const proc = await spawnLedger({
      EVENT_STORE_URL: `postgres://ledger:s3cret-pw@127.0.0.1:${port}/nowhere`,
      API_KEYS: 'app1:x',
      DATA_DIR: tempDir(),
      HOST: '127.0.0.1',
      PORT: '0',
    });
    const exit = await proc.exited;
    expect(exit.code).not.toBe(0);
    expect(proc.stderr).toMatch(/ECONNREFUSED/);
    expect(proc.stderr + proc.stdout).not.toContain('s3cret-pw');
  });
});
