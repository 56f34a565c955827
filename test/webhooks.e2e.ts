import { Webhook } from 'standardwebhooks';
import { DAY, GRANT, PROFILE, REVOKE, SET } from './support/fixtures';
import { call, RunningLedger, startLedger } from './support/ledger-server';
import { Received, WebhookReceiver } from './support/webhook-receiver';

const FAST = { WEBHOOK_RETRY_SCHEDULE: '0,0.2,0.2,0.2', WEBHOOK_POLL_MS: '20', EXPIRY_POLL_MS: '50' };
const iso = (ms: number) => new Date(ms).toISOString();

function subscription(id: string, original: string, purchased: number, expires: number, extra: Record<string, unknown> = {}) {
  return {
    purchase_type: 'subscription',
    store: 'stripe',
    store_product_id: 'monthly',
    store_transaction_id: id,
    store_original_transaction_id: original,
    price: { country: 'US', currency: 'USD', value: 9.99 },
    purchased_at: iso(purchased),
    originally_purchased_at: iso(purchased),
    expires_at: iso(expires),
    renew_status: true,
    ...extra,
  };
}

const types = (rs: Received[], profileId?: string) =>
  rs.filter((r) => !profileId || r.body.profile_id === profileId).map((r) => r.body.event_type);

describe('webhooks: durable, signed, ordered delivery', () => {
  let ledger: RunningLedger;
  let receiver: WebhookReceiver;
  let url: string;
  let endpoint: { id: string; secret: string };

  const tx = (user: string, body: unknown) => call(ledger.url, { method: 'POST', path: SET, customerUserId: user, body });
  const createProfile = async (user: string) =>
    (await call(ledger.url, { method: 'POST', path: PROFILE, customerUserId: user, body: {} })).body.data.profile_id as string;

  beforeAll(async () => {
    ledger = await startLedger({ env: FAST });
    receiver = new WebhookReceiver();
    url = await receiver.start();
    await call(ledger.url, { method: 'PUT', path: '/admin/v1/products/monthly', body: { access_level_id: 'premium' } });
    await call(ledger.url, { method: 'PUT', path: '/admin/v1/products/lifetime', body: { access_level_id: 'premium' } });
    const created = await call(ledger.url, {
      method: 'POST',
      path: '/admin/v1/webhook-endpoints',
      body: { url, authorization: 'Bearer receiver-token', environment: 'Production' },
    });
    expect(created.status).toBe(201);
    endpoint = created.body.data;
    expect(endpoint.secret).toMatch(/^whsec_[A-Za-z0-9+/=]{32,}$/);
  });

  afterAll(async () => {
    await ledger.close();
    await receiver.stop();
  });

  beforeEach(() => {
    receiver.mode = 'ok';
  });

  it('sends every subscription event type, signed, with the configured Authorization, in profile_sequence order', async () => {
    const profileId = await createProfile('wh-lifecycle');
    const now = ledger.clock.now().getTime();
    const p0 = now - 10 * DAY;
    const trial = { offer: { category: 'introductory', type: 'free_trial', id: null }, price: { country: 'US', currency: 'USD', value: 0 } };
    expect((await tx('wh-lifecycle', subscription('t1', 'chain-a', p0, now + DAY, trial))).status).toBe(200);
    await tx('wh-lifecycle', subscription('t1', 'chain-a', p0, now + DAY, { ...trial, renew_status: false, renew_status_changed_at: iso(p0 + 1000) }));
    await tx('wh-lifecycle', subscription('t1', 'chain-a', p0, now + DAY, { ...trial, renew_status: true, renew_status_changed_at: iso(p0 + 2000) }));
    await tx('wh-lifecycle', subscription('t2', 'chain-a', p0 + DAY, now + 2 * DAY));
    await tx('wh-lifecycle', subscription('t3', 'chain-a', p0 + 2 * DAY, now + 3 * DAY));
    await tx('wh-lifecycle', subscription('t3', 'chain-a', p0 + 2 * DAY, now + 3 * DAY, { renew_status: false, renew_status_changed_at: iso(p0 + 3 * DAY) }));
    await tx('wh-lifecycle', subscription('t3', 'chain-a', p0 + 2 * DAY, now + 3 * DAY, { renew_status: true, renew_status_changed_at: iso(p0 + 4 * DAY) }));
    await tx(
      'wh-lifecycle',
      subscription('t3', 'chain-a', p0 + 2 * DAY, now + 3 * DAY, {
        billing_issue_detected_at: iso(p0 + 5 * DAY),
        grace_period_expires_at: iso(now + 5 * DAY),
      }),
    );
    await tx(
      'wh-lifecycle',
      subscription('t3', 'chain-a', p0 + 2 * DAY, now + 3 * DAY, {
        billing_issue_detected_at: iso(p0 + 5 * DAY),
        grace_period_expires_at: iso(now + 5 * DAY),
        refunded_at: iso(now - 1000),
        cancellation_reason: 'refund',
      }),
    );
    const lifetime = {
      purchase_type: 'one_time_purchase',
      store: 'my_store',
      store_product_id: 'lifetime',
      store_transaction_id: 'o1',
      store_original_transaction_id: 'o1',
      price: { country: 'US', currency: 'USD', value: 49 },
      purchased_at: iso(now - DAY),
    };
    await tx('wh-lifecycle', lifetime);
    await tx('wh-lifecycle', { ...lifetime, refunded_at: iso(now - 500), cancellation_reason: 'refund' });
    const expected = [
      'trial_started',
      'trial_renewal_cancelled',
      'trial_renewal_reactivated',
      'trial_converted',
      'subscription_renewed',
      'subscription_renewal_cancelled',
      'subscription_renewal_reactivated',
      'billing_issue_detected',
      'entered_grace_period',
      'subscription_refunded',
      'non_subscription_purchase',
      'non_subscription_purchase_refunded',
    ];
    const got = await receiver.waitFor((rs) => expected.every((t) => types(rs, profileId).includes(t)) && types(rs, profileId).filter((t) => t === 'access_level_updated').length >= 4);
    const mine = got.filter((r) => r.body.profile_id === profileId);
    expect(mine.map((r) => r.body.event_type).filter((t) => t !== 'access_level_updated')).toEqual(expected);
    const wh = new Webhook(endpoint.secret);
    for (const r of mine) {
      expect(() => wh.verify(r.raw, r.headers as Record<string, string>)).not.toThrow();
      expect(r.headers.authorization).toBe('Bearer receiver-token');
      expect(r.body.event_api_version).toBe(1);
      expect(r.body.customer_user_id).toBe('wh-lifecycle');
      expect(r.body.event_properties.profile_event_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(r.body.event_datetime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+0000$/);
    }
    const sequences = mine.map((r) => r.body.profile_sequence);
    expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
    expect(new Set(sequences).size).toBe(sequences.length);
    const refundUpdate = mine.find((r) => r.body.event_type === 'access_level_updated' && r.body.event_properties.is_refund === true);
    expect(refundUpdate).toBeDefined();
    const cancelled = mine.find((r) => r.body.event_type === 'subscription_renewal_cancelled')!;
    expect(cancelled.body.event_properties).toMatchObject({ transaction_id: 't3', original_transaction_id: 'chain-a', vendor_product_id: 'monthly' });
  });

  it('records expiries by itself when expires_at passes: subscription_expired, trial_expired, access_level_updated', async () => {
    const subProfile = await createProfile('wh-expire-sub');
    const trialProfile = await createProfile('wh-expire-trial');
    const now = ledger.clock.now().getTime();
    await tx('wh-expire-sub', subscription('e1', 'chain-e1', now - DAY, now + 60_000, { renew_status: false, renew_status_changed_at: iso(now - 1000) }));
    await tx(
      'wh-expire-trial',
      subscription('e2', 'chain-e2', now - DAY, now + 60_000, { offer: { category: 'introductory', type: 'free_trial', id: null }, price: { country: 'US', currency: 'USD', value: 0 } }),
    );
    await receiver.waitFor((rs) => types(rs, subProfile).includes('subscription_started') && types(rs, trialProfile).includes('trial_started'));
    ledger.clock.advance(61_000);
    const got = await receiver.waitFor(
      (rs) => types(rs, subProfile).includes('subscription_expired') && types(rs, trialProfile).includes('trial_expired'),
    );
    const expired = got.find((r) => r.body.profile_id === subProfile && r.body.event_type === 'subscription_expired')!;
    expect(expired.body.event_properties.cancellation_reason).toBe('voluntarily_cancelled');
    await receiver.waitFor((rs) =>
      rs.some((r) => r.body.profile_id === subProfile && r.body.event_type === 'access_level_updated' && r.body.event_properties.is_active === false),
    );
    const status = await call(ledger.url, { path: PROFILE, customerUserId: 'wh-expire-sub' });
    expect(status.body.data.access_levels).toEqual([]);
  });

  it('sends access_level_updated for grants and revokes', async () => {
    const profileId = await createProfile('wh-grant');
    await call(ledger.url, { method: 'POST', path: GRANT, customerUserId: 'wh-grant', body: { access_level_id: 'premium' } });
    await call(ledger.url, { method: 'POST', path: REVOKE, customerUserId: 'wh-grant', body: { access_level_id: 'premium' } });
    const got = await receiver.waitFor((rs) => types(rs, profileId).filter((t) => t === 'access_level_updated').length >= 2);
    const updates = got.filter((r) => r.body.profile_id === profileId).map((r) => r.body.event_properties);
    expect(updates[0]).toMatchObject({ access_level_id: 'premium', is_active: true, is_lifetime: true });
    expect(updates[1]).toMatchObject({ access_level_id: 'premium', is_active: false });
  });

  it('retries a flaky receiver with the same webhook-id until it succeeds', async () => {
    receiver.mode = { failFirst: 2 };
    const profileId = await createProfile('wh-flaky');
    await call(ledger.url, { method: 'POST', path: GRANT, customerUserId: 'wh-flaky', body: { access_level_id: 'premium' } });
    const [delivered] = (await receiver.waitFor((rs) => types(rs, profileId).length >= 1)).filter((r) => r.body.profile_id === profileId);
    const id = String(delivered.headers['webhook-id']);
    expect(receiver.attempts(id)).toBe(3);
    let row: { status: string } | undefined;
    for (let i = 0; i < 50 && row?.status !== 'delivered'; i++) {
      const list = await call(ledger.url, { path: `/admin/v1/webhook-endpoints/${endpoint.id}/deliveries` });
      row = list.body.data.find((d: { id: string }) => d.id === id);
      if (row?.status !== 'delivered') await new Promise((r) => setTimeout(r, 20));
    }
    expect(row).toMatchObject({ status: 'delivered', attempts: 3, last_response_status: 200 });
  });

  it('loses nothing while the receiver is down, delivers when it is back', async () => {
    receiver.mode = 'down';
    const users = ['wh-down-1', 'wh-down-2', 'wh-down-3'];
    const ids = [];
    for (const u of users) {
      ids.push(await createProfile(u));
      await call(ledger.url, { method: 'POST', path: GRANT, customerUserId: u, body: { access_level_id: 'premium' } });
    }
    await new Promise((r) => setTimeout(r, 300));
    receiver.mode = 'ok';
    const got = await receiver.waitFor((rs) => ids.every((id) => types(rs, id).length >= 1));
    expect(ids.map((id) => types(got, id))).toEqual(ids.map(() => ['access_level_updated']));
  });

  it('marks a delivery failed after the last attempt and redelivers it on request with the same webhook-id', async () => {
    receiver.mode = 'down';
    const profileId = await createProfile('wh-failed');
    await call(ledger.url, { method: 'POST', path: GRANT, customerUserId: 'wh-failed', body: { access_level_id: 'premium' } });
    let failed: { id: string; attempts: number; status: string } | undefined;
    for (let i = 0; i < 100 && !failed; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const list = await call(ledger.url, { path: `/admin/v1/webhook-endpoints/${endpoint.id}/deliveries` });
      failed = list.body.data.find((d: { profile_id: string; status: string }) => d.profile_id === profileId && d.status === 'failed');
    }
    expect(failed).toMatchObject({ status: 'failed', attempts: 4 });
    receiver.mode = 'ok';
    const again = await call(ledger.url, { method: 'POST', path: `/admin/v1/webhook-deliveries/${failed!.id}/redeliver` });
    expect(again.status).toBe(202);
    const got = await receiver.waitFor((rs) => types(rs, profileId).length >= 1);
    expect(got.find((r) => r.body.profile_id === profileId)!.headers['webhook-id']).toBe(failed!.id);
    const missing = await call(ledger.url, { method: 'POST', path: '/admin/v1/webhook-deliveries/nope/redeliver' });
    expect(missing.status).toBe(404);
    expect(missing.body.error_code).toBe('webhook_delivery_does_not_exist');
  });

  it('filters by event type and routes Sandbox and Production to their own endpoints', async () => {
    const sandboxReceiver = new WebhookReceiver();
    const sandboxUrl = await sandboxReceiver.start();
    try {
      const sandbox = await call(ledger.url, {
        method: 'POST',
        path: '/admin/v1/webhook-endpoints',
        body: { url: sandboxUrl, environment: 'Sandbox', event_types: ['subscription_started'] },
      });
      expect(sandbox.status).toBe(201);
      const profileId = await createProfile('wh-routing');
      const now = ledger.clock.now().getTime();
      await tx('wh-routing', subscription('s1', 'chain-s1', now - 1000, now + DAY, { environment: 'Sandbox' }));
      await tx('wh-routing', subscription('p1', 'chain-p1', now - 1000, now + DAY, { environment: 'Production' }));
      const sandboxGot = await sandboxReceiver.waitFor((rs) => types(rs, profileId).length >= 1);
      const prodGot = await receiver.waitFor((rs) => types(rs, profileId).includes('subscription_started'));
      await new Promise((r) => setTimeout(r, 200));
      expect(sandboxGot.filter((r) => r.body.profile_id === profileId).map((r) => [r.body.event_type, r.body.event_properties.environment])).toEqual([
        ['subscription_started', 'Sandbox'],
      ]);
      expect(prodGot.filter((r) => r.body.profile_id === profileId).every((r) => r.body.event_properties.environment === 'Production')).toBe(true);
      await call(ledger.url, { method: 'DELETE', path: `/admin/v1/webhook-endpoints/${sandbox.body.data.id}` });
    } finally {
      await sandboxReceiver.stop();
    }
  });

  it('signs with the new secret after a rotation', async () => {
    const rotated = await call(ledger.url, { method: 'POST', path: `/admin/v1/webhook-endpoints/${endpoint.id}/rotate-secret` });
    expect(rotated.status).toBe(200);
    const newSecret = rotated.body.data.secret as string;
    expect(newSecret).not.toBe(endpoint.secret);
    const profileId = await createProfile('wh-rotate');
    await call(ledger.url, { method: 'POST', path: GRANT, customerUserId: 'wh-rotate', body: { access_level_id: 'premium' } });
    const [r] = (await receiver.waitFor((rs) => types(rs, profileId).length >= 1)).filter((x) => x.body.profile_id === profileId);
    expect(() => new Webhook(newSecret).verify(r.raw, r.headers as Record<string, string>)).not.toThrow();
    expect(() => new Webhook(endpoint.secret).verify(r.raw, r.headers as Record<string, string>)).toThrow();
    endpoint = rotated.body.data;
  });

  it('refuses an endpoint that fails verification, and manages endpoints', async () => {
    const bad = await call(ledger.url, { method: 'POST', path: '/admin/v1/webhook-endpoints', body: { url: 'http://127.0.0.1:9/nothing' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error_code).toBe('webhook_verification_failed');
    const badType = await call(ledger.url, { method: 'POST', path: '/admin/v1/webhook-endpoints', body: { url, event_types: ['nope'] } });
    expect(badType.status).toBe(400);
    const list = await call(ledger.url, { path: '/admin/v1/webhook-endpoints' });
    expect(list.body.data.map((e: { id: string }) => e.id)).toContain(endpoint.id);
    const patched = await call(ledger.url, { method: 'PATCH', path: `/admin/v1/webhook-endpoints/${endpoint.id}`, body: { event_types: ['access_level_updated'] } });
    expect(patched.body.data.event_types).toEqual(['access_level_updated']);
    await call(ledger.url, { method: 'PATCH', path: `/admin/v1/webhook-endpoints/${endpoint.id}`, body: { event_types: null } });
    const otherApp = await call(ledger.url, { path: `/admin/v1/webhook-endpoints/${endpoint.id}`, key: 'secret_app2_key' });
    expect(otherApp.status).toBe(404);
  });

  it('survives a restart with deliveries pending', async () => {
    receiver.mode = 'down';
    const profileId = await createProfile('wh-restart');
    await call(ledger.url, { method: 'POST', path: GRANT, customerUserId: 'wh-restart', body: { access_level_id: 'premium' } });
    await new Promise((r) => setTimeout(r, 100));
    await ledger.stop();
    receiver.mode = 'ok';
    ledger = await startLedger({ dir: ledger.dir, env: FAST, clock: ledger.clock });
    const got = await receiver.waitFor((rs) => types(rs, profileId).length >= 1);
    expect(types(got, profileId)).toEqual(['access_level_updated']);
  });

  it('disables an endpoint that answers 410 Gone', async () => {
    receiver.mode = 'gone';
    await createProfile('wh-gone');
    await call(ledger.url, { method: 'POST', path: GRANT, customerUserId: 'wh-gone', body: { access_level_id: 'premium' } });
    let disabled = false;
    for (let i = 0; i < 100 && !disabled; i++) {
      await new Promise((r) => setTimeout(r, 50));
      disabled = (await call(ledger.url, { path: `/admin/v1/webhook-endpoints/${endpoint.id}` })).body.data.enabled === false;
    }
    expect(disabled).toBe(true);
  });
});
