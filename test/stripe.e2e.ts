import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Stripe from 'stripe';
import { DAY, expectEnvelope } from './support/fixtures';
import { call, KEYS, RunningLedger, startLedger, V2 } from './support/ledger-server';
import { StripeStandIn, startStripeStandIn } from './support/stripe-stand-in';
import { WebhookReceiver } from './support/webhook-receiver';

const SETUP = '/admin/v1/stores/stripe';
const SECRET = 'whsec_test_secret_for_the_ledger_e2e';
const VALIDATE = '/api/v1/sdk/purchase/stripe/token/validate/';

/**
 * The Stripe intake end to end over real HTTP: events signed as Stripe signs them
 * (`webhooks.generateTestHeaderString`), shaped as Stripe's API reference documents them (API
 * 2025-03 and later: periods on subscription items, an invoice's subscription under `parent`), and a
 * Stripe API stand-in on loopback (STRIPE_API_BASE_URL) read through the real `stripe` client.
 */
describe('Stripe webhooks and validation', () => {
  let ledger: RunningLedger;
  let api: StripeStandIn;
  let receiver: WebhookReceiver;
  const stripe = new Stripe('sk_test_unused');
  const NOW = Math.floor(Date.now() / 1000);
  let events = 0;
  const iso = (s: number) => new Date(s * 1000).toISOString();
  const wire = (s: number) => iso(s).replace('.000Z', '+00:00');
  const D = DAY / 1000;

  /** Posts a Stripe event exactly as Stripe would: the raw JSON and its Stripe-Signature. */
  const deliver = async (type: string, object: Record<string, unknown>, o: { id?: string; created?: number; app?: string; secret?: string; timestamp?: number } = {}) => {
    const payload = JSON.stringify({ id: o.id ?? `evt_${++events}`, object: 'event', api_version: '2025-10-29.clover', created: o.created ?? NOW, livemode: false, pending_webhooks: 1, request: { id: null, idempotency_key: null }, type, data: { object } });
    const header = stripe.webhooks.generateTestHeaderString({ payload, secret: o.secret ?? SECRET, timestamp: o.timestamp });
    const r = await fetch(`${ledger.url}/stores/stripe/${o.app ?? 'app1'}/webhooks`, { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': header }, body: payload });
    return { status: r.status, headers: r.headers, body: (await r.json()) as any };
  };
  const premium = async (user: string) => (await call(ledger.url, { path: `${V2}/profile/`, customerUserId: user })).body.data?.access_levels?.find((l: any) => l.access_level_id === 'premium');
  const profileId = async (user: string) => (await call(ledger.url, { path: `${V2}/profile/`, customerUserId: user })).body.data.profile_id as string;
  const hooksOf = (id: string) => receiver.received.filter((r) => r.body.profile_id === id).map((r) => r.body.event_type);
  const transactions = async (user: string) => {
    const history = (await call(ledger.url, { path: `${V2}/profile/history/?limit=1000`, customerUserId: user })).body.data as any[];
    const byId = new Map<string, any>();
    for (const e of history) if (e.type === 'TransactionRecorded') byId.set(e.data.transaction.store_transaction_id, e.data.transaction);
    return byId;
  };

  const subscription = (id: string, customer: string, o: { start: number; end: number; status?: string; cancelAtPeriodEnd?: boolean; user?: string; latest?: string; trialEnd?: number | null; endedAt?: number } ) => ({
    id, object: 'subscription', customer, status: o.status ?? 'active', livemode: false,
    cancel_at_period_end: o.cancelAtPeriodEnd ?? false, cancel_at: null, canceled_at: o.cancelAtPeriodEnd ? o.start + 100 : null, ended_at: o.endedAt ?? null,
    trial_end: o.trialEnd ?? null, latest_invoice: o.latest ?? null, start_date: o.start, created: o.start,
    metadata: o.user ? { customer_user_id: o.user } : {},
    cancellation_details: { reason: o.status === 'canceled' ? 'cancellation_requested' : null },
    items: { object: 'list', data: [{ id: `si_${id}`, object: 'subscription_item', current_period_start: o.start, current_period_end: o.end, price: { id: 'price_monthly', object: 'price', product: 'prod_premium', unit_amount: 999, currency: 'usd' } }] },
  });
  const invoice = (id: string, customer: string, sub: string, o: { start: number; end: number; paid?: number; reason?: string; status?: string; pi?: string }) => ({
    id, object: 'invoice', customer, status: o.status ?? 'paid', billing_reason: o.reason ?? 'subscription_cycle', amount_paid: o.paid ?? 999, amount_due: 999, currency: 'usd', created: o.start, livemode: false,
    customer_address: { country: 'US' },
    parent: { type: 'subscription_details', subscription_details: { subscription: sub, metadata: {} } },
    payments: { object: 'list', data: o.pi ? [{ object: 'invoice_payment', payment: { type: 'payment_intent', payment_intent: o.pi } }] : [] },
    lines: { object: 'list', data: [{ id: `il_${id}`, object: 'line_item', period: { start: o.start, end: o.end }, pricing: { type: 'price_details', price_details: { price: 'price_monthly', product: 'prod_premium' } } }] },
  });

  beforeAll(async () => {
    api = await startStripeStandIn();
    receiver = new WebhookReceiver();
    const hook = await receiver.start();
    ledger = await startLedger({ env: { STRIPE_API_BASE_URL: api.baseUrl } });
    for (const [product, level] of [['prod_premium', 'premium'], ['prod_coins', 'premium']]) {
      await call(ledger.url, { method: 'PUT', path: `/admin/v1/products/${product}`, body: { access_level_id: level } });
    }
    expect((await call(ledger.url, { method: 'POST', path: '/admin/v1/webhook-endpoints', body: { url: hook } })).status).toBe(201);
    expect((await call(ledger.url, { method: 'PUT', path: SETUP, body: { webhook_secret: SECRET } })).status).toBe(200);
  }, 60_000);

  afterAll(async () => {
    await ledger.close();
    await receiver.stop();
    await api.close();
  });

  describe('setup and signatures', () => {
    it('shows the webhook URL and the events to select, never the secrets; refuses what it could not use', async () => {
      const got = (await call(ledger.url, { path: SETUP })).body.data;
      expect(got).toMatchObject({ api_key_configured: false, webhook_path: '/stores/stripe/app1/webhooks', events: expect.arrayContaining(['invoice.paid', 'charge.dispute.created']) });
      expect(got.webhook_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/stores\/stripe\/app1\/webhooks$/);
      expect(JSON.stringify(got)).not.toContain(SECRET);
      expectEnvelope(await call(ledger.url, { method: 'PUT', path: SETUP, body: { webhook_secret: 'nope' } }), 400, 'validation_error');
      expectEnvelope(await call(ledger.url, { method: 'PUT', path: SETUP, body: { webhook_secret: SECRET, api_key: 'pk_test_publishable' } }), 400, 'validation_error');
      expectEnvelope(await call(ledger.url, { path: SETUP, key: KEYS.app2 }), 404, 'store_not_configured');
    });

    it('a bad or stale signature is 400 store_webhook_signature_invalid, an app without a setup 404, and nothing is recorded', async () => {
      const sub = subscription('sub_forged', 'cus_forged', { start: NOW - D, end: NOW + 29 * D, user: 'forged-user' });
      const forged = await deliver('customer.subscription.created', sub, { secret: 'whsec_someone_else' });
      expectEnvelope(forged, 400, 'store_webhook_signature_invalid');
      expectEnvelope(await deliver('customer.subscription.created', sub, { timestamp: NOW - 3600 }), 400, 'store_webhook_signature_invalid');
      expectEnvelope(await deliver('customer.subscription.created', sub, { app: 'app2' }), 404, 'store_not_configured');
      expectEnvelope(await call(ledger.url, { path: `${V2}/profile/`, customerUserId: 'forged-user' }), 404, 'profile_does_not_exist');
      expect((await call(ledger.url, { path: SETUP })).body.data.counts.refused.signature).toBe(2);
    });

    it('answers 200 to an event type it does not keep, changing nothing', async () => {
      expect((await deliver('customer.created', { id: 'cus_x', object: 'customer' })).body.data).toMatchObject({ event_type: 'customer.created', outcome: 'ignored' });
    });
  });

  describe('a subscription through its life', () => {
    const start = NOW - D;
    it('created with metadata.customer_user_id: the profile is made, access starts; the invoice fills the price; a repeat changes nothing', async () => {
      const created = await deliver('customer.subscription.created', subscription('sub_1', 'cus_1', { start, end: start + 30 * D, user: 'web-user', latest: 'in_1' }), { id: 'evt_sub_created', created: start });
      expect(created.status).toBe(200);
      expect(created.body.data).toEqual({ event_id: 'evt_sub_created', event_type: 'customer.subscription.created', outcome: 'accepted' });
      expect(await premium('web-user')).toMatchObject({ store: 'stripe', store_product_id: 'prod_premium', store_transaction_id: 'in_1', store_original_transaction_id: 'sub_1', expires_at: wire(start + 30 * D) });
      await deliver('invoice.paid', invoice('in_1', 'cus_1', 'sub_1', { start, end: start + 30 * D, reason: 'subscription_create', pi: 'pi_1' }), { created: start + 5 });
      expect((await transactions('web-user')).get('in_1')).toMatchObject({ price: { country: 'US', currency: 'USD', value: 9.99 }, purchased_at: iso(start), environment: 'Sandbox' });
      expect((await deliver('customer.subscription.created', subscription('sub_1', 'cus_1', { start, end: start + 30 * D, user: 'web-user' }), { id: 'evt_sub_created', created: start })).body.data.outcome).toBe('duplicate');
      const id = await profileId('web-user');
      await receiver.waitFor(() => hooksOf(id).includes('subscription_started'));
    });

    it('cancel at period end and back; an older update arriving late does not roll the state back', async () => {
      const id = await profileId('web-user');
      await deliver('customer.subscription.updated', subscription('sub_1', 'cus_1', { start, end: start + 30 * D, user: 'web-user', cancelAtPeriodEnd: true, latest: 'in_1' }), { created: start + 100 });
      expect((await premium('web-user')).renewal_cancelled_at).toBe(wire(start + 100));
      await deliver('customer.subscription.updated', subscription('sub_1', 'cus_1', { start, end: start + 30 * D, user: 'web-user', latest: 'in_1' }), { created: start + 50 });
      expect((await premium('web-user')).renewal_cancelled_at).toBe(wire(start + 100));
      await deliver('customer.subscription.updated', subscription('sub_1', 'cus_1', { start, end: start + 30 * D, user: 'web-user', latest: 'in_1' }), { created: start + 200 });
      expect((await premium('web-user')).renewal_cancelled_at).toBeNull();
      await receiver.waitFor(() => hooksOf(id).includes('subscription_renewal_reactivated'));
      expect(hooksOf(id)).toContain('subscription_renewal_cancelled');
    });

    it('a failed payment, then the renewal paid, then its refund', async () => {
      const s = NOW - 40 * D;
      const renewal = s + 30 * D;
      await deliver('invoice.paid', { ...invoice('in_r1', 'cus_4', 'sub_4', { start: s, end: renewal, reason: 'subscription_create' }), customer: 'cus_4' }, { created: s });
      await deliver('customer.subscription.created', subscription('sub_4', 'cus_4', { start: s, end: renewal, user: 'renewer', latest: 'in_r1' }), { created: s + 1 });
      const id = await profileId('renewer');
      expect(await premium('renewer')).toBeUndefined();
      await deliver('invoice.payment_failed', invoice('in_r2', 'cus_4', 'sub_4', { start: renewal, end: renewal + 30 * D, status: 'open', paid: 0 }), { created: renewal + 300 });
      await deliver('customer.subscription.updated', subscription('sub_4', 'cus_4', { start: renewal, end: renewal + 30 * D, user: 'renewer', status: 'past_due', latest: 'in_r2' }), { created: renewal + 350 });
      await receiver.waitFor(() => hooksOf(id).includes('billing_issue_detected'));
      await deliver('invoice.paid', invoice('in_r2', 'cus_4', 'sub_4', { start: renewal, end: renewal + 30 * D, pi: 'pi_r2' }), { created: renewal + 400 });
      await deliver('customer.subscription.updated', subscription('sub_4', 'cus_4', { start: renewal, end: renewal + 30 * D, user: 'renewer', latest: 'in_r2' }), { created: renewal + 410 });
      expect(await premium('renewer')).toMatchObject({ store_transaction_id: 'in_r2', expires_at: wire(renewal + 30 * D) });
      await receiver.waitFor(() => hooksOf(id).includes('subscription_renewed'));
      await deliver('charge.refunded', { id: 'ch_r2', object: 'charge', customer: 'cus_4', payment_intent: 'pi_r2', amount: 999, amount_refunded: 999, refunded: true, refunds: { object: 'list', data: [{ id: 're_2', created: renewal + 500 }] } }, { created: renewal + 500 });
      expect((await transactions('renewer')).get('in_r2')).toMatchObject({ refunded_at: iso(renewal + 500), cancellation_reason: 'refund' });
      await receiver.waitFor(() => hooksOf(id).includes('subscription_refunded'));
      expect(await premium('renewer')).toBeUndefined();
    });

    it('deleted now: access ends at ended_at', async () => {
      const s = NOW - 2 * D;
      await deliver('customer.subscription.created', subscription('sub_2', 'cus_2', { start: s, end: s + 30 * D, user: 'quitter', latest: 'in_q' }), { created: s });
      expect(await premium('quitter')).toBeDefined();
      await deliver('customer.subscription.deleted', subscription('sub_2', 'cus_2', { start: s, end: s + 30 * D, user: 'quitter', status: 'canceled', endedAt: NOW - 60, latest: 'in_q' }), { created: NOW - 60 });
      expect(await premium('quitter')).toBeUndefined();
      expect((await transactions('quitter')).get('in_q')).toMatchObject({ expires_at: iso(NOW - 60), cancellation_reason: 'voluntarily_cancelled', renew_status: false });
    });

    it('paused: access off and subscription_paused; a trial starts as a trial', async () => {
      const s = NOW - 10 * D;
      await deliver('customer.subscription.created', subscription('sub_3', 'cus_3', { start: s, end: s + 14 * D, user: 'trialist', status: 'trialing', trialEnd: s + 14 * D, latest: 'in_t' }), { created: s });
      expect((await transactions('trialist')).get('in_t')).toMatchObject({ offer: { category: 'introductory', type: 'free_trial' }, price: { value: 0 } });
      const id = await profileId('trialist');
      await receiver.waitFor(() => hooksOf(id).includes('trial_started'));
      await deliver('customer.subscription.paused', subscription('sub_3', 'cus_3', { start: s, end: s + 14 * D, user: 'trialist', status: 'paused', trialEnd: s + 14 * D }), { created: NOW - 30 });
      expect(await premium('trialist')).toBeUndefined();
      await receiver.waitFor(() => hooksOf(id).includes('subscription_paused'));
    });
  });

  describe('attribution and one-time payments', () => {
    it('a customer nobody names waits; a link by subscription claims it; another profile needs transfer (409)', async () => {
      const s = NOW - D;
      expect((await deliver('customer.subscription.created', subscription('sub_9', 'cus_9', { start: s, end: s + 30 * D, latest: 'in_9' }), { created: s })).body.data.outcome).toBe('unattributed');
      expect((await call(ledger.url, { path: `${SETUP}/unattributed` })).body.data).toEqual([expect.objectContaining({ customer_key: 'cus_9', subscription_ids: ['sub_9'], events: 1 })]);
      await call(ledger.url, { method: 'POST', path: `${V2}/profile/`, customerUserId: 'claimer', body: {} });
      await call(ledger.url, { method: 'POST', path: `${V2}/profile/`, customerUserId: 'other', body: {} });
      const linked = await call(ledger.url, { method: 'POST', path: `${SETUP}/links`, body: { customer_id: 'sub_9', customer_user_id: 'claimer' } });
      expect(linked.body.data).toMatchObject({ customer_id: 'cus_9', previous_profile_id: null, transferred: false, events_applied: 1 });
      expect(await premium('claimer')).toBeDefined();
      expectEnvelope(await call(ledger.url, { method: 'POST', path: `${SETUP}/links`, body: { customer_id: 'cus_9', customer_user_id: 'other' } }), 409, 'store_transaction_owned');
      expect((await call(ledger.url, { method: 'POST', path: `${SETUP}/links`, body: { customer_id: 'cus_9', customer_user_id: 'other', transfer: true } })).body.data.transferred).toBe(true);
      expect(await premium('claimer')).toBeUndefined();
      expect(await premium('other')).toBeDefined();
      // Later events of the customer follow it to its owner.
      await deliver('invoice.paid', invoice('in_9b', 'cus_9', 'sub_9', { start: s + 30 * D, end: s + 60 * D }), { created: NOW });
      expect(await premium('other')).toMatchObject({ store_transaction_id: 'in_9b' });
    });

    it('a paid checkout session is a one-time purchase; a dispute of its payment refunds it', async () => {
      const session = { id: 'cs_1', object: 'checkout.session', mode: 'payment', payment_status: 'paid', status: 'complete', customer: null, payment_intent: 'pi_cs', amount_total: 499, currency: 'jpy', created: NOW - 100, metadata: { customer_user_id: 'coin-buyer', product_id: 'prod_coins' }, customer_details: { address: { country: 'JP' } } };
      expect((await deliver('checkout.session.completed', session, { created: NOW - 100 })).body.data.outcome).toBe('accepted');
      expect((await transactions('coin-buyer')).get('pi_cs')).toMatchObject({ purchase_type: 'one_time_purchase', store_product_id: 'prod_coins', price: { country: 'JP', currency: 'JPY', value: 499 } });
      const id = await profileId('coin-buyer');
      await receiver.waitFor(() => hooksOf(id).includes('non_subscription_purchase'));
      expect((await deliver('charge.dispute.created', { id: 'dp_1', object: 'dispute', charge: 'ch_cs', payment_intent: 'pi_cs', amount: 499, currency: 'jpy', created: NOW - 50, reason: 'fraudulent', status: 'needs_response' }, { created: NOW - 50 })).body.data.outcome).toBe('accepted');
      await receiver.waitFor(() => hooksOf(id).includes('non_subscription_purchase_refunded'));
    });
  });

  describe('with an API key', () => {
    beforeAll(async () => {
      expect((await call(ledger.url, { method: 'PUT', path: SETUP, body: { webhook_secret: SECRET, api_key: api.apiKey } })).body.data.api_key_configured).toBe(true);
    });

    it("applies Stripe's current subscription, read again before the event; answers 503 with nothing recorded when Stripe cannot answer", async () => {
      const s = NOW - D;
      // The event says active and renewing; Stripe now says it will not renew.
      api.objects.set('sub_r', subscription('sub_r', 'cus_r', { start: s, end: s + 30 * D, user: 'reread-user', cancelAtPeriodEnd: true, latest: 'in_r' }));
      api.failNext(1, 500);
      const failed = await deliver('customer.subscription.created', subscription('sub_r', 'cus_r', { start: s, end: s + 30 * D, user: 'reread-user', latest: 'in_r' }), { id: 'evt_reread', created: s });
      expect(failed.status).toBe(503);
      expect(failed.body).toMatchObject({ error_code: 'store_api_unavailable', status_code: 503 });
      expectEnvelope(await call(ledger.url, { path: `${V2}/profile/`, customerUserId: 'reread-user' }), 404, 'profile_does_not_exist');
      expect((await deliver('customer.subscription.created', subscription('sub_r', 'cus_r', { start: s, end: s + 30 * D, user: 'reread-user', latest: 'in_r' }), { id: 'evt_reread', created: s })).body.data.outcome).toBe('accepted');
      expect((await premium('reread-user')).renewal_cancelled_at).not.toBeNull();
      expect(api.requests).toContain('GET /v1/subscriptions/sub_r');
    });

    it("Adapty's validation imports a subscription with its invoices to the customer_user_id's profile (made if missing)", async () => {
      const s = NOW - 40 * D;
      api.objects.set('sub_v', subscription('sub_v', 'cus_v', { start: s + 30 * D, end: s + 60 * D, latest: 'in_v2' }));
      api.objects.set('in_v1', invoice('in_v1', 'cus_v', 'sub_v', { start: s, end: s + 30 * D, reason: 'subscription_create' }));
      api.objects.set('in_v2', invoice('in_v2', 'cus_v', 'sub_v', { start: s + 30 * D, end: s + 60 * D }));
      const validate = (attributes: Record<string, unknown>) =>
        fetch(`${ledger.url}${VALIDATE}`, {
          method: 'POST',
          headers: { authorization: `Api-Key ${KEYS.app1}`, 'content-type': 'application/vnd.api+json' },
          body: JSON.stringify({ data: { type: 'stripe_receipt_validation_result', attributes } }),
        }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));
      const ok = await validate({ customer_user_id: 'validated-user', stripe_token: 'sub_v' });
      expect(ok).toEqual({ status: 200, body: { data: null } });
      const imported = await transactions('validated-user');
      expect([...imported.keys()].sort()).toEqual(['in_v1', 'in_v2']);
      expect(await premium('validated-user')).toMatchObject({ store_transaction_id: 'in_v2', expires_at: wire(s + 60 * D) });
      const missing = await validate({ customer_user_id: 'validated-user' });
      expect(missing).toEqual({ status: 400, body: { errors: [{ detail: 'none is not an allowed value', source: { pointer: '/data/attributes/stripe_token' }, status: '400' }] } });
      const unknown = await validate({ customer_user_id: 'validated-user', stripe_token: 'sub_unknown' });
      expect(unknown.status).toBe(400);
      expect(unknown.body.errors[0]).toMatchObject({ code: 'invalid_stripe_credentials_or_purchase_not_found', source: { pointer: '/data/attributes/stripe_token' }, status: '400' });
      expect(unknown.body.errors[0].detail).toContain('sub_unknown');
    });
  });

  it('without an API key the validation names the setup step (400 stripe_api_key_not_found); no secret is in the log', async () => {
    const r = await fetch(`${ledger.url}${VALIDATE}`, {
      method: 'POST',
      headers: { authorization: `Api-Key ${KEYS.app2}`, 'content-type': 'application/vnd.api+json' },
      body: JSON.stringify({ data: { type: 'stripe_receipt_validation_result', attributes: { customer_user_id: 'u', stripe_token: 'sub_1' } } }),
    });
    const body = (await r.json()) as any;
    expect(r.status).toBe(400);
    expect(body.errors[0].detail).toContain('PUT /admin/v1/stores/stripe');
    expect(body.errors[0]).toMatchObject({ code: 'stripe_api_key_not_found', source: { pointer: '/data/attributes/stripe_token' }, status: '400' });
    for (const file of readdirSync(ledger.dir).filter((f) => !f.includes('projections') && !f.includes('read'))) {
      const bytes = readFileSync(join(ledger.dir, file)).toString('latin1');
      expect(bytes.includes(SECRET) || bytes.includes(api.apiKey)).toBe(false);
    }
  });
});
