/**
 * Three ledger processes on one PostgreSQL database (log, read models, outbox and leases all
 * shared), behind round-robin requests: what a deployment of N nodes behind a load balancer sees.
 * Read-your-writes holds across nodes; concurrent writes to one profile through every node lose
 * nothing; each expiry is recorded once however many schedulers race; and webhooks keep their
 * delivery guarantees when a node is killed with SIGKILL in the middle of a run: every delivery
 * arrives, in per-profile order, and the only repeats are attempts the outbox counted (retries
 * after a timeout) or deliveries the dead node had sent but not recorded, sent again by another
 * node once their lease lapsed.
 */
import { Client } from 'pg';
import { cleanupAll, http, LedgerProcess, Reply, Req, sleep, startLedger, stable, tempDir, V2 } from './support/process-ledger';
import { freshDatabase } from './support/postgres';
import { Received, WebhookReceiver } from './support/webhook-receiver';
import { coinPurchase, endingSubscription } from './support/request-bodies';

// About a minute on a quiet two-core machine; room for a loaded one.
jest.setTimeout(120_000);

const GRANT = `${V2}/purchase/profile/grant/access-level/`;
const REVOKE = `${V2}/purchase/profile/revoke/access-level/`;
const SET_TRANSACTION = `${V2}/purchase/set/transaction/`;
/** The lease a delivery stays claimed for (10 s request timeout + 5 s, src/ledger-runtime.ts). */
const LEASE_MS = 15_000;
/** Requests a node has in flight to one endpoint at most (src/ledger-runtime.ts). */
const PER_ENDPOINT_IN_FLIGHT = 32;
const ENV = {
  PG_POOL_SIZE: '4',
  LOG_LEVEL: 'warn',
  WEBHOOK_POLL_MS: '200',
  EXPIRY_POLL_MS: '100',
  WEBHOOK_RETRY_SCHEDULE: '0,0.3,0.3,0.3,0.3,0.3,0.3,0.3,0.3,0.3',
};

describe('three nodes on one PostgreSQL database', () => {
  const receiver = new WebhookReceiver();
  let url: string;
  let nodes: LedgerProcess[] = [];
  let turn = 0;

  /**
   * Round robin over the live nodes; a node that went away mid-request is skipped and the request sent
   * to the next (`resent`: the first attempt may have landed).
   */
  async function send(r: Req): Promise<Reply & { resent: boolean }> {
    for (let tries = 0; ; tries++) {
      const live = nodes.filter((n) => n.alive);
      const node = live[turn++ % live.length];
      try {
        return { ...(await http(node.url, r)), resent: tries > 0 };
      } catch (error) {
        if (tries >= 5) throw error;
      }
    }
  }

  async function sql<T extends object>(text: string, values: unknown[] = []): Promise<T[]> {
    const db = new Client({ connectionString: url });
    await db.connect();
    try {
      return (await db.query<T>(text, values)).rows;
    } finally {
      await db.end();
    }
  }

  const create = async (node: LedgerProcess, user: string): Promise<string> => {
    const r = await http(node.url, { method: 'POST', customerUserId: user, body: {} });
    expect(r.status).toBe(200);
    return r.body.data.profile_id;
  };

  beforeAll(async () => {
    url = await freshDatabase('nodes');
    const hook = await receiver.start();
    // The first node creates the schema; the other two join a database that already has it.
    nodes = [await startLedger({ dir: tempDir(), env: { EVENT_STORE_URL: url, ...ENV } })];
    nodes.push(...(await Promise.all([1, 2].map(() => startLedger({ dir: tempDir(), env: { EVENT_STORE_URL: url, ...ENV } })))));
    expect((await http(nodes[0].url, { method: 'PUT', path: '/admin/v1/products/monthly', body: { access_level_id: 'premium' } })).status).toBe(200);
    expect((await http(nodes[1].url, { method: 'POST', path: '/admin/v1/webhook-endpoints', body: { url: hook } })).status).toBe(201);
  }, 60_000);
  afterAll(async () => {
    await cleanupAll();
    await receiver.stop();
  });

  it('read-your-writes across nodes: what one node acknowledged, the next one serves at once', async () => {
    const misses: string[] = [];
    for (let i = 0; i < 30; i++) {
      const [writer, reader] = [nodes[i % 3], nodes[(i + 1) % 3]];
      const user = `ryw-${i}`;
      const created = await http(writer.url, { method: 'POST', customerUserId: user, body: { first_name: `n${i}` } });
      expect(created.status).toBe(200);
      const read = await http(reader.url, { customerUserId: user });
      if (read.status !== 200 || JSON.stringify(stable(read.body)) !== JSON.stringify(stable(created.body))) {
        misses.push(`create #${i} on :${writer.port}, read on :${reader.port}: ${read.status} ${JSON.stringify(read.body)}`);
      }
      const patched = await http(reader.url, { method: 'PATCH', customerUserId: user, body: { custom_attributes: [{ key: 'n', value: i }] } });
      expect(patched.status).toBe(200);
      const again = await http(nodes[(i + 2) % 3].url, { customerUserId: user });
      if (JSON.stringify(stable(again.body)) !== JSON.stringify(stable(patched.body))) misses.push(`patch #${i}: ${JSON.stringify(again.body)}`);
    }
    expect(misses).toEqual([]);
  });

  it('64 concurrent writes to one profile through all three nodes: every 2xx is in the final state and the log, nothing else is', async () => {
    const user = 'hot';
    const profileId = await create(nodes[0], user);
    // 30 custom attributes (the per-profile maximum) and 34 one-time purchases, request i through node i % 3.
    const replies = await Promise.all(
      Array.from({ length: 64 }, (_, i) => {
        const node = nodes[i % 3];
        if (i < 30) return http(node.url, { method: 'PATCH', customerUserId: user, body: { custom_attributes: [{ key: `k${i}`, value: i }] } });
        const id = `txn-${i}`;
        return http(node.url, {
          method: 'POST',
          path: SET_TRANSACTION,
          customerUserId: user,
          body: coinPurchase(id),
        });
      }),
    );
    // Conflicts between nodes are retried by the server: none reaches the client.
    expect(replies.filter((r) => r.status !== 200).map((r) => `${r.status} ${JSON.stringify(r.body)}`)).toEqual([]);
    const attributes = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`k${i}`, i]));
    const transactions = Array.from({ length: 34 }, (_, i) => `txn-${i + 30}`).sort();
    for (const node of nodes) {
      const got = await http(node.url, { customerUserId: user });
      expect(got.status).toBe(200);
      expect(Object.fromEntries(got.body.data.custom_attributes.map((a: { key: string; value: unknown }) => [a.key, a.value]))).toEqual(attributes);
      expect(got.body.data.non_subscriptions.map((n: { store_transaction_id: string }) => n.store_transaction_id).sort()).toEqual(transactions);
      expect(got.body.data.total_revenue_usd).toBe(34);
    }
    // The log holds the creation and exactly one event per acknowledged write, in one gapless stream.
    const events = await sql<{ type: string; revision: string }>('SELECT type, revision FROM ledger_events WHERE stream_id = $1 ORDER BY revision', [`profile-${profileId}`]);
    expect(events.map((e) => Number(e.revision))).toEqual(Array.from({ length: 65 }, (_, i) => i));
    const count = (type: string) => events.filter((e) => e.type === type).length;
    expect([count('ProfileCreated'), count('AttributesUpdated'), events.length - 1 - count('AttributesUpdated')]).toEqual([1, 30, 34]);
  });

  it('each expiry is recorded once while three expiry schedulers race', async () => {
    const now = Date.now();
    const users = Array.from({ length: 15 }, (_, i) => `exp-${i}`);
    const ids = await Promise.all(
      users.map(async (user, i) => {
        const node = nodes[i % 3];
        const id = await create(node, user);
        const r = await http(node.url, {
          method: 'POST',
          path: SET_TRANSACTION,
          customerUserId: user,
          body: endingSubscription(`tx-${user}`, now, now + 1500),
        });
        expect(r.status).toBe(200);
        return id;
      }),
    );
    const expired = (rs: Received[], id: string) => rs.filter((r) => r.body.event_type === 'subscription_expired' && r.body.profile_id === id).length;
    await receiver.waitFor((rs) => ids.every((id) => expired(rs, id) >= 1), 20_000);
    // Long enough for a late scheduler on any node to have recorded a second one.
    await sleep(1000);
    const rows = await sql<{ stream_id: string; n: string }>(
      `SELECT stream_id, COUNT(*) AS n FROM ledger_events WHERE type = 'SourceExpired' AND stream_id = ANY ($1) GROUP BY stream_id`,
      [ids.map((id) => `profile-${id}`)],
    );
    expect(new Map(rows.map((r) => [r.stream_id, Number(r.n)]))).toEqual(new Map(ids.map((id) => [`profile-${id}`, 1])));
    expect(ids.map((id) => expired(receiver.received, id))).toEqual(ids.map(() => 1));
  });

  it('2,000 webhook-triggering writes while one node is killed with SIGKILL: every delivery arrives, in per-profile order, repeated only where a send went unrecorded', async () => {
    const PROFILES = 200;
    const ROUNDS = 10; // grant, revoke, grant, …: each one an access_level_updated webhook
    const users = Array.from({ length: PROFILES }, (_, i) => `wh-${i}`);
    const ids = await Promise.all(users.map((u, i) => create(nodes[i % 3], u)));
    const mine = new Set(ids);
    const before = receiver.received.length;
    let written = 0;
    const victim = nodes[2];
    const killing = (async () => {
      // Mid-run: a third of the writes acknowledged, deliveries flowing from every node.
      while (written < (PROFILES * ROUNDS) / 3) await sleep(5);
      await victim.kill9();
    })();
    // Each profile's writes in order, 40 profiles at a time, every request to the next live node.
    let next = 0;
    await Promise.all(
      Array.from({ length: 40 }, async () => {
        while (next < users.length) {
          const user = users[next++];
          for (let round = 0; round < ROUNDS; round++) {
            const revoke = round % 2 === 1;
            const r = await send({ method: 'POST', path: revoke ? REVOKE : GRANT, customerUserId: user, body: { access_level_id: 'premium' } });
            // A write cut off by the kill was sent again to another node. If its first attempt had landed,
            // a revoke sent again finds nothing left to revoke; a grant sent again is granted again.
            if (r.resent && revoke && r.status === 400) expect(r.body.error_code).toBe('profile_paid_access_level_does_not_exist');
            else expect(r.status).toBe(200);
            written++;
          }
        }
      }),
    );
    await killing;
    expect(victim.exit).toEqual({ code: null, signal: 'SIGKILL' });

    // The outbox is the truth of what must arrive: wait until every row of these profiles was delivered.
    type Row = { id: string; profile_id: string; status: string; attempts: number };
    const outbox = async () =>
      (await sql<Row>('SELECT id, profile_id, status, attempts FROM ledger_rm_deliveries ORDER BY seq')).filter((r) => mine.has(r.profile_id));
    const deadline = Date.now() + LEASE_MS + 20_000;
    let rows = await outbox();
    while (rows.some((r) => r.status !== 'delivered') && Date.now() < deadline) {
      await sleep(200);
      rows = await outbox();
    }
    expect(rows.filter((r) => r.status !== 'delivered')).toEqual([]);
    expect(rows.length).toBeGreaterThanOrEqual(PROFILES * ROUNDS);

    const got = receiver.received.slice(before).filter((r) => mine.has(r.body.profile_id));
    const byId = new Map<string, Received[]>();
    for (const r of got) byId.set(String(r.headers['webhook-id']), [...(byId.get(String(r.headers['webhook-id'])) ?? []), r]);
    // None missing, none unknown.
    expect([...byId.keys()].sort()).toEqual(rows.map((r) => r.id).sort());
    // At least once, and a repeat only where a send was not recorded as delivered: every receipt is an
    // attempt the outbox counted (a timeout the subscriber still answered is retried with the same id),
    // except one more for each delivery the killed node had in flight (at most its per-endpoint budget).
    const unrecorded = rows.filter((r) => byId.get(r.id)!.length > r.attempts);
    expect(unrecorded.filter((r) => byId.get(r.id)!.length > r.attempts + 1)).toEqual([]);
    expect(unrecorded.length).toBeLessThanOrEqual(PER_ENDPOINT_IN_FLIGHT);
    // Per-profile order: deliveries that went through on their first attempt arrived in profile_sequence
    // order (one waiting for a retry does not hold the later ones up, by design).
    const once = new Set(rows.filter((r) => r.attempts === 1).map((r) => r.id));
    const disorder: string[] = [];
    const seen = new Map<string, number>();
    const first = new Set<string>();
    for (const r of got) {
      const id = String(r.headers['webhook-id']);
      if (first.has(id) || !once.has(id)) continue;
      first.add(id);
      const last = seen.get(r.body.profile_id) ?? 0;
      if (r.body.profile_sequence <= last) disorder.push(`${r.body.profile_id}: ${r.body.profile_sequence} after ${last}`);
      seen.set(r.body.profile_id, r.body.profile_sequence);
    }
    expect(disorder).toEqual([]);
  });
});
