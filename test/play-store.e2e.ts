import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DAY, expectEnvelope } from './support/fixtures';
import { GoogleCerts, startGoogleCerts } from './support/google-oidc';
import { call, KEYS, RunningLedger, startLedger, V2 } from './support/ledger-server';
import { PlayStandIn, startPlayStandIn } from './support/play-stand-in';
import { storeEnv } from './support/test-store';
import { WebhookReceiver } from './support/webhook-receiver';

const CLI = join(__dirname, '..', 'dist', 'cli', 'main.js');
const SETUP = '/admin/v1/stores/play-store';
const PACKAGE = 'com.example.app';
const AUDIENCE = 'https://ledger.example.com/play';
const PUSHER = 'pubsub-push@example-project.iam.gserviceaccount.com';
const URL_TOKEN = 'a-push-token-that-is-long-enough-0123456789';

/**
 * The Google Play intake end to end over real HTTP: Pub/Sub pushes authenticated by OIDC tokens
 * signed with a test key whose certificates the ledger fetches (PLAY_PUSH_CERTS_URL), and a Play
 * Developer API stand-in on loopback (PLAY_API_ROOT_URL, the service account's token_uri) read
 * through Google's own client.
 */
describe('Google Play real-time developer notifications', () => {
  let ledger: RunningLedger;
  let play: PlayStandIn;
  let certs: GoogleCerts;
  let receiver: WebhookReceiver;
  let env: Record<string, string>;
  let messages = 0;
  const T0 = Math.floor(Date.now() / 1000) * 1000;
  const iso = (ms: number) => new Date(ms).toISOString();
  /** How the v2 API writes an instant (whole seconds here). */
  const wire = (ms: number) => iso(ms).replace('.000Z', '+00:00');
  /** The CLI in a process of its own, without blocking this one (the Play stand-in answers from here). */
  const cli = (args: string[], cliEnv: NodeJS.ProcessEnv) =>
    new Promise<{ stdout: string; status: number | null }>((resolve) => {
      const child = spawn(process.execPath, [CLI, ...args], { env: cliEnv });
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.on('close', (status) => resolve({ stdout, status }));
    });
  /** A 5xx answer in the envelope (expectEnvelope is for 4xx). */
  const expectUnavailable = (r: { status: number; body: any }) => {
    expect(r.status).toBe(503);
    expect(r.body).toMatchObject({ status_code: 503, error_code: 'store_api_unavailable' });
  };

  const bearer = () => certs.signPushToken({ aud: AUDIENCE, email: PUSHER });
  const pushBody = (data: Record<string, unknown>, messageId = `m-${++messages}`) => ({
    message: { data: Buffer.from(JSON.stringify({ version: '1.0', packageName: PACKAGE, eventTimeMillis: String(T0), ...data })).toString('base64'), messageId, publishTime: iso(T0) },
    subscription: 'projects/example/subscriptions/play',
  });
  const post = (body: unknown, o: { auth?: string | null; app?: string; query?: string } = {}) =>
    call(ledger.url, {
      method: 'POST',
      path: `/stores/play-store/${o.app ?? 'app1'}/notifications${o.query ?? ''}`,
      key: null,
      headers: o.auth === null ? {} : { authorization: `Bearer ${o.auth ?? bearer()}` },
      body,
    });
  const notify = (type: number, token: string, eventTime = T0, messageId?: string) =>
    post(pushBody({ eventTimeMillis: String(eventTime), subscriptionNotification: { version: '1.0', notificationType: type, purchaseToken: token, subscriptionId: 'premium.monthly' } }, messageId));
  const profile = (user: string) => call(ledger.url, { path: `${V2}/profile/`, customerUserId: user });
  const createProfile = async (user: string) => (await call(ledger.url, { method: 'POST', path: `${V2}/profile/`, customerUserId: user, body: {} })).body.data.profile_id as string;
  const premium = async (user: string) => (await profile(user)).body.data.access_levels.find((l: any) => l.access_level_id === 'premium');
  const hooksOf = (profileId: string) => receiver.received.filter((r) => r.body.profile_id === profileId).map((r) => r.body.event_type);
  /** Every transaction of the profile, as its history last recorded each. */
  const transactions = async (user: string) => {
    const events = (await call(ledger.url, { path: `${V2}/profile/history/?limit=1000`, customerUserId: user })).body.data as any[];
    const byId = new Map<string, any>();
    for (const e of events) if (e.type === 'TransactionRecorded') byId.set(e.data.transaction.store_transaction_id, e.data.transaction);
    return [...byId.values()];
  };

  /** A subscriptionsv2 answer: an order of premium.monthly from `start`, running to `expiry`. */
  const sub = (o: { order: string; start: number; expiry: number; state?: string; renew?: boolean; account?: string; linked?: string; product?: string; ack?: string; extra?: object }) => ({
    kind: 'androidpublisher#subscriptionPurchaseV2',
    startTime: iso(o.start),
    regionCode: 'DE',
    subscriptionState: o.state ?? 'SUBSCRIPTION_STATE_ACTIVE',
    latestOrderId: o.order,
    acknowledgementState: o.ack ?? 'ACKNOWLEDGEMENT_STATE_ACKNOWLEDGED',
    ...(o.account ? { externalAccountIdentifiers: { obfuscatedExternalAccountId: o.account } } : {}),
    ...(o.linked ? { linkedPurchaseToken: o.linked } : {}),
    lineItems: [
      {
        productId: o.product ?? 'premium.monthly',
        expiryTime: iso(o.expiry),
        autoRenewingPlan: { autoRenewEnabled: o.renew ?? true, recurringPrice: { currencyCode: 'EUR', units: '9', nanos: 990_000_000 } },
        offerDetails: { basePlanId: 'monthly' },
        latestSuccessfulOrderId: o.order,
      },
    ],
    ...o.extra,
  });

  beforeAll(async () => {
    play = await startPlayStandIn({ packageName: PACKAGE });
    certs = await startGoogleCerts();
    receiver = new WebhookReceiver();
    const hook = await receiver.start();
    env = { PLAY_API_ROOT_URL: play.rootUrl, PLAY_PUSH_CERTS_URL: certs.certsUrl };
    ledger = await startLedger({ env });
    await call(ledger.url, { method: 'PUT', path: '/admin/v1/access-levels/pro' });
    for (const [product, level] of [['premium.monthly', 'premium'], ['premium.yearly', 'premium'], ['pro.monthly', 'pro'], ['coins', 'premium']]) {
      await call(ledger.url, { method: 'PUT', path: `/admin/v1/products/${product}`, body: { access_level_id: level } });
    }
    expect((await call(ledger.url, { method: 'POST', path: '/admin/v1/webhook-endpoints', body: { url: hook } })).status).toBe(201);
    const put = await call(ledger.url, {
      method: 'PUT',
      path: SETUP,
      body: { package_name: PACKAGE, service_account: play.serviceAccount, push_audience: AUDIENCE, push_service_account_email: PUSHER, acknowledge: true },
    });
    expect(put.status).toBe(200);
  }, 60_000);

  afterAll(async () => {
    await ledger.close();
    await receiver.stop();
    await play.close();
    await certs.close();
  });

  describe('setup', () => {
    it('shows the setup and the push URL, never the key or the push token', async () => {
      const got = await call(ledger.url, { path: SETUP });
      expect(got.status).toBe(200);
      expect(got.body.data).toMatchObject({
        package_name: PACKAGE,
        service_account_email: play.serviceAccount.client_email,
        push_auth: 'oidc',
        push_audience: AUDIENCE,
        push_service_account_email: PUSHER,
        acknowledge: true,
        notification_path: '/stores/play-store/app1/notifications',
      });
      expect(got.body.data.notification_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/stores\/play-store\/app1\/notifications$/);
      expect(JSON.stringify(got.body)).not.toContain('PRIVATE KEY');
      const token = await call(ledger.url, { method: 'PUT', path: SETUP, key: KEYS.app2, body: { package_name: PACKAGE, service_account: play.serviceAccount, push_token: URL_TOKEN } });
      expect(token.status).toBe(200);
      expect(token.body.data.push_auth).toBe('token');
      expect(JSON.stringify(token.body)).not.toContain(URL_TOKEN);
    });

    it('refuses a setup it could not use (400 validation_error) and answers 404 store_not_configured before one', async () => {
      const both = await call(ledger.url, { method: 'PUT', path: SETUP, body: { package_name: PACKAGE, service_account: play.serviceAccount, push_token: URL_TOKEN, push_audience: AUDIENCE, push_service_account_email: PUSHER } });
      expectEnvelope(both, 400, 'validation_error');
      const badKey = await call(ledger.url, { method: 'PUT', path: SETUP, body: { package_name: PACKAGE, service_account: { ...play.serviceAccount, private_key: 'nope' }, push_token: URL_TOKEN } });
      expectEnvelope(badKey, 400, 'validation_error');
      expect(badKey.body.errors[0].source).toBe('service_account');
      const ledgerless = await call(ledger.url, { method: 'DELETE', path: SETUP, key: KEYS.app2 });
      expect(ledgerless.status).toBe(204);
      expectEnvelope(await post(pushBody({ testNotification: { version: '1.0' } }), { app: 'app2', auth: null, query: `?token=${URL_TOKEN}` }), 404, 'store_not_configured');
      expect((await call(ledger.url, { method: 'PUT', path: SETUP, key: KEYS.app2, body: { package_name: PACKAGE, service_account: play.serviceAccount, push_token: URL_TOKEN } })).status).toBe(200);
    });
  });

  describe('authentication', () => {
    it('takes a push only with an OIDC token from the configured account for the configured audience (401 store_signature_invalid)', async () => {
      const test = pushBody({ testNotification: { version: '1.0' } });
      expectEnvelope(await post(test, { auth: null }), 401, 'store_signature_invalid');
      expectEnvelope(await post(test, { auth: certs.signPushToken({ aud: AUDIENCE, email: 'someone@example.com' }) }), 401, 'store_signature_invalid');
      expectEnvelope(await post(test, { auth: certs.signPushToken({ aud: 'https://elsewhere', email: PUSHER }) }), 401, 'store_signature_invalid');
      expectEnvelope(await post(test, { auth: certs.signPushToken({ aud: AUDIENCE, email: PUSHER, email_verified: false }) }), 401, 'store_signature_invalid');
      expectEnvelope(await post(test, { auth: certs.signPushToken({ aud: AUDIENCE, email: PUSHER, signWithOtherKey: true }) }), 401, 'store_signature_invalid');
      const ok = await post(test);
      expect(ok.status).toBe(200);
      expect(ok.body.data).toEqual({ message_id: test.message.messageId, notification_type: 'TEST', outcome: 'test' });
      expect((await post(test)).body.data.outcome).toBe('duplicate');
      const setup = (await call(ledger.url, { path: SETUP })).body.data;
      expect(setup.last_test_notification_at).toBe(iso(T0));
      expect(setup.counts.refused.authentication).toBe(5);
    });

    it('with a push token, takes the push only when the URL carries it', async () => {
      const test = pushBody({ testNotification: {} });
      expectEnvelope(await post(test, { app: 'app2', auth: null }), 401, 'store_signature_invalid');
      expectEnvelope(await post(test, { app: 'app2', auth: null, query: '?token=wrong-token' }), 401, 'store_signature_invalid');
      expect((await post(test, { app: 'app2', auth: null, query: `?token=${URL_TOKEN}` })).body.data.outcome).toBe('test');
    });

    it('refuses another package (403 store_app_mismatch) and what is not a push (400 store_notification_malformed)', async () => {
      expectEnvelope(await post(pushBody({ packageName: 'com.other.app', testNotification: {} })), 403, 'store_app_mismatch');
      expectEnvelope(await post({ message: { data: 'not base64 json', messageId: 'x' } }), 400, 'store_notification_malformed');
      expectEnvelope(await post({ signedPayload: 'apple' }), 400, 'store_notification_malformed');
    });
  });

  describe('subscriptions', () => {
    it('a purchase by an obfuscated account id: started, acknowledged, the API answer kept as evidence; a repeat reads nothing', async () => {
      const id = await createProfile('buyer');
      play.setSubscription('tok-a', sub({ order: 'GPA.1111-2222-3333-44444', start: T0 - DAY, expiry: T0 + 29 * DAY, account: 'buyer', ack: 'ACKNOWLEDGEMENT_STATE_PENDING' }));
      const r = await notify(4, 'tok-a', T0 - DAY, 'buy-a');
      expect(r.status).toBe(200);
      expect(r.body.data).toEqual({ message_id: 'buy-a', notification_type: 'SUBSCRIPTION_PURCHASED', outcome: 'accepted' });
      expect(await premium('buyer')).toMatchObject({ store: 'play_store', store_product_id: 'premium.monthly', expires_at: wire(T0 + 29 * DAY) });
      const [t] = await transactions('buyer');
      expect(t).toMatchObject({ store_transaction_id: 'GPA.1111-2222-3333-44444', store_original_transaction_id: 'GPA.1111-2222-3333-44444', purchased_at: iso(T0 - DAY) });
      expect(play.acknowledged).toEqual([{ kind: 'subscription', productId: 'premium.monthly', token: 'tok-a' }]);
      await receiver.waitFor(() => hooksOf(id).includes('subscription_started'));
      const reads = () => play.requests.filter((r) => r.method === 'GET').length;
      const before = reads();
      expect((await notify(4, 'tok-a', T0 - DAY, 'buy-a')).body.data.outcome).toBe('duplicate');
      expect(reads()).toBe(before);
      // Acknowledged once: the acknowledgement is recorded, so the redelivery does not repeat it.
      expect(play.acknowledged).toHaveLength(1);
      const evidence = await call(ledger.url, { path: `${SETUP}/purchases?purchase_token=tok-a` });
      expect(evidence.body.data).toMatchObject({ purchase_token: 'tok-a', chain_id: 'GPA.1111-2222-3333-44444', profile_id: id, claims: [{ profile_id: id, via: 'account_id' }] });
      expect(evidence.body.data.acknowledged_at).not.toBeNull();
      expect(evidence.body.data.records[0]).toMatchObject({ id: 'buy-a', notification_type: 'SUBSCRIPTION_PURCHASED', resource: { kind: 'subscriptionsv2', value: { latestOrderId: 'GPA.1111-2222-3333-44444' } } });
    });

    it('answers 503 store_api_unavailable with nothing recorded when the Play API fails, and records the retry', async () => {
      play.setSubscription('tok-a', sub({ order: 'GPA.1111-2222-3333-44444..0', start: T0 - DAY, expiry: T0 + 59 * DAY, account: 'buyer' }));
      play.failNext(1, 500);
      expectUnavailable(await notify(2, 'tok-a', T0 + 29 * DAY, 'renew-a'));
      play.down();
      expectUnavailable(await notify(2, 'tok-a', T0 + 29 * DAY, 'renew-a'));
      play.up();
      expect((await transactions('buyer')).length).toBe(1);
      expect((await notify(2, 'tok-a', T0 + 29 * DAY, 'renew-a')).body.data.outcome).toBe('accepted');
      const all = await transactions('buyer');
      expect(all.map((t: any) => t.store_transaction_id).sort()).toEqual(['GPA.1111-2222-3333-44444', 'GPA.1111-2222-3333-44444..0']);
      expect(all.find((t: any) => t.store_transaction_id.endsWith('..0'))).toMatchObject({ purchased_at: iso(T0 + 29 * DAY), expires_at: iso(T0 + 59 * DAY) });
      const id = (await profile('buyer')).body.data.profile_id;
      await receiver.waitFor(() => hooksOf(id).includes('subscription_renewed'));
    });

    it('cancel, restart, grace period, account hold and recovery follow the table', async () => {
      const id = await createProfile('lifecycle');
      const order = 'GPA.5555-0000-0000-00001';
      const base = { start: T0 - 2 * DAY, expiry: T0 + 29 * DAY, account: 'lifecycle' };
      play.setSubscription('tok-l', sub({ order, ...base }));
      await notify(4, 'tok-l', T0 - 2 * DAY);
      play.setSubscription('tok-l', sub({ order, ...base, state: 'SUBSCRIPTION_STATE_CANCELED', renew: false, extra: { canceledStateContext: { userInitiatedCancellation: { cancelTime: iso(T0 - 9000) } } } }));
      await notify(3, 'tok-l', T0 - 8000);
      expect((await premium('lifecycle')).renewal_cancelled_at).toBe(wire(T0 - 9000));
      play.setSubscription('tok-l', sub({ order, ...base }));
      await notify(7, 'tok-l', T0 - 7000);
      expect((await premium('lifecycle')).renewal_cancelled_at).toBeNull();
      play.setSubscription('tok-l', sub({ order, ...base, expiry: T0 + 30 * DAY, state: 'SUBSCRIPTION_STATE_IN_GRACE_PERIOD' }));
      await notify(6, 'tok-l', T0 - 6000);
      await receiver.waitFor(() => hooksOf(id).includes('entered_grace_period'));
      expect(hooksOf(id)).toEqual(expect.arrayContaining(['subscription_started', 'subscription_renewal_cancelled', 'subscription_renewal_reactivated', 'billing_issue_detected']));
      expect(await premium('lifecycle')).toMatchObject({ is_in_grace_period: true });
      // The hold: the period and the grace are over; access is off until Google recovers the payment.
      play.setSubscription('tok-l', sub({ order, ...base, expiry: T0 - 4500, state: 'SUBSCRIPTION_STATE_ON_HOLD' }));
      await notify(5, 'tok-l', T0 - 5000);
      expect(await premium('lifecycle')).toBeUndefined();
      play.setSubscription('tok-l', sub({ order: `${order}..0`, ...base, expiry: T0 + 31 * DAY }));
      await notify(1, 'tok-l', T0 - 4000);
      expect(await premium('lifecycle')).toMatchObject({ expires_at: wire(T0 + 31 * DAY), purchased_at: wire(T0 - 4000) });
      await receiver.waitFor(() => hooksOf(id).includes('subscription_renewed'));
    });

    it('a revocation refunds and ends access; a pause ends it and says so; a deferral moves the expiry', async () => {
      const id = await createProfile('ends');
      play.setSubscription('tok-r', sub({ order: 'GPA.7777-0000-0000-00001', start: T0 - DAY, expiry: T0 + 29 * DAY, account: 'ends' }));
      await notify(4, 'tok-r', T0 - DAY);
      play.setSubscription('tok-r', sub({ order: 'GPA.7777-0000-0000-00001', start: T0 - DAY, expiry: T0 + 40 * DAY, account: 'ends' }));
      await notify(9, 'tok-r', T0);
      expect(await premium('ends')).toMatchObject({ expires_at: wire(T0 + 40 * DAY) });
      await receiver.waitFor(() => hooksOf(id).filter((e) => e === 'access_level_updated').length >= 2);
      play.setSubscription('tok-r', sub({ order: 'GPA.7777-0000-0000-00001', start: T0 - DAY, expiry: T0 + 500, account: 'ends', state: 'SUBSCRIPTION_STATE_EXPIRED', renew: false }));
      await notify(12, 'tok-r', T0 + 500);
      expect(await premium('ends')).toBeUndefined();
      await receiver.waitFor(() => hooksOf(id).includes('subscription_refunded'));

      const paused = await createProfile('pauser');
      play.setSubscription('tok-p', sub({ order: 'GPA.8888-0000-0000-00001', start: T0 - 30 * DAY, expiry: T0 + 1000, account: 'pauser' }));
      await notify(4, 'tok-p', T0 - 30 * DAY);
      play.setSubscription('tok-p', sub({ order: 'GPA.8888-0000-0000-00001', start: T0 - 30 * DAY, expiry: T0 - 1000, account: 'pauser', state: 'SUBSCRIPTION_STATE_PAUSED' }));
      await notify(10, 'tok-p', T0);
      expect(await premium('pauser')).toBeUndefined();
      await receiver.waitFor(() => hooksOf(paused).includes('subscription_paused'));
    });

    it('a voided subscription purchase refunds its order, with the subscription read again as evidence', async () => {
      const id = await createProfile('voided');
      play.setSubscription('tok-v', sub({ order: 'GPA.6666-0000-0000-00001', start: T0 - DAY, expiry: T0 + 29 * DAY, account: 'voided' }));
      await notify(4, 'tok-v', T0 - DAY);
      play.setSubscription('tok-v', sub({ order: 'GPA.6666-0000-0000-00001', start: T0 - DAY, expiry: T0 - 1000, account: 'voided', state: 'SUBSCRIPTION_STATE_EXPIRED', renew: false }));
      const r = await post(pushBody({ eventTimeMillis: String(T0 - 1000), voidedPurchaseNotification: { purchaseToken: 'tok-v', orderId: 'GPA.6666-0000-0000-00001', productType: 1, refundType: 1 } }));
      expect(r.body.data).toMatchObject({ notification_type: 'VOIDED_PURCHASE', outcome: 'accepted' });
      expect(await premium('voided')).toBeUndefined();
      await receiver.waitFor(() => hooksOf(id).includes('subscription_refunded'));
      const evidence = (await call(ledger.url, { path: `${SETUP}/purchases?purchase_token=tok-v` })).body.data;
      expect(evidence.records[1]).toMatchObject({ notification_type: 'VOIDED_PURCHASE', resource: { kind: 'subscriptionsv2', value: { subscriptionState: 'SUBSCRIPTION_STATE_EXPIRED' } } });
    });

    it('an upgrade through linkedPurchaseToken keeps the owner and the chain, and ends the replaced token', async () => {
      const id = await createProfile('upgrader');
      play.setSubscription('tok-old', sub({ order: 'GPA.9999-0000-0000-00001', start: T0 - 10 * DAY, expiry: T0 + 20 * DAY, account: 'upgrader' }));
      await notify(4, 'tok-old', T0 - 10 * DAY);
      // The new token names no account: the replaced token's owner owns it.
      play.setSubscription('tok-new', sub({ order: 'GPA.9999-0000-0000-00002', start: T0, expiry: T0 + 365 * DAY, product: 'premium.yearly', linked: 'tok-old' }));
      expect((await notify(4, 'tok-new', T0)).body.data.outcome).toBe('accepted');
      expect(await premium('upgrader')).toMatchObject({ store_product_id: 'premium.yearly', expires_at: wire(T0 + 365 * DAY) });
      const all = await transactions('upgrader');
      expect(new Set(all.map((t: any) => t.store_original_transaction_id))).toEqual(new Set(['GPA.9999-0000-0000-00001']));
      expect(all.find((t: any) => t.store_transaction_id === 'GPA.9999-0000-0000-00001')).toMatchObject({ expires_at: iso(T0), cancellation_reason: 'new_subscription_replace' });
      await receiver.waitFor(() => hooksOf(id).includes('subscription_renewed'));
      expect(hooksOf(id)).not.toContain('subscription_renewal_cancelled');
      // The old token ends after the new one starts: access never reads as lapsed in between.
      const levels = receiver.received.filter((r) => r.body.profile_id === id && r.body.event_type === 'access_level_updated');
      expect(levels.map((r) => r.body.event_properties.is_active)).toEqual(levels.map(() => true));
    });
  });

  describe('attribution', () => {
    it('a token nobody owns waits (listed); a link claims it; another profile needs transfer (409 store_transaction_owned)', async () => {
      play.setSubscription('tok-u', sub({ order: 'GPA.1212-0000-0000-00001', start: T0 - DAY, expiry: T0 + 29 * DAY }));
      expect((await notify(4, 'tok-u', T0 - DAY)).body.data.outcome).toBe('unattributed');
      const list = await call(ledger.url, { path: `${SETUP}/unattributed` });
      expect(list.body.data).toEqual([expect.objectContaining({ purchase_token: 'tok-u', product_id: 'premium.monthly', notifications: 1, last_notification_type: 'SUBSCRIPTION_PURCHASED' })]);
      await createProfile('first');
      await createProfile('second');
      const linked = await call(ledger.url, { method: 'POST', path: `${SETUP}/links`, body: { purchase_token: 'tok-u', customer_user_id: 'first' } });
      expect(linked.status).toBe(200);
      expect(linked.body.data).toMatchObject({ purchase_token: 'tok-u', previous_profile_id: null, transferred: false, notifications_applied: 1 });
      expect(await premium('first')).toBeDefined();
      expect((await call(ledger.url, { path: `${SETUP}/unattributed` })).body.data).toEqual([]);
      expectEnvelope(await call(ledger.url, { method: 'POST', path: `${SETUP}/links`, body: { purchase_token: 'tok-u', customer_user_id: 'second' } }), 409, 'store_transaction_owned');
      const moved = await call(ledger.url, { method: 'POST', path: `${SETUP}/links`, body: { purchase_token: 'tok-u', customer_user_id: 'second', transfer: true } });
      expect(moved.body.data.transferred).toBe(true);
      expect(await premium('first')).toBeUndefined();
      expect(await premium('second')).toBeDefined();
      expectEnvelope(await call(ledger.url, { method: 'POST', path: `${SETUP}/links`, body: { purchase_token: 'tok-u', customer_user_id: 'nobody' } }), 404, 'profile_does_not_exist');
      expectEnvelope(await call(ledger.url, { path: `${SETUP}/purchases?purchase_token=never-seen` }), 404, 'store_transaction_does_not_exist');
    });

    it('a Google token unknown to Google is answered 200 not_found with nothing recorded', async () => {
      expect((await notify(4, 'tok-missing', T0)).body.data.outcome).toBe('not_found');
      expectEnvelope(await call(ledger.url, { path: `${SETUP}/purchases?purchase_token=tok-missing` }), 404, 'store_transaction_does_not_exist');
    });

    it('an erased profile takes its tokens with it: a later push for one is answered erased', async () => {
      await createProfile('leaver');
      play.setSubscription('tok-e', sub({ order: 'GPA.1313-0000-0000-00001', start: T0 - DAY, expiry: T0 + 29 * DAY, account: 'leaver' }));
      await notify(4, 'tok-e', T0 - DAY);
      expect((await call(ledger.url, { method: 'DELETE', path: `${V2}/profile/`, customerUserId: 'leaver' })).status).toBe(204);
      expect((await notify(2, 'tok-e', T0)).body.data.outcome).toBe('erased');
      expectEnvelope(await call(ledger.url, { method: 'POST', path: `${SETUP}/links`, body: { purchase_token: 'tok-e', customer_user_id: 'buyer' } }), 410, 'store_transaction_erased');
    });
  });

  describe('one-time products and refunds', () => {
    it('a one-time purchase, then its voided refund', async () => {
      const id = await createProfile('coins');
      play.setProduct('coins', 'tok-c', { kind: 'androidpublisher#productPurchase', purchaseTimeMillis: String(T0 - 1000), purchaseState: 0, orderId: 'GPA.3333-0000-0000-00001', regionCode: 'US', acknowledgementState: 0, obfuscatedExternalAccountId: 'coins' });
      const bought = await post(pushBody({ oneTimeProductNotification: { version: '1.0', notificationType: 1, purchaseToken: 'tok-c', sku: 'coins' } }));
      expect(bought.body.data.outcome).toBe('accepted');
      expect(play.acknowledged).toContainEqual({ kind: 'product', productId: 'coins', token: 'tok-c' });
      expect((await profile('coins')).body.data.non_subscriptions).toEqual([expect.objectContaining({ store: 'play_store', store_product_id: 'coins', store_transaction_id: 'GPA.3333-0000-0000-00001' })]);
      const voided = await post(pushBody({ voidedPurchaseNotification: { purchaseToken: 'tok-c', orderId: 'GPA.3333-0000-0000-00001', productType: 2, refundType: 1 } }));
      expect(voided.body.data).toMatchObject({ notification_type: 'VOIDED_PURCHASE', outcome: 'accepted' });
      await receiver.waitFor(() => hooksOf(id).includes('non_subscription_purchase_refunded'));
      expect(hooksOf(id)).toContain('non_subscription_purchase');
    });
  });

  describe('metrics', () => {
    it('count pushes by store and outcome', async () => {
      const text = await (await fetch(`${ledger.url}/metrics`)).text();
      expect(text).toMatch(/ledger_store_notifications_total\{store="play_store",outcome="accepted"\} \d+/);
      expect(text).toMatch(/ledger_store_notifications_total\{store="play_store",outcome="refused_authentication"\} \d+/);
      expect(text).toMatch(/ledger_store_notifications_total\{store="play_store",outcome="unavailable"\} \d+/);
      expect(text).toMatch(/ledger_store_unattributed_waiting\{store="play_store"\} \d+/);
    });
  });

  describe('backfill and secrets', () => {
    it('`ledger play-store sync` records what changed since and the voided purchases; no secret is in the log', async () => {
      play.setSubscription('tok-s', sub({ order: 'GPA.4444-0000-0000-00001', start: T0 - DAY, expiry: T0 + 29 * DAY, account: 'buyer' }));
      await notify(4, 'tok-s', T0 - DAY);
      play.setSubscription('tok-s', sub({ order: 'GPA.4444-0000-0000-00001', start: T0 - DAY, expiry: T0 + 29 * DAY, account: 'buyer', state: 'SUBSCRIPTION_STATE_CANCELED', renew: false }));
      play.setVoided([{ kind: 'androidpublisher#voidedPurchase', purchaseToken: 'tok-a', orderId: 'GPA.1111-2222-3333-44444', voidedTimeMillis: String(T0 - 2000), purchaseTimeMillis: String(T0 - DAY) }]);
      await ledger.stop();
      const cliEnv = { ...process.env, ...(await storeEnv(ledger.dir)), API_KEYS: `app1:${KEYS.app1},app2:${KEYS.app2}`, ...env };
      const run = (...args: string[]) => cli(['play-store', 'sync', 'app1', ...args], cliEnv);
      const synced = await run('--token', 'tok-s', 'tok-a', '--voided-since', iso(T0 - DAY));
      // tok-s changed; tok-a did not; tok-a's first order was voided.
      expect(synced.stdout).toContain('Synced 2 token(s) for app app1: 2 accepted, 1 unchanged');
      expect(synced.status).toBe(0);
      expect((await run('--voided-since', iso(T0 - DAY))).stdout).toContain('nothing recorded');
      ledger = await startLedger({ dir: ledger.dir, env });
      const buyer = await transactions('buyer');
      expect(buyer.find((t: any) => t.store_transaction_id === 'GPA.4444-0000-0000-00001').renew_status).toBe(false);
      expect(buyer.find((t: any) => t.store_transaction_id === 'GPA.1111-2222-3333-44444').refunded_at).toBe(iso(T0 - 2000));
      // The log (and everything else the ledger wrote beside the read models' file) holds no key and no push token.
      const key = play.serviceAccount.private_key.split('\n')[1];
      for (const file of readdirSync(ledger.dir).filter((f) => !f.includes('projections') && !f.includes('read'))) {
        const bytes = readFileSync(join(ledger.dir, file)).toString('latin1');
        expect(bytes.includes(key) || bytes.includes(URL_TOKEN)).toBe(false);
      }
    });
  });
});
