/**
 * Webhooks across real processes: two servers on one SQLite file send each delivery once,
 * record each expiry once, and a delivery pending when both are killed (SIGKILL) is sent
 * after a restart.
 */
import { cleanupAll, http, LedgerProcess, sleep, startLedger, tempDir, V2 } from './support/process-ledger';
import { Received, WebhookReceiver } from './support/webhook-receiver';
import { endingSubscription } from './support/request-bodies';

jest.setTimeout(60_000);

const FAST = { WEBHOOK_RETRY_SCHEDULE: '0,0.3,0.3,0.3,0.3,0.3,0.3,0.3,0.3,0.3', WEBHOOK_POLL_MS: '20', EXPIRY_POLL_MS: '100' };
const GRANT = `${V2}/purchase/profile/grant/access-level/`;

describe('webhooks across processes', () => {
  const receiver = new WebhookReceiver();
  let url: string;
  let dir: string;
  let a: LedgerProcess;
  let b: LedgerProcess;

  const byProfile = (rs: Received[], type: string) => {
    const counts = new Map<string, number>();
    for (const r of rs) if (r.body.event_type === type) counts.set(r.body.profile_id, (counts.get(r.body.profile_id) ?? 0) + 1);
    return counts;
  };
  const create = async (p: LedgerProcess, user: string) => (await http(p.url, { method: 'POST', path: `${V2}/profile/`, customerUserId: user, body: {} })).body.data.profile_id as string;

  beforeAll(async () => {
    url = await receiver.start();
    dir = tempDir();
    a = await startLedger({ dir, env: FAST });
    b = await startLedger({ dir, env: FAST });
    expect((await http(a.url, { method: 'POST', path: '/admin/v1/webhook-endpoints', body: { url } })).status).toBe(201);
    expect((await http(a.url, { method: 'PUT', path: '/admin/v1/products/monthly', body: { access_level_id: 'premium' } })).status).toBe(200);
  });
  afterAll(async () => {
    await cleanupAll();
    await receiver.stop();
  });

  it('two processes on one store send each delivery once', async () => {
    const users = Array.from({ length: 40 }, (_, i) => `two-${i}`);
    const ids = await Promise.all(
      users.map(async (u, i) => {
        const p = i % 2 ? a : b;
        const id = await create(p, u);
        expect((await http(p.url, { method: 'POST', path: GRANT, customerUserId: u, body: { access_level_id: 'premium' } })).status).toBe(200);
        return id;
      }),
    );
    await receiver.waitFor((rs) => ids.every((id) => byProfile(rs, 'access_level_updated').get(id) === 1), 20_000);
    await sleep(500);
    const mine = receiver.received.filter((r) => ids.includes(r.body.profile_id));
    expect(mine).toHaveLength(40);
    expect(new Set(mine.map((r) => r.headers['webhook-id'])).size).toBe(40);
  });

  it('records each expiry once when two schedulers race', async () => {
    const now = Date.now();
    const users = Array.from({ length: 10 }, (_, i) => `exp-${i}`);
    const ids = await Promise.all(
      users.map(async (u, i) => {
        const p = i % 2 ? a : b;
        const id = await create(p, u);
        const r = await http(p.url, {
          method: 'POST',
          path: `${V2}/purchase/set/transaction/`,
          customerUserId: u,
          body: endingSubscription(`tx-${u}`, now, now + 1500),
        });
        expect(r.status).toBe(200);
        return id;
      }),
    );
    await receiver.waitFor((rs) => ids.every((id) => byProfile(rs, 'subscription_expired').get(id) === 1), 20_000);
    await sleep(800);
    for (const id of ids) {
      expect(byProfile(receiver.received, 'subscription_expired').get(id)).toBe(1);
      const history = await http(a.url, { path: `${V2}/profile/history/`, profileId: id });
      expect(history.body.data.filter((e: { type: string }) => e.type === 'SourceExpired')).toHaveLength(1);
    }
  });

  it('delivers after a restart what was pending when both processes were killed', async () => {
    receiver.mode = 'down';
    const users = Array.from({ length: 10 }, (_, i) => `crash-${i}`);
    const ids: string[] = [];
    for (const u of users) {
      ids.push(await create(a, u));
      expect((await http(a.url, { method: 'POST', path: GRANT, customerUserId: u, body: { access_level_id: 'premium' } })).status).toBe(200);
    }
    await sleep(100);
    await Promise.all([a.kill9(), b.kill9()]);
    receiver.mode = 'ok';
    a = await startLedger({ dir, env: FAST });
    // A delivery that was in flight at the kill is leased for timeout + 5 s; then it goes again.
    await receiver.waitFor((rs) => ids.every((id) => byProfile(rs, 'access_level_updated').get(id) === 1), 40_000);
    const mine = receiver.received.filter((r) => ids.includes(r.body.profile_id));
    expect(new Set(mine.map((r) => r.headers['webhook-id'])).size).toBe(mine.length);
  });
});
