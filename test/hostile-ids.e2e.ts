import { randomUUID } from 'node:crypto';
import { createProfile, expectEnvelope, GRANT, PROFILE, REVOKE, SET, subscriptionBody } from './support/fixtures';
import { call, KEYS, RunningLedger, startLedger, V2 } from './support/ledger-server';
import { rawCall, RawReply } from './support/raw-http';
import { logHead, openStore } from './support/test-store';
import { WebhookReceiver } from './support/webhook-receiver';

/**
 * Ids that reach Object.prototype when a plain object is indexed with them, ids that try to leave
 * their path segment, and ids that are merely unusual. Each goes, as it is sent on the wire, into
 * every path parameter; `plain` is the id as a header or body value.
 */
const HOSTILE: Array<{ name: string; segment: string; plain: string | null }> = [
  ...['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'].map((id) => ({
    name: id,
    segment: id,
    plain: id,
  })),
  { name: '../', segment: '../', plain: '../' },
  { name: '%2e%2e%2f', segment: '%2e%2e%2f', plain: '%2e%2e%2f' },
  { name: '%00', segment: '%00', plain: '\u0000' },
  { name: '10 kB', segment: 'x'.repeat(10_240), plain: 'x'.repeat(10_240) },
  { name: 'RTL', segment: encodeURIComponent('\u202Egnp.exe'), plain: null },
  { name: 'emoji', segment: encodeURIComponent('🦄💥'), plain: null },
];

describe('hostile ids on every route: 404 or 400 in the envelope, never 2xx on what was not created, never 5xx, nothing appended', () => {
  let ledger: RunningLedger;
  let endpointId: string;
  const receiver = new WebhookReceiver();

  const refused = (r: RawReply, where: string) => {
    if (r.status < 400 || r.status >= 500) throw new Error(`${where} answered ${r.status}: ${r.text.slice(0, 300)}`);
    expect([400, 404]).toContain(r.status);
    expect(r.contentType).toMatch(/^application\/json/);
    expect(Object.keys(r.body).sort()).toEqual(['error_code', 'errors', 'status_code']);
    expect(r.body.status_code).toBe(r.status);
  };

  beforeAll(async () => {
    ledger = await startLedger();
    await createProfile(ledger.url, 'hostile-owner');
    // A real endpoint of app2, so that an id lookup which leaks across apps or onto the prototype would show.
    const created = await call(ledger.url, {
      method: 'POST',
      path: '/admin/v1/webhook-endpoints',
      key: KEYS.app2,
      body: { url: await receiver.start() },
    });
    expect(created.status).toBe(201);
    endpointId = created.body.data.id;
  });
  afterAll(async () => {
    await ledger.close();
    await receiver.stop();
  });

  const routes = (seg: string): Array<[string, string, string?]> => [
    ['GET', `/admin/v1/webhook-endpoints/${seg}`],
    ['PATCH', `/admin/v1/webhook-endpoints/${seg}`, '{"enabled":false}'],
    ['DELETE', `/admin/v1/webhook-endpoints/${seg}`],
    ['POST', `/admin/v1/webhook-endpoints/${seg}/rotate-secret`],
    ['GET', `/admin/v1/webhook-endpoints/${seg}/deliveries`],
    ['POST', `/admin/v1/webhook-deliveries/${seg}/redeliver`],
    ['GET', `/api/v1/sdk/profiles/${seg}/`],
    ['GET', `/api/v1/sdk/profiles/${seg}/?extended=1`],
    ['PATCH', `/api/v1/sdk/profiles/${seg}/`, '{"email":"x@example.com"}'],
    ['DELETE', `/api/v1/sdk/profiles/${seg}/delete`],
    ['POST', `/api/v1/sdk/profiles/${seg}/paid-access-levels/premium/grant/`, '{"is_lifetime":true}'],
    ['POST', `/api/v1/sdk/profiles/${seg}/paid-access-levels/premium/revoke/`, '{}'],
    ['POST', `/api/v1/sdk/profiles/hostile-owner/paid-access-levels/${seg}/grant/`, '{"is_lifetime":true}'],
    ['POST', `/api/v1/sdk/profiles/hostile-owner/paid-access-levels/${seg}/revoke/`, '{}'],
    ['PUT', `/admin/v1/products/monthly/`, JSON.stringify({ access_level_id: decodeURIComponentSafe(seg) })],
  ];

  describe.each(HOSTILE)('id $name', ({ segment, plain }) => {
    it('every admin and v1 route with a path parameter refuses it', async () => {
      const head = await logHead(ledger.dir);
      for (const [method, path, body] of routes(segment)) {
        refused(await rawCall(ledger.url, method, path, { body }), `${method} ${path.slice(0, 80)}`);
      }
      expect(await logHead(ledger.dir)).toBe(head);
    });

    it('v2: as a profile header and as an access level or transaction id in a body', async () => {
      if (plain === null) return;
      const head = await logHead(ledger.dir);
      const asHeader = /^[\x20-\x7e]*$/.test(plain) && plain.length <= 255;
      if (asHeader) {
        for (const method of ['GET', 'PATCH', 'DELETE']) {
          refused(await rawCall(ledger.url, method, `${V2}/profile/`, { headers: { 'adapty-customer-user-id': plain }, body: method === 'PATCH' ? '{}' : undefined }), `${method} profile`);
          refused(await rawCall(ledger.url, method, `${V2}/profile/`, { headers: { 'adapty-profile-id': plain }, body: method === 'PATCH' ? '{}' : undefined }), `${method} profile`);
        }
        refused(await rawCall(ledger.url, 'GET', `${V2}/profile/history/`, { headers: { 'adapty-customer-user-id': plain } }), 'history');
      }
      const owner = { 'adapty-customer-user-id': 'hostile-owner' };
      refused(await rawCall(ledger.url, 'POST', GRANT, { headers: owner, body: JSON.stringify({ access_level_id: plain }) }), 'grant');
      refused(await rawCall(ledger.url, 'POST', REVOKE, { headers: owner, body: JSON.stringify({ access_level_id: plain }) }), 'revoke');
      expect(await logHead(ledger.dir)).toBe(head);
      const profile = await call(ledger.url, { path: PROFILE, customerUserId: 'hostile-owner' });
      expect(profile.body.data.access_levels).toEqual([]);
    });

    it('as a store transaction id it is data like any other, or refused', async () => {
      if (plain === null) return;
      const body = subscriptionBody(ledger.clock, { store_transaction_id: plain, store_original_transaction_id: plain });
      const r = await call(ledger.url, { method: 'POST', path: SET, customerUserId: 'hostile-owner', body });
      if (r.status === 200) {
        expect(r.body.data.subscriptions.map((s: { store_transaction_id: string }) => s.store_transaction_id)).toContain(plain);
      } else expectEnvelope(r, 400);
    });
  });

  it('a customer user id with NUL is refused at the door; one already in the log keeps every read served, on either store', async () => {
    const head = await logHead(ledger.dir);
    const refusedCreate = await call(ledger.url, { method: 'POST', path: '/api/v1/sdk/profiles/', body: { customer_user_id: 'nul\u0000user' } });
    expectEnvelope(refusedCreate, 400);
    expect(JSON.stringify(refusedCreate.body)).toContain('customer_user_id');
    expect(await logHead(ledger.dir)).toBe(head);
    // Written before the refusal existed (or by another tool): PostgreSQL text cannot hold the id, and
    // the shared projection must not stall on it.
    const profileId = randomUUID();
    const store = await openStore(ledger.dir);
    try {
      const created = { app_id: 'app1', profile_id: profileId, customer_user_id: 'legacy\u0000user', created_at: new Date().toISOString(), attributes: {}, custom_attributes: {} };
      await store.append(`profile-${profileId}`, [{ eventId: randomUUID(), type: 'ProfileCreated', data: created, metadata: { app_id: 'app1', source: 'test' } }], {
        expected: 'no_stream',
        recordedAt: new Date(),
      });
    } finally {
      await store.close();
    }
    const byId = await call(ledger.url, { path: PROFILE, profileId });
    expect(byId.status).toBe(200);
    expect(byId.body.data.customer_user_id).toBe('legacy\u0000user');
    await createProfile(ledger.url, 'after-nul');
    expect((await call(ledger.url, { path: PROFILE, customerUserId: 'after-nul' })).status).toBe(200);
  });

  it("app2's real endpoint is never reached through app1's key", async () => {
    refused(await rawCall(ledger.url, 'GET', `/admin/v1/webhook-endpoints/${endpointId}`), 'GET');
    refused(await rawCall(ledger.url, 'DELETE', `/admin/v1/webhook-endpoints/${endpointId}`), 'DELETE');
    const list = await call(ledger.url, { path: '/admin/v1/webhook-endpoints' });
    expect(list.body.data).toEqual([]);
    const own = await call(ledger.url, { path: '/admin/v1/webhook-endpoints', key: KEYS.app2 });
    expect(own.body.data.map((e: { id: string }) => e.id)).toEqual([endpointId]);
  });

  it('the reproduction of issue 8 answers 404, appends nothing, and leaves no phantom endpoints across a restart', async () => {
    const head = await logHead(ledger.dir);
    const del = await rawCall(ledger.url, 'DELETE', '/admin/v1/webhook-endpoints/constructor');
    refused(del, 'DELETE');
    expect(del.body).toEqual({ errors: [{ source: null, errors: ['Webhook endpoint not found'] }], error_code: 'webhook_endpoint_does_not_exist', status_code: 404 });
    refused(await rawCall(ledger.url, 'POST', '/admin/v1/webhook-endpoints/__proto__/rotate-secret'), 'rotate');
    refused(await rawCall(ledger.url, 'GET', '/admin/v1/webhook-endpoints/constructor'), 'GET');
    expect(await logHead(ledger.dir)).toBe(head);
    await ledger.stop();
    ledger = await startLedger({ dir: ledger.dir, clock: ledger.clock });
    expect((await call(ledger.url, { path: '/admin/v1/webhook-endpoints' })).body.data).toEqual([]);
    expect((await call(ledger.url, { path: '/admin/v1/webhook-endpoints', key: KEYS.app2 })).body.data).toHaveLength(1);
  });

  it('access levels and products named like Object.prototype members are declared, listed and granted as data', async () => {
    for (const id of ['constructor', '__proto__', 'toString']) {
      const put = await call(ledger.url, { method: 'PUT', path: `/admin/v1/access-levels/${id}` });
      expect(put.status).toBe(200);
      expect(put.body.data.access_level_id).toBe(id);
      const product = await call(ledger.url, { method: 'PUT', path: `/admin/v1/products/${id}`, body: { access_level_id: id } });
      expect(product.status).toBe(200);
      expect(product.body.data).toMatchObject({ store_product_id: id, access_level_id: id });
    }
    const levels = (await call(ledger.url, { path: '/admin/v1/access-levels' })).body.data.map((l: { access_level_id: string }) => l.access_level_id);
    expect(levels.sort()).toEqual(['__proto__', 'constructor', 'premium', 'toString']);
    expect((await call(ledger.url, { path: '/admin/v1/access-levels', key: KEYS.app2 })).body.data).toHaveLength(1);
    await createProfile(ledger.url, 'proto-grantee');
    const grant = await call(ledger.url, { method: 'POST', path: GRANT, customerUserId: 'proto-grantee', body: { access_level_id: '__proto__' } });
    expect(grant.status).toBe(200);
    expect(grant.body.data.access_levels.map((a: { access_level_id: string }) => a.access_level_id)).toEqual(['__proto__']);
    const v1 = await call(ledger.url, { path: '/api/v1/sdk/profiles/proto-grantee/' });
    expect(Object.keys(v1.body.data.paid_access_levels)).toEqual(['__proto__']);
    expect(JSON.parse(JSON.stringify(v1.body.data.paid_access_levels)).__proto__.is_active).toBe(true);
  });
});

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
