import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { call, RunningLedger, startLedger, V2 } from './support/ledger-server';
import { randomWorkload } from './support/random-workload';
import { onPostgres, sql, storeEnv } from './support/test-store';

const CLI = join(__dirname, '..', 'dist', 'cli', 'main.js');

/** Sets one profile's total_revenue_usd to 999 behind the ledger's back, in whichever store holds the read models. */
async function tamperRevenue(dir: string, customerUserId: string): Promise<{ profile_id: string }> {
  if (onPostgres()) {
    const [row] = await sql<{ profile_id: string }>(dir, 'SELECT profile_id FROM ledger_rm_profiles WHERE customer_user_id = $1', [customerUserId]);
    await sql(dir, `UPDATE ledger_rm_profiles SET view = jsonb_set(view::jsonb, '{total_revenue_usd}', '999')::text WHERE profile_id = $1`, [row.profile_id]);
    return row;
  }
  const db = new Database(join(dir, 'projections.sqlite'));
  try {
    const row = db.prepare<[string], { profile_id: string }>('SELECT profile_id FROM profiles WHERE customer_user_id = ?').get(customerUserId)!;
    db.prepare("UPDATE profiles SET view = json_set(view, '$.total_revenue_usd', 999) WHERE profile_id = ?").run(row.profile_id);
    return row;
  } finally {
    db.close();
  }
}

describe('ledger CLI: rebuild, verify, history', () => {
  let ledger: RunningLedger;
  let env: NodeJS.ProcessEnv;

  const cli = (...args: string[]) => {
    const r = spawnSync(process.execPath, [CLI, ...args], { env, encoding: 'utf8', timeout: 60_000 });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };

  beforeAll(async () => {
    ledger = await startLedger();
    env = { ...process.env, ...(await storeEnv(ledger.dir)), API_KEYS: 'app1:x,app2:y' };
    await call(ledger.url, { method: 'PUT', path: '/admin/v1/products/monthly', body: { access_level_id: 'premium' } });
    // A random workload over a few profiles: creates, attributes, grants, revokes, transactions, a delete.
    await randomWorkload((r) => call(ledger.url, r), { seed: 42, steps: 120, now: Date.now() });
    await call(ledger.url, { method: 'DELETE', path: `${V2}/profile/`, customerUserId: 'cli-3' });
    await call(ledger.url, { method: 'POST', path: `${V2}/profile/`, customerUserId: 'cli-history', body: { first_name: 'Ada' } });
    await call(ledger.url, { method: 'POST', path: `${V2}/purchase/profile/grant/access-level/`, customerUserId: 'cli-history', body: { access_level_id: 'premium' } });
    await ledger.stop();
  }, 60_000);
  afterAll(() => ledger.close());

  it('prints help and exits 0', () => {
    const r = cli('--help');
    expect(r.code).toBe(0);
    expect(r.out).toContain('rebuild');
    expect(r.out).toContain('verify');
    expect(r.out).toContain('history');
  });

  it('verify: the live read models equal a rebuild after a random workload', () => {
    const r = cli('verify');
    expect(r.err).toBe('');
    expect(r.out).toContain('match');
    expect(r.code).toBe(0);
  });

  it('verify catches a tampered read model and names the difference; rebuild repairs it', async () => {
    const row = await tamperRevenue(ledger.dir, 'cli-history');
    const tampered = cli('verify');
    expect(tampered.code).toBe(1);
    expect(tampered.out).toContain(`profiles[${row.profile_id}].view.total_revenue_usd`);
    expect(tampered.out).toContain('999');
    const rebuilt = cli('rebuild');
    expect(rebuilt.code).toBe(0);
    expect(rebuilt.out).toMatch(/Rebuilt read models from \d+ events/);
    expect(cli('verify').code).toBe(0);
  });

  it('history prints a timeline, as JSON too, and as of an instant', () => {
    const text = cli('history', 'cli-history', '--app', 'app1');
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/ProfileCreated[\s\S]*AccessGranted/);
    expect(text.out).toContain('api.v2.grant_access_level');
    const json = JSON.parse(cli('history', 'cli-history', '--app', 'app1', '--json').out);
    expect(json.events.map((e: { type: string }) => e.type)).toEqual(['ProfileCreated', 'AccessGranted']);
    const byId = cli('history', json.profile_id, '--json');
    expect(JSON.parse(byId.out).events).toHaveLength(2);
    const early = cli('history', 'cli-history', '--app', 'app1', '--as-of', json.events[0].recorded_at);
    expect(early.out).toContain('Access at');
    expect(early.out).toContain('none');
    expect(cli('history', 'nobody', '--app', 'app1').code).toBe(3);
    expect(cli('history', 'cli-history', '--as-of', 'not-a-date').code).not.toBe(0);
    expect(cli('history', 'cli-3', '--app', 'app1').code).toBe(3);
  });
});
