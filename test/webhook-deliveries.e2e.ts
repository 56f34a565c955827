import { envelope, expectEnvelope, GRANT, PROFILE, SET } from './support/fixtures';
import { call, KEYS, RunningLedger, startLedger } from './support/ledger-server';
import { WebhookReceiver } from './support/webhook-receiver';

/** GET /admin/v1/webhook-deliveries?profile_id=…: one customer's deliveries, as the support console shows them. */
describe('webhook deliveries of one profile', () => {
  let ledger: RunningLedger;
  const receivers: WebhookReceiver[] = [];
  const endpoints: string[] = [];
  const list = (query: string, key?: string | null) => call(ledger.url, { path: `/admin/v1/webhook-deliveries${query}`, key });

  async function endpoint(key: string): Promise<string> {
    const receiver = new WebhookReceiver();
    receivers.push(receiver);
    const created = await call(ledger.url, { method: 'POST', path: '/admin/v1/webhook-endpoints', key, body: { url: await receiver.start() } });
    expect(created.status).toBe(201);
    return created.body.data.id;
  }

  async function profileWithGrant(customerUserId: string, key = KEYS.app1): Promise<string> {
    const created = await call(ledger.url, { method: 'POST', path: PROFILE, customerUserId, key, body: {} });
    expect(created.status).toBe(200);
    expect((await call(ledger.url, { method: 'POST', path: GRANT, customerUserId, key, body: { access_level_id: 'premium' } })).status).toBe(200);
    return created.body.data.profile_id;
  }

  beforeAll(async () => {
    ledger = await startLedger({ env: { WEBHOOK_ALLOW_PRIVATE_URLS: 'true', WEBHOOK_POLL_MS: '20' } });
    endpoints.push(await endpoint(KEYS.app1), await endpoint(KEYS.app1));
  });

  afterAll(async () => {
    await ledger.close();
    await Promise.all(receivers.map((r) => r.stop()));
  });

  it("lists a profile's deliveries to every endpoint, newest first, with status, attempts, last response and next attempt, at once after a write", async () => {
    const profileId = await profileWithGrant('deliveries-a');
    await profileWithGrant('deliveries-other');
    const now = Date.now();
    const purchase = {
      purchase_type: 'subscription',
      store: 'stripe',
      store_product_id: 'monthly',
      store_transaction_id: 'in_a1',
      store_original_transaction_id: 'sub_a',
      price: { country: 'US', currency: 'USD', value: 9.99 },
      purchased_at: new Date(now - 1000).toISOString(),
      originally_purchased_at: new Date(now - 1000).toISOString(),
      expires_at: new Date(now + 30 * 86_400_000).toISOString(),
      renew_status: true,
    };
    expect((await call(ledger.url, { method: 'POST', path: SET, customerUserId: 'deliveries-a', body: purchase })).status).toBe(200);

    // No wait: the list catches up with the log before it answers.
    const r = await list(`?profile_id=${profileId}`);
    expect(r.status).toBe(200);
    expect(r.body.next_cursor).toBeNull();
    const deliveries = r.body.data;
    // access_level_updated (grant), then subscription_started (purchase of an unmapped product), each to both endpoints.
    expect(deliveries.map((d: any) => d.event_type)).toEqual(['subscription_started', 'subscription_started', 'access_level_updated', 'access_level_updated']);
    // profile_sequence strictly increases across the profile's webhook events (both endpoints get the same number).
    const [later, , earlier] = deliveries.map((d: any) => d.profile_sequence);
    expect(deliveries[0].profile_sequence).toBe(deliveries[1].profile_sequence);
    expect(later).toBeGreaterThan(earlier);
    expect(new Set(deliveries.map((d: any) => d.endpoint_id))).toEqual(new Set(endpoints));
    for (const d of deliveries) {
      expect(Object.keys(d).sort()).toEqual(
        [
          'attempts', 'created_at', 'delivered_at', 'endpoint_id', 'event_type', 'id', 'last_attempt_at', 'last_error', 'last_response_excerpt',
          'last_response_status', 'next_attempt_at', 'profile_id', 'profile_sequence', 'status',
        ].sort(),
      );
      expect(d.profile_id).toBe(profileId);
    }

    // Delivered, the same list shows the outcome.
    for (const deadline = Date.now() + 10_000; ; ) {
      expect(Date.now()).toBeLessThan(deadline);
      const again = (await list(`?profile_id=${profileId}`)).body.data;
      if (again.every((d: any) => d.status === 'delivered')) {
        for (const d of again) expect(d).toMatchObject({ attempts: 1, last_response_status: 200, last_error: null, next_attempt_at: null });
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });

  it('pages with limit and an opaque cursor, without gaps or repeats', async () => {
    const profileId = await profileWithGrant('deliveries-paged');
    for (let i = 0; i < 2; i++) {
      await call(ledger.url, { method: 'POST', path: '/api/v2/server-side-api/purchase/profile/revoke/access-level/', customerUserId: 'deliveries-paged', body: { access_level_id: 'premium' } });
      await call(ledger.url, { method: 'POST', path: GRANT, customerUserId: 'deliveries-paged', body: { access_level_id: 'premium' } });
    }
    const all = (await list(`?profile_id=${profileId}`)).body.data.map((d: any) => d.id);
    expect(all.length).toBeGreaterThanOrEqual(10);
    const paged: string[] = [];
    let query = `?profile_id=${profileId}&limit=3`;
    for (;;) {
      const page = await list(query);
      expect(page.status).toBe(200);
      expect(page.body.data.length).toBeLessThanOrEqual(3);
      paged.push(...page.body.data.map((d: any) => d.id));
      if (page.body.next_cursor === null) break;
      expect(page.body.data).toHaveLength(3);
      query = `?profile_id=${profileId}&limit=3&cursor=${page.body.next_cursor}`;
    }
    expect(paged).toEqual(all);
    // Upper-case ids name the same profile.
    expect((await list(`?profile_id=${profileId.toUpperCase()}&limit=1000`)).body.data.map((d: any) => d.id)).toEqual(all);
  });

  it("never shows another app's deliveries; an unknown profile gets an empty page", async () => {
    const app1Profile = await profileWithGrant('deliveries-app1');
    const app2Endpoint = await endpoint(KEYS.app2);
    const app2Profile = await profileWithGrant('deliveries-app2', KEYS.app2);
    expect((await list(`?profile_id=${app1Profile}`)).body.data.length).toBeGreaterThan(0);
    const app2Own = (await list(`?profile_id=${app2Profile}`, KEYS.app2)).body.data;
    expect(app2Own.map((d: any) => d.endpoint_id)).toEqual([app2Endpoint]);

    expect((await list(`?profile_id=${app1Profile}`, KEYS.app2)).body).toEqual({ data: [], next_cursor: null });
    expect((await list(`?profile_id=${app2Profile}`)).body).toEqual({ data: [], next_cursor: null });
    expect((await list('?profile_id=00000000-0000-4000-8000-000000000000')).body).toEqual({ data: [], next_cursor: null });
  });

  it('answers a bad profile_id, limit or cursor with a 400 envelope, and no key with a 401', async () => {
    const bad = async (query: string, source: string, message: string) => {
      const r = await list(query);
      expectEnvelope(r, 400);
      expect(r.body).toEqual(envelope(400, 'validation_error', source, message));
    };
    const profileMessage = 'profile_id must be a profile id (a UUID).';
    await bad('', 'profile_id', profileMessage);
    await bad('?profile_id=', 'profile_id', profileMessage);
    await bad('?profile_id=user-42', 'profile_id', profileMessage);
    await bad('?profile_id=00000000-0000-4000-8000-000000000000&profile_id=00000000-0000-4000-8000-000000000001', 'profile_id', profileMessage);
    const id = '00000000-0000-4000-8000-000000000000';
    for (const limit of ['0', '1001', 'abc', '1.5']) await bad(`?profile_id=${id}&limit=${limit}`, 'limit', 'limit must be an integer from 1 to 1000.');
    const historyCursor = Buffer.from('r:5').toString('base64url');
    for (const cursor of ['nope', historyCursor]) await bad(`?profile_id=${id}&cursor=${cursor}`, 'cursor', 'cursor is not one this API returned.');

    const anonymous = await list(`?profile_id=${id}`, null);
    expectEnvelope(anonymous, 401);
    expect(anonymous.body.error_code).toBe('not_authenticated');
  });
});
