/**
 * `ledger verify` and `ledger rebuild` on read models in PostgreSQL (EVENT_STORE_URL=postgres://…):
 * the same behaviour as on SQLite — a random workload verifies clean, tampering is named and
 * repaired, stopped streams are reported and resumed after a fix — plus what sharing brings: the
 * outbox is kept, a running node serves the rebuilt rows at once, and two rebuilds never overlap.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Client } from 'pg';
import { PostgresEventStore } from '../src/event-store/postgres/postgres-event-store';
import { REBUILD_LOCK } from '../src/postgres/advisory-locks';
import { builtDist, cleanupAll, http, LedgerProcess, processEnv, SECRET, startLedger, tempDir, V2 } from './support/process-ledger';
import { freshDatabase } from './support/postgres';
import { randomWorkload } from './support/random-workload';
import { WebhookReceiver } from './support/webhook-receiver';

jest.setTimeout(120_000);
afterAll(cleanupAll);

const BUG = join(__dirname, 'support', 'buggy-projection.js');

async function sql<T extends object>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const db = new Client({ connectionString: url });
  await db.connect();
  try {
    return (await db.query<T>(text, values)).rows;
  } finally {
    await db.end();
  }
}

describe('ledger CLI on PostgreSQL read models', () => {
  let url: string;
  let dist: string;
  let receiver: WebhookReceiver;

  const env = (extra: Record<string, string> = {}) => ({ EVENT_STORE_URL: url, API_KEYS: `app1:${SECRET}`, PG_POOL_SIZE: '4', LEDGER_DIST: dist, ...extra });
  const cli = (options: { buggy?: boolean }, ...args: string[]) => {
    const r = spawnSync(process.execPath, [...(options.buggy ? ['--require', BUG] : []), join(dist, 'cli', 'main.js'), ...args], {
      env: processEnv(env()),
      encoding: 'utf8',
      timeout: 90_000,
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  const start = (buggy = false): Promise<LedgerProcess> => startLedger({ dir: tempDir(), env: env(), nodeArgs: buggy ? ['--require', BUG] : [] });

  beforeAll(async () => {
    url = await freshDatabase('cli');
    dist = await builtDist();
    receiver = new WebhookReceiver();
    const hook = await receiver.start();
    const node = await start();
    const call = (r: Parameters<typeof http>[1]) => http(node.url, r);
    expect((await call({ method: 'PUT', path: '/admin/v1/products/monthly', body: { access_level_id: 'premium' } })).status).toBe(200);
    expect((await call({ method: 'POST', path: '/admin/v1/webhook-endpoints', body: { url: hook } })).status).toBe(201);
    // A random workload over a few profiles: creates, attributes, grants, revokes, transactions, a delete.
    await randomWorkload(call, { seed: 7, steps: 80, now: Date.now() });
    await call({ method: 'DELETE', customerUserId: 'cli-3' });
    await call({ method: 'POST', customerUserId: 'cli-history', body: {} });
    await call({ method: 'POST', path: `${V2}/purchase/profile/grant/access-level/`, customerUserId: 'cli-history', body: { access_level_id: 'premium' } });
    await receiver.waitFor((r) => r.length > 0);
    await node.stop();
  }, 120_000);
  afterAll(() => receiver?.stop());

  it('verify: the live read models equal a rebuild after a random workload, and leave no scratch tables', async () => {
    const r = cli({}, 'verify');
    expect(r.err).toBe('');
    expect(r.out).toMatch(/match a rebuild from the log \(position \d+\)/);
    expect(r.code).toBe(0);
    expect(await sql(url, `SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'ledger_r_\\_%' AND table_name NOT LIKE 'ledger_rm_%'`)).toEqual([]);
  });

  it('verify names a tampered row; rebuild repairs it, keeps the outbox, and a running node serves the repaired row at once', async () => {
    const [row] = await sql<{ profile_id: string }>(url, `SELECT profile_id FROM ledger_rm_profiles WHERE customer_user_id = 'cli-history'`);
    await sql(url, `UPDATE ledger_rm_profiles SET view = jsonb_set(view::jsonb, '{total_revenue_usd}', '999')::text WHERE profile_id = $1`, [row.profile_id]);
    const tampered = cli({}, 'verify');
    expect(tampered.code).toBe(1);
    expect(tampered.out).toContain(`profiles[${row.profile_id}].view.total_revenue_usd`);
    expect(tampered.out).toContain('999');

    // A node that already serves (and caches) the tampered row.
    const node = await start();
    const before = await http(node.url, { customerUserId: 'cli-history' });
    expect(before.body.data.total_revenue_usd).toBe(999);
    const outbox = await sql<{ id: string; status: string }>(url, 'SELECT id, status FROM ledger_rm_deliveries ORDER BY seq');
    expect(outbox.length).toBeGreaterThan(0);

    const rebuilt = cli({}, 'rebuild');
    expect(rebuilt.err).not.toMatch(/Error/);
    expect(rebuilt.out).toMatch(/Rebuilt read models from \d+ events up to position \d+/);
    expect(rebuilt.code).toBe(0);
    const after = await http(node.url, { customerUserId: 'cli-history' });
    expect(after.body.data.total_revenue_usd).toBe(0);
    await node.stop();

    // History kept as it was: nothing enqueued again, nothing lost.
    expect(await sql(url, 'SELECT id, status FROM ledger_rm_deliveries ORDER BY seq')).toEqual(outbox);
    expect(cli({}, 'verify').code).toBe(0);
    expect(await sql(url, `SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'ledger_rs\\_%' OR table_name LIKE 'ledger_rv\\_%'`)).toEqual([]);
  });

  it('runs one rebuild or verify at a time per database', async () => {
    const db = new Client({ connectionString: url });
    await db.connect();
    try {
      await db.query(`SELECT pg_advisory_lock(${REBUILD_LOCK})`);
      for (const command of ['rebuild', 'verify']) {
        const r = cli({}, command);
        expect(r.code).toBe(1);
        expect(r.err).toContain('another `ledger rebuild` or `ledger verify` is running on this database');
      }
    } finally {
      await db.end();
    }
    expect(cli({}, 'verify').code).toBe(0);
  });

  it('reports a stream stopped by a poison event (exit 1); after the fix, rebuild resumes it and verify is clean', async () => {
    // The victim exists before the poison: the buggy build cannot fold the event appended below.
    let node = await start(true);
    expect((await http(node.url, { method: 'POST', customerUserId: 'victim', body: {} })).status).toBe(200);
    const victimId: string = (await http(node.url, { customerUserId: 'victim' })).body.data.profile_id;
    await node.stop();
    const store = await PostgresEventStore.open({ url, poolSize: 1 });
    try {
      const tail = await store.readStream(`profile-${victimId}`);
      const poison = { eventId: randomUUID(), type: 'AttributesUpdated', data: { attributes: {}, custom_attributes: { poisoned: 'yes' } }, metadata: { app_id: 'app1', source: 'test' } };
      await store.append(`profile-${victimId}`, [poison], { expected: tail[tail.length - 1].revision, recordedAt: new Date() });
    } finally {
      await store.close();
    }

    node = await start(true);
    expect((await http(node.url, { customerUserId: 'victim' })).status).toBe(503);
    expect((await http(node.url, { customerUserId: 'cli-history' })).status).toBe(200);
    await node.stop();
    const verified = cli({ buggy: true }, 'verify');
    expect(verified.out).toMatch(new RegExp(`STOPPED[\\s\\S]*profile-${victimId} at position \\d+ \\(AttributesUpdated\\)`));
    expect(verified.code).toBe(1);

    const rebuilt = cli({}, 'rebuild');
    expect(rebuilt.out).toMatch(/Rebuilt read models/);
    expect(rebuilt.code).toBe(0);
    node = await start();
    const victim = await http(node.url, { customerUserId: 'victim' });
    expect(victim.status).toBe(200);
    expect(victim.body.data.custom_attributes).toEqual([{ key: 'poisoned', value: 'yes' }]);
    await node.stop();
    const clean = cli({}, 'verify');
    expect(clean.out).toMatch(/match/);
    expect(clean.code).toBe(0);
  });
});
