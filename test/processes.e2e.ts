/**
 * The built server (`node dist/main.js`) as real OS processes over real SQLite files:
 * crash durability (SIGKILL), two processes sharing one file, restart, first-start key
 * generation and configuration errors. Needs `npm run build` first (pretest does it).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  cleanup,
  cleanupAll,
  getProfile,
  http,
  LedgerProcess,
  Reply,
  spawnLedger,
  stable,
  startLedger,
  tempDir,
  V2,
} from './support/process-ledger';
import { inspectStore } from './support/process-store';
import { emptyReadModelsEnv, onPostgres } from './support/test-store';
import { coinPurchase } from './support/request-bodies';

jest.setTimeout(30000);

// Every describe kills what it started; this is the backstop (also removes the copy of dist/).
afterAll(cleanupAll);

const GRANT = `${V2}/purchase/profile/grant/access-level/`;
const SET_TRANSACTION = `${V2}/purchase/set/transaction/`;

const ok = (r: Reply) => r.status >= 200 && r.status < 300;
const accessIds = (r: Reply) => (r.body?.data?.access_levels ?? []).map((a: any) => a.access_level_id).sort();
const attrs = (r: Reply) => Object.fromEntries((r.body?.data?.custom_attributes ?? []).map((a: any) => [a.key, a.value]));

async function inParallel<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]);
      }
    }),
  );
  return out;
}

async function createProfiles(base: string, ids: string[]): Promise<void> {
  const replies = await inParallel(ids, 25, (id) => http(base, { method: 'POST', customerUserId: id, body: {} }));
  const bad = replies.filter((r) => r.status !== 200);
  expect(bad).toEqual([]);
}

// ---------------------------------------------------------------------------------------------
// 1. kill -9 durability
// ---------------------------------------------------------------------------------------------

type Kind = 'grant' | 'patch' | 'create';
interface Op {
  kind: Kind;
  i: number;
  cuid: string;
}
interface Outcome {
  op: Op;
  reply: Reply | null;
  error: string | null;
}

/** 200 writes at 200 distinct profiles: lifetime grants, two-key PATCHes, creates with two attributes. */
function plan(tag: string, n = 200): Op[] {
  const kinds: Kind[] = ['grant', 'patch', 'create'];
  return Array.from({ length: n }, (_, i) => {
    const kind = kinds[i % 3];
    return { kind, i, cuid: `${tag}-${kind}-${i}` };
  });
}

const twoAttributes = (i: number) => [
  { key: 'a', value: `a${i}` },
  { key: 'b', value: i },
];

function send(base: string, op: Op): Promise<Reply> {
  switch (op.kind) {
    case 'grant':
      return http(base, { method: 'POST', path: GRANT, customerUserId: op.cuid, body: { access_level_id: 'premium' } });
    case 'patch':
      return http(base, { method: 'PATCH', customerUserId: op.cuid, body: { custom_attributes: twoAttributes(op.i) } });
    case 'create':
      return http(base, { method: 'POST', customerUserId: op.cuid, body: { custom_attributes: twoAttributes(op.i) } });
  }
}

/** What GET shows for an op: its whole effect, none of it, or something in between (a bug). */
function effectOf(op: Op, get: Reply): 'applied' | 'absent' | string {
  if (op.kind === 'create' && get.status === 404) return 'absent';
  if (get.status !== 200) return `GET answered ${get.status} ${JSON.stringify(get.body)}`;
  if (get.body.data.customer_user_id !== op.cuid) return `wrong profile ${JSON.stringify(get.body.data)}`;
  switch (op.kind) {
    case 'grant': {
      const ids = accessIds(get);
      if (ids.length === 0) return 'absent';
      if (JSON.stringify(ids) === '["premium"]' && get.body.data.access_levels[0].expires_at === null) return 'applied';
      return `half-applied grant: ${JSON.stringify(get.body.data.access_levels)}`;
    }
    case 'patch':
    case 'create': {
      const a = attrs(get);
      if (op.kind === 'patch' && Object.keys(a).length === 0) return 'absent';
      if (JSON.stringify(a) === JSON.stringify({ a: `a${op.i}`, b: op.i })) return 'applied';
      return `half-applied ${op.kind}: ${JSON.stringify(get.body.data.custom_attributes)}`;
    }
  }
}

/**
 * Starts a server, pre-creates the profiles the grants and PATCHes aim at, fires all 200
 * writes at once and SIGKILLs the server either right after the last response ('all') or
 * the moment the n-th response arrives (the rest still in flight).
 */
async function crashRun(tag: string, killAfterResponses: number | 'all') {
  const dir = tempDir();
  const first = await startLedger({ dir });
  const ops = plan(tag);
  await createProfiles(
    first.url,
    ops.filter((o) => o.kind !== 'create').map((o) => o.cuid),
  );

  let received = 0;
  let killed: Promise<unknown> | null = null;
  // A kill mid-stream sends the last 20 requests at the moment of the kill: they are surely in flight when
  // it lands (the others may all have been answered by then: one group commit can answer them together).
  const held = killAfterResponses === 'all' ? [] : ops.slice(-20);
  let late: Promise<Outcome[]> = Promise.resolve([]);
  const run = async (op: Op): Promise<Outcome> => {
    try {
      const reply = await send(first.url, op);
      received++;
      if (killAfterResponses !== 'all' && received === killAfterResponses && !killed) {
        late = Promise.all(held.map(run));
        killed = first.kill9();
      }
      return { op, reply, error: null };
    } catch (e) {
      return { op, reply: null, error: String((e as Error).cause ?? e) };
    }
  };
  const outcomes: Outcome[] = await Promise.all(ops.slice(0, ops.length - held.length).map(run));
  outcomes.push(...(await late));
  if (!killed) killed = first.kill9(); // 'all': right after the last response
  await killed;
  expect(first.exit).toEqual({ code: null, signal: 'SIGKILL' });
  return { dir, ops, outcomes };
}

async function verifyAfterCrash(dir: string, outcomes: Outcome[]) {
  // The restarted server, and a second one whose read model starts empty (rebuilt from the log alone).
  const [second, rebuilt] = await Promise.all([
    startLedger({ dir }),
    startLedger({ dir, env: await emptyReadModelsEnv(dir) }),
  ]);
  const gets = await inParallel(outcomes, 50, (o) => getProfile(second.url, o.op.cuid));

  const problems: string[] = [];
  const notAcked: Outcome[] = [];
  outcomes.forEach((o, k) => {
    const effect = effectOf(o.op, gets[k]);
    const acked = o.reply !== null && ok(o.reply);
    if (o.reply && !ok(o.reply)) problems.push(`${o.op.cuid}: answered ${o.reply.status} before the crash: ${JSON.stringify(o.reply.body)}`);
    if (acked && effect !== 'applied') problems.push(`${o.op.cuid}: acknowledged but after restart ${effect}`);
    if (!acked && effect !== 'applied' && effect !== 'absent') problems.push(`${o.op.cuid}: ${effect}`);
    if (!acked) notAcked.push(o);
    // An acknowledged write answers with the state GET shows after the restart.
    if (acked && effect === 'applied') {
      const before = stable(o.reply!.body);
      const after = stable(gets[k].body);
      if (JSON.stringify(before) !== JSON.stringify(after)) {
        problems.push(`${o.op.cuid}: reply ${JSON.stringify(before)} but GET ${JSON.stringify(after)}`);
      }
    }
  });
  expect(problems).toEqual([]);

  // The log itself: no torn stream, no stray row, and the read model's checkpoint within the log.
  const report = await inspectStore(dir);
  expect(report.tornStreams).toEqual([]);
  expect(report.orphanEvents).toBe(0);
  expect(report.checkpoint).toBe(report.head);

  // The read model that survived the crash equals one rebuilt from the log alone.
  const again = await inParallel(outcomes, 50, (o) => getProfile(rebuilt.url, o.op.cuid));
  const survived = gets.map((g) => JSON.stringify({ s: g.status, b: stable(g.body) }));
  expect(again.map((g) => JSON.stringify({ s: g.status, b: stable(g.body) }))).toEqual(survived);

  // Writes cut off by the crash can simply be sent again, and then they hold (a create whose
  // reservation was written but whose profile was not must not stay blocked).
  const retried = await inParallel(notAcked, 50, (o) => send(second.url, o.op));
  expect(retried.filter((r) => !ok(r)).map((r) => `${r.status} ${JSON.stringify(r.body)}`)).toEqual([]);
  const finalGets = await inParallel(notAcked, 50, (o) => getProfile(rebuilt.url, o.op.cuid));
  expect(notAcked.map((o, k) => `${o.op.cuid}: ${effectOf(o.op, finalGets[k])}`)).toEqual(
    notAcked.map((o) => `${o.op.cuid}: applied`),
  );
  return { report, notAcked };
}

describe('kill -9 durability (200 concurrent writes at distinct profiles)', () => {
  // Three server starts and ~700 requests each: give a loaded machine room.
  const CRASH_TIMEOUT = 60000;
  afterEach(cleanup);

  it('every write acknowledged before SIGKILL is there after a restart, nothing half-applied', async () => {
    const { dir, outcomes } = await crashRun('k9all', 'all');
    expect(outcomes.filter((o) => !o.reply || !ok(o.reply)).map((o) => `${o.op.cuid} ${o.error ?? o.reply!.status}`)).toEqual([]);
    await verifyAfterCrash(dir, outcomes);
  }, CRASH_TIMEOUT);

  it('SIGKILL with requests still in flight: acknowledged writes survive, the rest are all-or-nothing', async () => {
    const { dir, outcomes } = await crashRun('k9mid', 40);
    const acked = outcomes.filter((o) => o.reply && ok(o.reply)).length;
    const cut = outcomes.filter((o) => o.error !== null).length;
    // The kill really happened mid-stream: some answered, some were cut off.
    expect(acked).toBeGreaterThanOrEqual(40);
    expect(cut).toBeGreaterThan(0);
    await verifyAfterCrash(dir, outcomes);
  }, CRASH_TIMEOUT);
});

// ---------------------------------------------------------------------------------------------
// 2. Two processes on one store
// ---------------------------------------------------------------------------------------------

describe('two processes on one store (one SQLite file, or one PostgreSQL database)', () => {
  let a: LedgerProcess;
  let b: LedgerProcess;
  const both = () => [a, b];

  // One pair for the three tests (each uses its own customer ids).
  beforeAll(async () => {
    const dir = tempDir();
    [a, b] = await Promise.all([startLedger({ dir }), startLedger({ dir })]);
  });
  afterAll(cleanup);

  it('20 parallel creates of one customer_user_id across both processes make exactly one profile', async () => {
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) => http(both()[i % 2].url, { method: 'POST', customerUserId: 'shared-user', body: {} })),
    );
    expect(replies.map((r) => r.status)).toEqual(Array(20).fill(200));
    const ids = new Set(replies.map((r) => r.body.data.profile_id));
    expect(ids.size).toBe(1);
    for (const p of both()) {
      const got = await getProfile(p.url, 'shared-user');
      expect(got.status).toBe(200);
      expect(got.body.data.profile_id).toBe([...ids][0]);
    }
  });

  /**
   * 100 concurrent writes to one profile, request i through targets[i % targets.length]:
   * 30 PATCHes with distinct custom-attribute keys (the per-profile maximum) and 70 one-time
   * purchases with distinct transaction ids. Every acknowledged write must be readable through
   * both processes, and none may be refused.
   */
  async function hotProfile(cuid: string, targets: LedgerProcess[]) {
    await createProfiles(a.url, [cuid]);
    const stderrFrom = both().map((p) => p.stderr.length);
    const writes = Array.from({ length: 100 }, (_, i) => {
      const base = targets[i % targets.length].url;
      if (i < 30) return http(base, { method: 'PATCH', customerUserId: cuid, body: { custom_attributes: [{ key: `k${i}`, value: i }] } });
      const id = `txn-${i}`;
      return http(base, {
        method: 'POST',
        path: SET_TRANSACTION,
        customerUserId: cuid,
        body: coinPurchase(id),
      });
    });
    const replies = await Promise.all(writes);
    const acked = replies.map((r) => r.status === 200);

    // First: nothing acknowledged is missing, whichever process is asked.
    const ackedAttrs = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`k${i}`, i]).filter((_, i) => acked[i]));
    const ackedTxns = Array.from({ length: 70 }, (_, i) => i + 30).filter((i) => acked[i]).map((i) => `txn-${i}`).sort();
    for (const p of both()) {
      const got = await getProfile(p.url, cuid);
      expect(got.status).toBe(200);
      expect(attrs(got)).toEqual(ackedAttrs);
      expect(got.body.data.non_subscriptions.map((n: any) => n.store_transaction_id).sort()).toEqual(ackedTxns);
      expect(got.body.data.total_revenue_usd).toBe(ackedTxns.length);
    }

    // Then: none was refused. 100 concurrent writes to one profile are ordinary load; a 5xx
    // here means the write is lost unless the client retries it.
    const name = (p: LedgerProcess) => (p === a ? 'A' : 'B');
    const refused = replies
      .map((r, i) => `#${i} via ${name(targets[i % targets.length])} (${i < 30 ? 'PATCH' : 'set/transaction'}): ${r.status} ${r.body?.error_code ?? ''}`)
      .filter((_, i) => !acked[i]);
    const serverErrors = both().flatMap((p, k) => p.stderr.slice(stderrFrom[k]).match(/Error: [^\n]*/g) ?? []);
    expect({ refused, serverErrors: [...new Set(serverErrors)] }).toEqual({ refused: [], serverErrors: [] });
  }

  it('100 concurrent writes to ONE profile split across both processes: none lost, none refused', () => hotProfile('hot-2', both()));

  // The same load through a single process (B idle on the same file) isolates the in-process part.
  it('100 concurrent writes to ONE profile through one process: none lost, none refused', () => hotProfile('hot-1', [a]));

  it('read-your-writes: a write acknowledged by A is visible in an immediate GET to B (50 times)', async () => {
    await createProfiles(a.url, ['ryw']);
    const misses: string[] = [];
    for (let i = 0; i < 50; i++) {
      const [writer, reader] = i % 2 === 0 ? [a, b] : [b, a];
      const w = await http(writer.url, { method: 'PATCH', customerUserId: 'ryw', body: { custom_attributes: [{ key: 'n', value: i }] } });
      expect(w.status).toBe(200);
      const r = await getProfile(reader.url, 'ryw');
      if (r.status !== 200 || attrs(r).n !== i) misses.push(`#${i}: wrote n=${i} on ${writer.port}, read ${JSON.stringify(attrs(r))} on ${reader.port}`);
    }
    expect(misses).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// 3. Restart
// ---------------------------------------------------------------------------------------------

describe('restart', () => {
  afterEach(cleanup);

  it('SIGTERM then start again: every GET body is identical except timestamp', async () => {
    const dir = tempDir();
    const first = await startLedger({ dir });
    const ids = Array.from({ length: 12 }, (_, i) => `restart-${i}`);
    await Promise.all(
      ids.map((id, i) => http(first.url, { method: 'POST', customerUserId: id, body: { custom_attributes: twoAttributes(i) } })),
    );
    const expires = new Date(Date.now() + 365 * 864e5).toISOString();
    const writes = await Promise.all(
      ids.flatMap((id, i) => [
        http(first.url, { method: 'POST', path: GRANT, customerUserId: id, body: { access_level_id: 'premium', expires_at: i % 2 ? expires : null } }),
        http(first.url, {
          method: 'POST',
          path: SET_TRANSACTION,
          customerUserId: id,
          body: {
            purchase_type: 'subscription',
            store: 'play_store',
            store_product_id: 'monthly',
            store_transaction_id: `sub-${i}`,
            store_original_transaction_id: `sub-${i}`,
            price: { country: 'DE', currency: 'EUR', value: 9.99 },
            purchased_at: '2024-01-01T00:00:00.000Z',
            originally_purchased_at: '2024-01-01T00:00:00.000Z',
            expires_at: expires,
            renew_status: true,
          },
        }),
      ]),
    );
    expect(writes.filter((w) => w.status !== 200).map((w) => w.body)).toEqual([]);
    const before = await Promise.all(ids.map((id) => getProfile(first.url, id)));
    expect(before.every((r) => r.status === 200)).toBe(true);

    const t0 = Date.now();
    const exit = await first.stop(8000);
    const stopMs = Date.now() - t0;
    // Exited by itself, cleanly, not by our fallback SIGKILL.
    expect(exit).toEqual({ code: 0, signal: null });
    expect(stopMs).toBeLessThan(8000);
    // The shutdown hook closed the databases: SQLite checkpoints and removes the WAL on the last close.
    if (!onPostgres()) expect(existsSync(join(dir, 'ledger.sqlite-wal'))).toBe(false);

    const second = await startLedger({ dir });
    const after = await Promise.all(ids.map((id) => getProfile(second.url, id)));
    expect(after.map((r) => r.status)).toEqual(before.map((r) => r.status));
    expect(after.map((r) => stable(r.body))).toEqual(before.map((r) => stable(r.body)));
    expect(after.every((r, k) => typeof r.body.data.timestamp === 'number' && r.body.data.timestamp >= before[k].body.data.timestamp)).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// 4. First start without API_KEYS
// ---------------------------------------------------------------------------------------------

describe('first start without API_KEYS', () => {
  afterEach(cleanup);

  it('generates a secret into the data dir (mode 600), names the file in the log but never logs the secret, and it keeps working after a restart', async () => {
    const dir = tempDir();
    const dataDir = join(dir, 'data');
    const env = { API_KEYS: undefined, DATA_DIR: dataDir };

    const first = await startLedger({ dir, env });
    const keyFile = join(dataDir, 'api-keys.json');
    await first.waitForStdout(/No API_KEYS set: created app \\"default\\"; its secret key is in /);
    expect(first.stdout).toContain(keyFile);
    const stored = JSON.parse(readFileSync(keyFile, 'utf8'));
    expect(stored).toEqual([{ appId: 'default', secret: expect.stringMatching(/^secret_live_[A-Za-z0-9_-]{20,}$/) }]);
    const secret: string = stored[0].secret;
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(first.stdout).not.toContain(secret);
    expect(first.stderr).not.toContain(secret);

    const created = await http(first.url, { method: 'POST', customerUserId: 'key-user', key: secret, body: {} });
    expect(created.status).toBe(200);
    expect(created.body.data.app_id).toBe('default');
    expect((await http(first.url, { customerUserId: 'key-user', key: 'secret_live_wrong' })).status).toBe(401);
    await first.stop();

    const second = await startLedger({ dir, env });
    const got = await getProfile(second.url, 'key-user', secret);
    expect(got.status).toBe(200);
    expect(got.body.data.profile_id).toBe(created.body.data.profile_id);
    await new Promise((r) => setTimeout(r, 100)); // let any late banner reach us
    expect(second.stdout).not.toMatch(/secret_live_|No API_KEYS set/);
    expect(second.stdout).not.toContain(secret);
    expect(JSON.parse(readFileSync(join(dataDir, 'api-keys.json'), 'utf8'))).toEqual(stored);
  });
});

// ---------------------------------------------------------------------------------------------
// 5. Configuration errors
// ---------------------------------------------------------------------------------------------

describe('configuration errors', () => {
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    ['unknown event store scheme', { EVENT_STORE_URL: 'foo:bar' }, /EVENT_STORE_URL/],
    ['PostgreSQL URL without a host', { EVENT_STORE_URL: 'postgres://ledger:pw-not-shown@/ledger' }, /EVENT_STORE_URL names no host/],
    ['bad PG_POOL_SIZE', { PG_POOL_SIZE: '0' }, /PG_POOL_SIZE/],
    ['bad SQLITE_SYNCHRONOUS', { SQLITE_SYNCHRONOUS: 'OFF' }, /SQLITE_SYNCHRONOUS/],
    ['bad PORT', { PORT: 'eighty' }, /PORT/],
    ['malformed API_KEYS', { API_KEYS: 'nosecret' }, /API_KEYS/],
    ['bad LOG_LEVEL', { LOG_LEVEL: 'loud' }, /LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent/],
    ['bad RATE_LIMIT_PER_MINUTE', { RATE_LIMIT_PER_MINUTE: '-1' }, /RATE_LIMIT_PER_MINUTE must be an integer >= 0/],
    ['bad LOG_REQUESTS', { LOG_REQUESTS: 'maybe' }, /LOG_REQUESTS must be 1 or 0/],
    ['HEADERS_TIMEOUT_MS over REQUEST_TIMEOUT_MS', { HEADERS_TIMEOUT_MS: '40000' }, /HEADERS_TIMEOUT_MS must not exceed REQUEST_TIMEOUT_MS/],
  ];
  const runs = new Map<string, { proc: LedgerProcess; dir: string }>();

  // The processes start together (each only has to fail), the tests then read their outcomes.
  beforeAll(async () => {
    for (const [name, env] of cases) {
      const dir = tempDir();
      const proc = await spawnLedger({
        EVENT_STORE_URL: `sqlite:${join(dir, 'ledger.sqlite')}`,
        API_KEYS: 'app1:secret',
        HOST: '127.0.0.1',
        PORT: '0',
        ...env,
      });
      runs.set(name, { proc, dir });
    }
    const timer = setTimeout(() => runs.forEach(({ proc }) => proc.child.kill('SIGKILL')), 15000);
    await Promise.all([...runs.values()].map(({ proc }) => proc.exited));
    clearTimeout(timer);
  });
  afterAll(cleanup);

  it.each(cases)('%s: exits 2 with a clear message and no stack trace', (name, _env, mention) => {
    const { proc, dir } = runs.get(name)!;
    expect(proc.exit!.signal).toBeNull();
    expect(proc.exit!.code).toBe(2);
    expect(proc.stderr).toMatch(/^Configuration error: /);
    expect(proc.stderr).toMatch(mention);
    expect(proc.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
    expect(proc.stderr.trim().split('\n')).toHaveLength(1);
    expect(proc.stderr).not.toContain('pw-not-shown');
    // Nothing was created on the way out.
    expect(existsSync(join(dir, 'ledger.sqlite'))).toBe(false);
  });
});
