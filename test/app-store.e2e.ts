import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppleTestChain, createAppleTestChain, NotificationSpec, signedNotification } from './support/apple-signer';
import { DAY, expectEnvelope, withoutTimestamp } from './support/fixtures';
import { call, KEYS, RunningLedger, startLedger, V2 } from './support/ledger-server';
import { storeEnv } from './support/test-store';
import { WebhookReceiver } from './support/webhook-receiver';

const CLI = join(__dirname, '..', 'dist', 'cli', 'main.js');
const SETUP = '/admin/v1/stores/app-store';
const LINKS = `${SETUP}/links`;
const BUNDLE = 'com.example.app';
const APPLE_ID = 1234567890;
const notifications = (app = 'app1') => `/stores/app-store/${app}/notifications`;

/**
 * The App Store intake end to end over real HTTP: notifications signed by a self-made chain whose
 * root the ledger trusts through APP_STORE_EXTRA_ROOT_CERTS (a ledger without it refuses them).
 */
describe('App Store Server Notifications V2', () => {
  let ledger: RunningLedger;
  let chain: AppleTestChain;
  let receiver: WebhookReceiver;
  let rootFile: string;
  const T0 = Math.floor(Date.now() / 1000) * 1000;

  const send = (spec: NotificationSpec, app = 'app1') => call(ledger.url, { method: 'POST', path: notifications(app), key: null, body: signedNotification(chain, spec) });
  const profile = (user: string) => call(ledger.url, { path: `${V2}/profile/`, customerUserId: user });
  const createProfile = async (user: string) => (await call(ledger.url, { method: 'POST', path: `${V2}/profile/`, customerUserId: user, body: {} })).body.data.profile_id as string;
  const history = async (user: string) => (await call(ledger.url, { path: `${V2}/profile/history/?limit=1000`, customerUserId: user })).body.data as any[];
  const premium = async (user: string) => (await profile(user)).body.data.access_levels.find((l: any) => l.access_level_id === 'premium');
  const hooksOf = (profileId: string) => receiver.received.filter((r) => r.body.profile_id === profileId).map((r) => r.body.event_type);

  /** A set-transaction of an App Store subscription bought a day ago for a month. */
  const setTransaction = (user: string, tx: string, renewStatus: boolean) =>
    call(ledger.url, {
      method: 'POST',
      path: `${V2}/purchase/set/transaction/`,
      customerUserId: user,
      body: {
        purchase_type: 'subscription', store: 'app_store', store_product_id: 'premium.monthly', store_transaction_id: tx, store_original_transaction_id: tx,
        price: { country: 'US', currency: 'USD', value: 9.99 }, purchased_at: new Date(T0 - DAY).toISOString(), originally_purchased_at: new Date(T0 - DAY).toISOString(),
        expires_at: new Date(T0 + 29 * DAY).toISOString(), renew_status: renewStatus,
      },
    });

  /** A subscription bought a day ago for a month; `tx` names the transaction (and, by default, its chain). */
  const buy = (tx: string, token: string | undefined, o: Partial<NotificationSpec> = {}): NotificationSpec => ({
    notificationType: 'SUBSCRIBED',
    subtype: 'INITIAL_BUY',
    signedDate: T0 - DAY + 1000,
    transaction: { transactionId: tx, originalTransactionId: tx, productId: 'premium.monthly', purchaseDate: T0 - DAY, expiresDate: T0 + 29 * DAY, appAccountToken: token },
    ...o,
  });

  beforeAll(async () => {
    chain = await createAppleTestChain();
    receiver = new WebhookReceiver();
    const hook = await receiver.start();
    // The ledger's own folder (removed by close) holds the root it trusts.
    const dir = mkdtempSync(join(tmpdir(), 'ledger-e2e-'));
    rootFile = join(dir, 'test-root.pem');
    writeFileSync(rootFile, chain.rootPem);
    ledger = await startLedger({ dir, env: { APP_STORE_EXTRA_ROOT_CERTS: rootFile } });
    await call(ledger.url, { method: 'PUT', path: '/admin/v1/access-levels/pro' });
    for (const [product, level] of [['premium.monthly', 'premium'], ['premium.yearly', 'premium'], ['pro.monthly', 'pro'], ['lifetime', 'premium']]) {
      await call(ledger.url, { method: 'PUT', path: `/admin/v1/products/${product}`, body: { access_level_id: level } });
    }
    expect((await call(ledger.url, { method: 'POST', path: '/admin/v1/webhook-endpoints', body: { url: hook } })).status).toBe(201);
    const put = await call(ledger.url, { method: 'PUT', path: SETUP, body: { bundle_id: BUNDLE, app_apple_id: APPLE_ID } });
    expect(put.status).toBe(200);
  }, 60_000);

  afterAll(async () => {
    await ledger.close();
    await receiver.stop();
  });

  describe('setup', () => {
    it('GET shows the setup, the path and URL to paste into App Store Connect, and zero counts', async () => {
      const r = await call(ledger.url, { path: SETUP });
      expect(r.status).toBe(200);
      expect(r.body.data).toMatchObject({
        bundle_id: BUNDLE,
        app_apple_id: APPLE_ID,
        environments: ['Production', 'Sandbox'],
        notification_path: '/stores/app-store/app1/notifications',
        notification_url: `${ledger.url}/stores/app-store/app1/notifications`,
        last_test_notification_at: null,
      });
      expect(r.body.data.counts.refused).toBeDefined();
    });

    it('refuses bad input with 400 and saves nothing; Production needs app_apple_id', async () => {
      for (const body of [{}, { bundle_id: '' }, { bundle_id: BUNDLE, environments: ['Xcode'] }, { bundle_id: BUNDLE, environments: [] }, { bundle_id: BUNDLE, app_apple_id: 'x' }]) {
        const r = await call(ledger.url, { method: 'PUT', path: SETUP, key: KEYS.app2, body });
        expectEnvelope(r, 400);
        expect(r.body.error_code).toBe('validation_error');
      }
      const production = await call(ledger.url, { method: 'PUT', path: SETUP, key: KEYS.app2, body: { bundle_id: BUNDLE } });
      expectEnvelope(production, 400);
      expect(production.body.errors[0].source).toBe('app_apple_id');
      const none = await call(ledger.url, { path: SETUP, key: KEYS.app2 });
      expectEnvelope(none, 404);
      expect(none.body.error_code).toBe('store_not_configured');
    });

    it('Sandbox alone needs no app_apple_id; DELETE stops the intake (404 until set up again)', async () => {
      expect((await call(ledger.url, { method: 'PUT', path: SETUP, key: KEYS.app2, body: { bundle_id: 'com.other.app', environments: ['Sandbox'] } })).status).toBe(200);
      const spec = buy('del-1', undefined, { bundleId: 'com.other.app' });
      expect((await send(spec, 'app2')).status).toBe(200);
      expect((await call(ledger.url, { method: 'DELETE', path: SETUP, key: KEYS.app2 })).status).toBe(204);
      const after = await send(buy('del-2', undefined, { bundleId: 'com.other.app' }), 'app2');
      expectEnvelope(after, 404);
      expect(after.body.error_code).toBe('store_not_configured');
      expectEnvelope(await call(ledger.url, { method: 'DELETE', path: SETUP, key: KEYS.app2 }), 404);
    });
  });

  describe('refusals: 4xx in the envelope, nothing recorded', () => {
    async function expectRefused(r: Awaited<ReturnType<typeof send>>, status: number, code: string, originalId?: string) {
      expectEnvelope(r, status);
      expect(r.body.error_code).toBe(code);
      if (originalId) expectEnvelope(await call(ledger.url, { path: `${SETUP}/transactions/${originalId}` }), 404);
    }

    it('a malformed body', async () => {
      for (const rawBody of ['{}', '{"signedPayload": 5}', '{"signedPayload": "not-a-jws"}']) {
        const r = await call(ledger.url, { method: 'POST', path: notifications(), key: null, rawBody });
        await expectRefused(r, 400, 'store_notification_malformed');
      }
      // Not a JSON object at all: refused by the body parser's own rule.
      await expectRefused(await call(ledger.url, { method: 'POST', path: notifications(), key: null, rawBody: '[]' }), 400, 'validation_error');
    });

    it('a bad signature, a short chain, a chain without Apple’s marks', async () => {
      const spec = buy('bad-1', undefined);
      const payload = signedNotification(chain, spec).signedPayload;
      const [h, p, s] = payload.split('.');
      const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
      claims.data.bundleId = BUNDLE;
      claims.notificationUUID = randomUUID();
      const tampered = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
      await expectRefused(await call(ledger.url, { method: 'POST', path: notifications(), key: null, body: { signedPayload: tampered } }), 401, 'store_signature_invalid', 'bad-1');
      const short = chain.signWith(JSON.parse(Buffer.from(p, 'base64url').toString()), { x5c: chain.x5c.slice(0, 2) });
      await expectRefused(await call(ledger.url, { method: 'POST', path: notifications(), key: null, body: { signedPayload: short } }), 401, 'store_signature_invalid', 'bad-1');
      const unmarked = await createAppleTestChain({ leafWithoutAppleOid: true });
      writeFileSync(join(ledger.dir, 'unmarked.pem'), unmarked.rootPem);
      const r = await call(ledger.url, { method: 'POST', path: notifications(), key: null, body: signedNotification(unmarked, spec) });
      await expectRefused(r, 401, 'store_signature_invalid', 'bad-1');
    });

    it('another app’s bundle or Apple id, a refused environment, Xcode and LocalTesting', async () => {
      await expectRefused(await send(buy('bad-2', undefined, { bundleId: 'com.evil.app' })), 403, 'store_app_mismatch', 'bad-2');
      await expectRefused(await send(buy('bad-3', undefined, { environment: 'Production', appAppleId: 42 })), 403, 'store_app_mismatch', 'bad-3');
      for (const environment of ['Xcode', 'LocalTesting']) {
        await expectRefused(await send(buy('bad-4', undefined, { environment })), 403, 'store_environment_refused', 'bad-4');
      }
      // Production only: a Sandbox notification is refused.
      expect((await call(ledger.url, { method: 'PUT', path: SETUP, key: KEYS.app2, body: { bundle_id: BUNDLE, app_apple_id: APPLE_ID, environments: ['Production'] } })).status).toBe(200);
      const r = await send(buy('bad-5', undefined), 'app2');
      expectEnvelope(r, 403);
      expect(r.body.error_code).toBe('store_environment_refused');
      const counts = (await call(ledger.url, { path: SETUP, key: KEYS.app2 })).body.data.counts;
      expect(counts.refused.environment).toBe(1);
      expect(counts.accepted).toBe(0);
    });

    it('counts refusals by reason in GET', async () => {
      const counts = (await call(ledger.url, { path: SETUP })).body.data.counts;
      expect(counts.refused).toMatchObject({ malformed: 3, signature: 3, bundle: 2, environment: 2 });
    });

    it('online checks that cannot reach the revocation responder answer 503, so Apple retries; nothing is recorded', async () => {
      // A port nothing listens on: the OCSP request fails to connect.
      const closed = await new Promise<number>((resolve) => {
        const s = createServer().listen(0, '127.0.0.1', () => {
          const port = (s.address() as AddressInfo).port;
          s.close(() => resolve(port));
        });
      });
      const online = await createAppleTestChain({ ocspUrl: `http://127.0.0.1:${closed}/ocsp` });
      const dir = mkdtempSync(join(tmpdir(), 'ledger-ocsp-'));
      const root = join(dir, 'root.pem');
      writeFileSync(root, online.rootPem);
      const checked = await startLedger({ env: { APP_STORE_EXTRA_ROOT_CERTS: root, APP_STORE_ONLINE_CHECKS: 'true' } });
      try {
        await call(checked.url, { method: 'PUT', path: SETUP, body: { bundle_id: BUNDLE, app_apple_id: APPLE_ID } });
        const r = await call(checked.url, { method: 'POST', path: notifications(), key: null, body: signedNotification(online, buy('ocsp-1', undefined)) });
        expect(r.status).toBe(503);
        expect(r.body).toMatchObject({ error_code: 'store_verification_unavailable', status_code: 503 });
        expectEnvelope(await call(checked.url, { path: `${SETUP}/transactions/ocsp-1` }), 404);
      } finally {
        await checked.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('with the default configuration, a self-made chain is refused', async () => {
      const plain = await startLedger();
      try {
        await call(plain.url, { method: 'PUT', path: SETUP, body: { bundle_id: BUNDLE, app_apple_id: APPLE_ID } });
        const r = await call(plain.url, { method: 'POST', path: notifications(), key: null, body: signedNotification(chain, buy('plain-1', undefined)) });
        expectEnvelope(r, 401);
        expect(r.body.error_code).toBe('store_signature_invalid');
      } finally {
        await plain.close();
      }
    });
  });

  describe('attribution and state', () => {
    it('appAccountToken = a profile id: the purchase becomes the profile’s access, history and webhooks', async () => {
      const id = await createProfile('token-user');
      const spec = buy('tok-1', id.toUpperCase());
      const r = await send(spec);
      expect(r.status).toBe(200);
      expect(r.body.data).toMatchObject({ outcome: 'accepted', notification_type: 'SUBSCRIBED' });
      const level = await premium('token-user');
      expect(level).toMatchObject({ store: 'app_store', store_transaction_id: 'tok-1', renewal_cancelled_at: null });
      const events = await history('token-user');
      const note = events.find((e) => e.type === 'StoreNotificationRecorded');
      expect(note.data).toMatchObject({ store: 'app_store', notification_type: 'SUBSCRIBED', subtype: 'INITIAL_BUY', original_transaction_id: 'tok-1', via: 'notification' });
      const tx = events.find((e) => e.type === 'TransactionRecorded');
      expect(tx.data.store_notification_id).toBe(note.data.notification_id);
      expect(tx.data.transaction).toMatchObject({ store: 'app_store', environment: 'Sandbox', price: { country: 'US', currency: 'USD', value: 9.99 } });
      await receiver.waitFor(() => hooksOf(id).includes('subscription_started'));
      // The evidence: Apple's signed payload, kept with the chain.
      const evidence = await call(ledger.url, { path: `${SETUP}/transactions/tok-1` });
      expect(evidence.body.data.profile_id).toBe(id);
      expect(evidence.body.data.notifications[0].signed_payload).toBe(signedNotification(chain, spec).signedPayload.split('.')[0] + evidence.body.data.notifications[0].signed_payload.slice(evidence.body.data.notifications[0].signed_payload.indexOf('.')));
    });

    it('a repeat is answered 200 once more, recorded once, and sends no second webhook', async () => {
      const id = await createProfile('dup-user');
      const body = signedNotification(chain, buy('dup-1', id));
      const first = await call(ledger.url, { method: 'POST', path: notifications(), key: null, body });
      const again = await call(ledger.url, { method: 'POST', path: notifications(), key: null, body });
      expect(first.body.data.outcome).toBe('accepted');
      expect(again.status).toBe(200);
      expect(again.body.data.outcome).toBe('duplicate');
      const events = await history('dup-user');
      expect(events.filter((e) => e.type === 'StoreNotificationRecorded')).toHaveLength(1);
      expect(events.filter((e) => e.type === 'TransactionRecorded')).toHaveLength(1);
      await receiver.waitFor(() => hooksOf(id).includes('subscription_started'));
      await new Promise((r) => setTimeout(r, 500));
      expect(hooksOf(id).filter((t) => t === 'subscription_started')).toHaveLength(1);
    });

    it('appAccountToken = a customer_user_id; TEST and CONSUMPTION_REQUEST change nothing but are answered 200', async () => {
      const customer = randomUUID();
      await createProfile(customer);
      expect((await send(buy('cus-1', customer))).body.data.outcome).toBe('accepted');
      expect(await premium(customer)).toBeDefined();
      const test = await send({ notificationType: 'TEST', signedDate: T0 });
      expect(test.status).toBe(200);
      expect(test.body.data.outcome).toBe('test');
      expect((await call(ledger.url, { path: SETUP })).body.data.last_test_notification_at).toBe(new Date(T0).toISOString());
      const before = await profile(customer);
      const consumption = await send({ ...buy('cus-1', customer), notificationType: 'CONSUMPTION_REQUEST', subtype: undefined, signedDate: T0 });
      expect(consumption.status).toBe(200);
      expect((await profile(customer)).body.data.access_levels).toEqual(before.body.data.access_levels);
      expect((await history(customer)).filter((e) => e.type === 'StoreNotificationRecorded').map((e) => e.data.notification_type)).toEqual(['SUBSCRIBED', 'CONSUMPTION_REQUEST']);
    });

    it('reordering: the newest signed information wins whatever the arrival order; the late one stays in history', async () => {
      const id = await createProfile('order-user');
      await send(buy('ord-1', id));
      const cancel: NotificationSpec = {
        notificationType: 'DID_CHANGE_RENEWAL_STATUS',
        subtype: 'AUTO_RENEW_DISABLED',
        signedDate: T0 - 1000,
        transaction: { transactionId: 'ord-1', originalTransactionId: 'ord-1', productId: 'premium.monthly', purchaseDate: T0 - DAY, expiresDate: T0 + 29 * DAY, appAccountToken: id, signedDate: T0 - 1000 },
        renewal: { autoRenewStatus: 0, signedDate: T0 - 1000 },
      };
      const reenable: NotificationSpec = { ...cancel, subtype: 'AUTO_RENEW_ENABLED', signedDate: T0, transaction: { ...cancel.transaction, signedDate: T0 }, renewal: { autoRenewStatus: 1, signedDate: T0 } };
      expect((await send(reenable)).status).toBe(200);
      expect((await send(cancel)).status).toBe(200);
      expect((await premium('order-user')).renewal_cancelled_at).toBeNull();
      const types = (await history('order-user')).filter((e) => e.type === 'StoreNotificationRecorded').map((e) => e.data.subtype);
      expect(types).toEqual(['INITIAL_BUY', 'AUTO_RENEW_ENABLED', 'AUTO_RENEW_DISABLED']);
    });

    it('set-transaction with store app_store claims the chain: a later notification without token is attributed', async () => {
      await createProfile('set-user');
      const set = await setTransaction('set-user', 'set-1', true);
      expect(set.body.errors ?? set.status).toBe(200);
      const cancel = await send({ ...buy('set-1', undefined), notificationType: 'DID_CHANGE_RENEWAL_STATUS', subtype: 'AUTO_RENEW_DISABLED', signedDate: T0, renewal: { autoRenewStatus: 0 } });
      expect(cancel.body.data.outcome).toBe('accepted');
      expect((await premium('set-user')).renewal_cancelled_at).not.toBeNull();
    });

    it('unattributed: waits (200), is listed, and is applied in signed order when a link claims it', async () => {
      const first = await send(buy('wait-1', undefined));
      expect(first.status).toBe(200);
      expect(first.body.data.outcome).toBe('unattributed');
      await send({ ...buy('wait-1', undefined), notificationType: 'DID_CHANGE_RENEWAL_STATUS', subtype: 'AUTO_RENEW_DISABLED', signedDate: T0 - 5000, renewal: { autoRenewStatus: 0 } });
      const listed = await call(ledger.url, { path: `${SETUP}/unattributed?limit=1000` });
      const entry = listed.body.data.find((w: any) => w.original_transaction_id === 'wait-1');
      expect(entry).toMatchObject({ notifications: 2, product_id: 'premium.monthly', last_notification_type: 'DID_CHANGE_RENEWAL_STATUS' });
      expect((await call(ledger.url, { path: SETUP })).body.data.unattributed_waiting).toBeGreaterThanOrEqual(1);
      const id = await createProfile('wait-user');
      const link = await call(ledger.url, { method: 'POST', path: LINKS, body: { original_transaction_id: 'wait-1', customer_user_id: 'wait-user' } });
      expect(link.status).toBe(200);
      expect(link.body.data).toMatchObject({ profile_id: id, previous_profile_id: null, transferred: false, notifications_applied: 2 });
      const level = await premium('wait-user');
      expect(level.renewal_cancelled_at).not.toBeNull();
      const notes = (await history('wait-user')).filter((e) => e.type === 'StoreNotificationRecorded');
      expect(notes.map((e) => [e.data.subtype, e.data.via])).toEqual([['INITIAL_BUY', 'claim'], ['AUTO_RENEW_DISABLED', 'claim']]);
      await receiver.waitFor(() => hooksOf(id).includes('subscription_started') && hooksOf(id).includes('subscription_renewal_cancelled'));
      const after = await call(ledger.url, { path: `${SETUP}/unattributed?limit=1000` });
      expect(after.body.data.find((w: any) => w.original_transaction_id === 'wait-1')).toBeUndefined();
    });

    it('unattributed, then a set-transaction of that original transaction claims it: what waited applies at once', async () => {
      expect((await send(buy('wait-2', undefined))).body.data.outcome).toBe('unattributed');
      await createProfile('wait-set-user');
      const set = await setTransaction('wait-set-user', 'wait-2', false);
      expect(set.status).toBe(200);
      // The answer already shows what Apple said (renewing), signed after the set-transaction's input was made.
      expect(set.body.data.access_levels[0]).toMatchObject({ store_transaction_id: 'wait-2', renewal_cancelled_at: null });
      const notes = (await history('wait-set-user')).filter((e) => e.type === 'StoreNotificationRecorded');
      expect(notes.map((e) => e.data.via)).toEqual(['claim']);
      const waiting = await call(ledger.url, { path: `${SETUP}/unattributed?limit=1000` });
      expect(waiting.body.data.find((w: any) => w.original_transaction_id === 'wait-2')).toBeUndefined();
    });

    it('unattributed pages: limit and cursor, a foreign cursor is 400', async () => {
      for (const tx of ['page-1', 'page-2', 'page-3']) await send(buy(tx, undefined));
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const q: string = cursor ? `?limit=1&cursor=${cursor}` : '?limit=1';
        const page = await call(ledger.url, { path: `${SETUP}/unattributed${q}` });
        expect(page.status).toBe(200);
        expect(page.body.data.length).toBeLessThanOrEqual(1);
        seen.push(...page.body.data.map((w: any) => w.original_transaction_id));
        cursor = page.body.next_cursor;
      } while (cursor);
      expect(seen).toEqual(expect.arrayContaining(['page-1', 'page-2', 'page-3']));
      expect(new Set(seen).size).toBe(seen.length);
      expectEnvelope(await call(ledger.url, { path: `${SETUP}/unattributed?cursor=bm9wZToz` }), 400);
      expectEnvelope(await call(ledger.url, { path: `${SETUP}/unattributed?limit=0` }), 400);
      // Another app sees none of them.
      const other = (await call(ledger.url, { path: `${SETUP}/unattributed`, key: KEYS.app2 })).body.data.map((w: any) => w.original_transaction_id);
      expect(other.filter((id: string) => id.startsWith('page-'))).toEqual([]);
    });

    it('a link before any notification: the first notification goes straight to the profile', async () => {
      await createProfile('early-user');
      expect((await call(ledger.url, { method: 'POST', path: LINKS, body: { original_transaction_id: 'early-1', customer_user_id: 'early-user' } })).status).toBe(200);
      expect((await send(buy('early-1', undefined))).body.data.outcome).toBe('accepted');
      expect((await premium('early-user')).store_transaction_id).toBe('early-1');
    });

    it('links: 404 for a missing profile, 409 when another profile owns it, transfer moves it with access_level_updated for both', async () => {
      const a = await createProfile('owner-a');
      const b = await createProfile('owner-b');
      await send(buy('own-1', a));
      const missing = await call(ledger.url, { method: 'POST', path: LINKS, body: { original_transaction_id: 'own-1', customer_user_id: 'nobody' } });
      expectEnvelope(missing, 404);
      expect(missing.body.error_code).toBe('profile_does_not_exist');
      const taken = await call(ledger.url, { method: 'POST', path: LINKS, body: { original_transaction_id: 'own-1', customer_user_id: 'owner-b' } });
      expectEnvelope(taken, 409);
      expect(taken.body.error_code).toBe('store_transaction_owned');
      const bad = await call(ledger.url, { method: 'POST', path: LINKS, body: { original_transaction_id: 'own-1' } });
      expectEnvelope(bad, 400);
      const moved = await call(ledger.url, { method: 'POST', path: LINKS, body: { original_transaction_id: 'own-1', profile_id: b, transfer: true } });
      expect(moved.status).toBe(200);
      expect(moved.body.data).toMatchObject({ profile_id: b, previous_profile_id: a, transferred: true });
      expect(await premium('owner-a')).toBeUndefined();
      expect(await premium('owner-b')).toBeDefined();
      await receiver.waitFor(() => hooksOf(a).includes('access_level_updated') && hooksOf(b).includes('access_level_updated'));
      expect(hooksOf(b)).not.toContain('subscription_started');
      // Later notifications follow the chain to its new owner, even carrying the original buyer's token.
      await send({ ...buy('own-1', a), notificationType: 'DID_CHANGE_RENEWAL_STATUS', subtype: 'AUTO_RENEW_DISABLED', signedDate: T0, renewal: { autoRenewStatus: 0 } });
      expect((await premium('owner-b')).renewal_cancelled_at).not.toBeNull();
      expect(await premium('owner-a')).toBeUndefined();
    });

    it('a profile deleted: its chains are erased with it; later notifications are answered 200 and recorded nowhere', async () => {
      const id = await createProfile('gone-user');
      await send(buy('gone-1', id));
      expect((await call(ledger.url, { method: 'DELETE', path: `${V2}/profile/`, customerUserId: 'gone-user' })).status).toBe(204);
      expectEnvelope(await call(ledger.url, { path: `${SETUP}/transactions/gone-1` }), 404);
      const later = await send({ ...buy('gone-1', undefined), notificationType: 'DID_RENEW', subtype: undefined, signedDate: T0 });
      expect(later.status).toBe(200);
      expect(later.body.data.outcome).toBe('erased');
      const relink = await call(ledger.url, { method: 'POST', path: LINKS, body: { original_transaction_id: 'gone-1', customer_user_id: 'token-user' } });
      expectEnvelope(relink, 410);
      expect(relink.body.error_code).toBe('store_transaction_erased');
    });

    it('an original transaction nobody named is 404 store_transaction_does_not_exist', async () => {
      const r = await call(ledger.url, { path: `${SETUP}/transactions/never-seen` });
      expectEnvelope(r, 404);
      expect(r.body.error_code).toBe('store_transaction_does_not_exist');
    });

    it('the expiry waits an hour for Apple: access is gone at the end; subscription_expired comes an hour later, dated at the end', async () => {
      const id = await createProfile('expiry-user');
      const end = Date.now() + 1500;
      const spec = buy('exp-1', id);
      expect((await send({ ...spec, transaction: { ...spec.transaction, expiresDate: end } })).status).toBe(200);
      await receiver.waitFor(() => hooksOf(id).includes('subscription_started'));
      await new Promise((r) => setTimeout(r, end - Date.now() + 2500)); // past the end, and two scheduler polls
      expect(await premium('expiry-user')).toBeUndefined();
      expect(hooksOf(id)).not.toContain('subscription_expired');
      ledger.clock.advance(60 * 60 * 1000);
      await receiver.waitFor(() => hooksOf(id).includes('subscription_expired'));
      const expired = receiver.received.find((r) => r.body.profile_id === id && r.body.event_type === 'subscription_expired')!;
      expect(Date.parse(expired.body.event_datetime.replace(/(\d{3})\d{3}\+0000$/, '$1Z'))).toBe(end);
    }, 20_000);

    it('metrics count notifications by outcome', async () => {
      const text = (await (await fetch(`${ledger.url}/metrics`)).text()) as string;
      expect(text).toMatch(/ledger_store_notifications_total\{store="app_store",outcome="accepted"\} \d+/);
      expect(text).toMatch(/ledger_store_unattributed_waiting\{store="app_store"\} \d+/);
    });
  });

  describe('import, restart and rebuild', () => {
    it('`ledger app-store import` backfills through the same checks; a restart and a rebuild give the same state', async () => {
      const id = await createProfile('import-user');
      const lines = [
        signedNotification(chain, buy('imp-1', id)).signedPayload,
        JSON.stringify(signedNotification(chain, { ...buy('imp-1', id), notificationType: 'DID_CHANGE_RENEWAL_STATUS', subtype: 'AUTO_RENEW_DISABLED', signedDate: T0, renewal: { autoRenewStatus: 0 } })),
        'garbage',
      ];
      const file = join(ledger.dir, 'history.txt');
      writeFileSync(file, `${lines.join('\n')}\n${lines[0]}\n`);
      const before = await profile('token-user');
      await ledger.stop();
      const env = { ...process.env, ...(await storeEnv(ledger.dir)), API_KEYS: `app1:${KEYS.app1},app2:${KEYS.app2}`, APP_STORE_EXTRA_ROOT_CERTS: rootFile };
      const r = spawnSync(process.execPath, [CLI, 'app-store', 'import', 'app1', file], { env, encoding: 'utf8', timeout: 60_000 });
      expect(r.stdout).toContain('Imported 4 notification(s) for app app1: 2 accepted, 1 refused, 1 duplicate');
      expect(r.stdout).toContain('line 3: store_notification_malformed');
      expect(r.status).toBe(1);
      const timeline = spawnSync(process.execPath, [CLI, 'history', 'import-user', '--app', 'app1'], { env, encoding: 'utf8', timeout: 60_000 });
      expect(timeline.stdout).toMatch(/app_store SUBSCRIBED\/INITIAL_BUY \S+ signed \S+ original tx=imp-1 \(notification\)/);
      expect(timeline.stdout).toMatch(/app_store\/premium\.monthly tx=imp-1 .* by notification /);
      ledger = await startLedger({ dir: ledger.dir, env: { APP_STORE_EXTRA_ROOT_CERTS: rootFile } });
      expect((await premium('import-user')).renewal_cancelled_at).not.toBeNull();
      expect(withoutTimestamp(await profile('token-user'))).toEqual(withoutTimestamp(before));
      await ledger.stop();
      const rebuild = spawnSync(process.execPath, [CLI, 'rebuild'], { env, encoding: 'utf8', timeout: 60_000 });
      expect(rebuild.stderr).toBe('');
      expect(rebuild.status).toBe(0);
      const verify = spawnSync(process.execPath, [CLI, 'verify'], { env, encoding: 'utf8', timeout: 60_000 });
      expect(verify.stdout).toContain('Read models match');
      expect(verify.status).toBe(0);
      ledger = await startLedger({ dir: ledger.dir, env: { APP_STORE_EXTRA_ROOT_CERTS: rootFile } });
      expect(withoutTimestamp(await profile('token-user'))).toEqual(withoutTimestamp(before));
      expect((await premium('import-user')).renewal_cancelled_at).not.toBeNull();
    }, 120_000);
  });
});
