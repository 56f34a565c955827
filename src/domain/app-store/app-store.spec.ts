import fc from 'fast-check';
import { nextExpiryAt, NOTIFIED_EXPIRY_WAIT_MS, recordExpiries } from '../profile/expiry';
import { ProfileState } from '../profile/profile.state';
import { isInGracePeriodAt } from '../profile/access';
import {
  after,
  APP_ID,
  CATALOGUE,
  catalogueWith,
  context,
  day,
  errorOf,
  eventsOf,
  given,
  levelsAt,
  NOW,
  oneTime,
  PROFILE_ID,
  subscription,
  trial,
} from '../spec-support';
import { claimChain, claimIfUnowned, evolveAppStoreChain, receiveNotification } from './app-store-chain';
import { evolveAppStoreSetup, initialAppStoreSetup, parkNotification, recordAppNotification, removeSetup, saveSetup, unparkChain } from './app-store-setup';
import { releaseAppStoreChain, syncAppStoreChain } from './app-store-sync';
import { appleLedgerTransactions, countryOf, offerOf } from './apple-mapping';
import { AppleNotification } from './apple-notification';
import {
  appleNotification,
  appleOneTime,
  appleRenewal,
  appleTransaction,
  appleTrial,
  arrive,
  arrivedOneByOne,
  at,
  chainOf,
  changes,
  claimed,
  history,
  HOUR,
  MINUTE,
  ownedChain,
  received,
  Story,
  transactionsRecorded,
  webhookTypes,
} from './apple-spec-support';

const OTHER_PROFILE = '33333333-3333-4333-8333-333333333333';

/** The one transaction a story's profile holds under this id. */
const tx = (s: Story, id = 'tx-1') => s.profile.transactions.get(id)!;
const levelIds = (state: ProfileState, atIso?: string) => levelsAt(state, atIso === undefined ? undefined : Date.parse(atIso)).map((l) => l.access_level_id);

// ---- the usual notifications of a paid monthly chain (tx-1: 10 days ago → in 20 days) ----
const initialBuy = (transaction = appleTransaction()) =>
  appleNotification('SUBSCRIBED', 'INITIAL_BUY', transaction.purchaseDate, { transaction, renewal: appleRenewal({ productId: transaction.productId, autoRenewProductId: transaction.productId }) });
const renewalStatus = (subtype: 'AUTO_RENEW_DISABLED' | 'AUTO_RENEW_ENABLED', signed: number, transaction = appleTransaction()) =>
  appleNotification('DID_CHANGE_RENEWAL_STATUS', subtype, signed, { transaction, renewal: appleRenewal({ autoRenewStatus: subtype === 'AUTO_RENEW_ENABLED' ? 1 : 0 }) });
const didRenew = (transaction: ReturnType<typeof appleTransaction>, subtype: string | null = null) =>
  appleNotification('DID_RENEW', subtype, transaction.purchaseDate, { transaction, renewal: appleRenewal() });

describe('Apple mapping: the ledger transaction a notification stands for', () => {
  it('SUBSCRIBED/INITIAL_BUY paid: Apple ms → ISO, milliunits 9990 → 9.99, storefront USA → US', () => {
    const buy = initialBuy();
    expect(appleLedgerTransactions([buy])).toEqual([
      { transaction: subscription(), notification_id: buy.notification_uuid, latest: true, started_by_upgrade: false, revoked_from_family: false },
    ]);
  });

  it('SUBSCRIBED/INITIAL_BUY free trial (offerType 1 + FREE_TRIAL): an introductory free_trial at price 0', () => {
    const buy = initialBuy(appleTrial({ purchaseDate: at(-1), originalPurchaseDate: at(-1), expiresDate: at(6), price: 0 }));
    expect(appleLedgerTransactions([buy]).map((d) => d.transaction)).toEqual([
      trial({ purchased_at: day(-1), originally_purchased_at: day(-1), expires_at: day(6) }),
    ]);
  });

  it('offers: Apple offer types and discount types, older payloads without offerDiscountType', () => {
    expect(offerOf(appleTransaction({ offerType: 1, offerDiscountType: 'PAY_UP_FRONT', price: 2990 }))).toEqual({ category: 'introductory', type: 'pay_up_front', id: null });
    expect(offerOf(appleTransaction({ offerType: 1, price: 0 }))).toEqual({ category: 'introductory', type: 'free_trial', id: null });
    expect(offerOf(appleTransaction({ offerType: 2, offerIdentifier: 'spring-50', offerDiscountType: 'PAY_AS_YOU_GO' }))).toEqual({ category: 'promotional', type: 'pay_as_you_go', id: 'spring-50' });
    expect(offerOf(appleTransaction({ offerType: 3, offerIdentifier: 'SUMMER', offerDiscountType: 'PAY_UP_FRONT' }))).toEqual({ category: 'offer_code', type: 'pay_up_front', id: 'SUMMER' });
    expect(offerOf(appleTransaction({ offerType: 4, offerIdentifier: 'come-back', offerDiscountType: 'FREE_TRIAL' }))).toEqual({ category: 'win_back', type: 'free_trial', id: 'come-back' });
    expect(offerOf(appleTransaction())).toBeNull();
  });

  it('storefront and currency: alpha-3 → alpha-2, unknown → ZZ, currency upper-cased, no currency → 0 XXX', () => {
    expect(countryOf('USA')).toBe('US');
    expect(countryOf('deu')).toBe('DE');
    expect(countryOf(undefined)).toBe('ZZ');
    expect(countryOf('XXQ')).toBe('ZZ');
    const [gb] = appleLedgerTransactions([initialBuy(appleTransaction({ storefront: 'GBR', currency: 'gbp', price: 7990 }))]);
    expect(gb.transaction.price).toEqual({ country: 'GB', currency: 'GBP', value: 7.99 });
    const [old] = appleLedgerTransactions([initialBuy(appleTransaction({ price: undefined, currency: undefined }))]);
    expect(old.transaction.price).toEqual({ country: 'US', currency: 'XXX', value: 0 });
  });

  it('ONE_TIME_CHARGE: a one-time purchase, identified by its original id, no expiry, no renewal fields', () => {
    const charge = appleNotification('ONE_TIME_CHARGE', null, at(-5), { transaction: appleOneTime() });
    expect(appleLedgerTransactions([charge]).map((d) => d.transaction)).toEqual([oneTime({ originally_purchased_at: day(-5) })]);
  });

  it('a subscription without a valid expiresDate is no transaction', () => {
    expect(appleLedgerTransactions([initialBuy(appleTransaction({ expiresDate: undefined }))])).toEqual([]);
    expect(appleLedgerTransactions([initialBuy(appleTransaction({ expiresDate: at(-10) }))])).toEqual([]);
  });
});

describe('Apple notifications → profile events, row by row (store-notifications.md, Apple table)', () => {
  describe('SUBSCRIBED / INITIAL_BUY', () => {
    it('paid → the notification is recorded, then subscription_started; access from purchase to expiresDate', () => {
      const buy = initialBuy();
      const s = arrive({ profile: given(), chain: chainOf(claimed('tx-1')), events: [] }, buy);
      expect(s.events).toEqual([
        {
          type: 'StoreNotificationRecorded',
          data: {
            store: 'app_store',
            original_transaction_id: 'tx-1',
            notification_id: buy.notification_uuid,
            notification_type: 'SUBSCRIBED',
            subtype: 'INITIAL_BUY',
            signed_at: day(-10),
            environment: 'Production',
            transaction: buy.transaction,
            renewal: buy.renewal,
            via: 'notification',
            recorded_at: NOW.toISOString(),
          },
        },
        {
          type: 'TransactionRecorded',
          data: {
            transaction: subscription(),
            access_level_id: 'premium',
            purchase_id: 'id-1',
            effects: ['subscription_started'],
            recorded_at: NOW.toISOString(),
            store_notification_id: buy.notification_uuid,
          },
        },
      ]);
      expect(levelsAt(s.profile)).toMatchObject([{ access_level_id: 'premium', expires_at: day(20), will_renew: true }]);
      expect(s.profile.total_revenue_usd).toBe(9.99);
    });

    it('free trial (offerType 1 + FREE_TRIAL) → trial_started, price 0, no revenue', () => {
      const s = arrivedOneByOne([initialBuy(appleTrial({ purchaseDate: at(-1), originalPurchaseDate: at(-1), expiresDate: at(6) }))]);
      expect(changes(s.events)).toEqual([{ id: 'tx-1', effects: ['trial_started'] }]);
      expect(tx(s).price).toEqual({ country: 'US', currency: 'USD', value: 0 });
      expect(levelsAt(s.profile)).toMatchObject([{ access_level_id: 'premium', is_trial: true, expires_at: day(6) }]);
      expect(s.profile.total_revenue_usd).toBe(0);
    });
  });

  describe('SUBSCRIBED / RESUBSCRIBE', () => {
    const lapsed = appleTransaction({ purchaseDate: at(-70), originalPurchaseDate: at(-70), expiresDate: at(-40) });
    const rejoin = appleTransaction({ transactionId: 'tx-2', purchaseDate: at(-5), originalPurchaseDate: at(-70), expiresDate: at(25) });
    const expiredVoluntarily = (t: typeof lapsed) =>
      appleNotification('EXPIRED', 'VOLUNTARY', t.expiresDate!, { transaction: t, renewal: appleRenewal({ autoRenewStatus: 0, expirationIntent: 1 }) });
    const resubscribe = appleNotification('SUBSCRIBED', 'RESUBSCRIBE', at(-5), { transaction: rejoin, renewal: appleRenewal() });

    it('a new transaction in a known chain after a lapse → subscription_renewed; access back until the new expiresDate', () => {
      const before = arrivedOneByOne([initialBuy(lapsed), expiredVoluntarily(lapsed)]);
      expect(levelsAt(before.profile)).toEqual([]);
      const s = arrive(before, resubscribe);
      expect(changes(s.events)).toEqual([{ id: 'tx-2', effects: ['subscription_renewed'] }]);
      expect(transactionsRecorded(s.events)[0].purchase_id).toBe(before.profile.chains.get('tx-1')!.purchase_id);
      expect(levelsAt(s.profile)).toMatchObject([{ access_level_id: 'premium', store_transaction_id: 'tx-2', expires_at: day(25), will_renew: true }]);
    });

    it('after a trial → trial_converted', () => {
      const lapsedTrial = appleTrial({ purchaseDate: at(-50), originalPurchaseDate: at(-50), expiresDate: at(-43) });
      const before = arrivedOneByOne([initialBuy(lapsedTrial), expiredVoluntarily(lapsedTrial)]);
      expect(changes(arrive(before, resubscribe).events)).toEqual([{ id: 'tx-2', effects: ['trial_converted'] }]);
    });
  });

  describe('DID_RENEW, DID_RENEW / BILLING_RECOVERY', () => {
    const first = appleTransaction({ purchaseDate: at(-40), originalPurchaseDate: at(-40), expiresDate: at(-10) });
    const second = appleTransaction({ transactionId: 'tx-2', purchaseDate: at(-10), originalPurchaseDate: at(-40), expiresDate: at(20) });

    it('DID_RENEW: a new transaction in the chain → subscription_renewed, access extended', () => {
      const s = arrive(arrivedOneByOne([initialBuy(first)]), didRenew(second));
      expect(changes(s.events)).toEqual([{ id: 'tx-2', effects: ['subscription_renewed'] }]);
      expect(tx(s, 'tx-2')).toEqual(subscription({ store_transaction_id: 'tx-2', originally_purchased_at: day(-40) }));
      expect(levelsAt(s.profile)).toMatchObject([{ store_transaction_id: 'tx-2', expires_at: day(20) }]);
      expect(s.profile.total_revenue_usd).toBe(19.98);
    });

    it('DID_RENEW after a trial → trial_converted', () => {
      const firstTrial = appleTrial({ purchaseDate: at(-17), originalPurchaseDate: at(-17), expiresDate: at(-10) });
      const paid = appleTransaction({ transactionId: 'tx-2', purchaseDate: at(-10), originalPurchaseDate: at(-17), expiresDate: at(20) });
      const s = arrive(arrivedOneByOne([initialBuy(firstTrial)]), didRenew(paid));
      expect(changes(s.events)).toEqual([{ id: 'tx-2', effects: ['trial_converted'] }]);
    });

    it('DID_RENEW/BILLING_RECOVERY: subscription_renewed; the new transaction has no billing issue, the old one keeps it as history', () => {
      const failed = appleNotification('DID_FAIL_TO_RENEW', null, at(-10 + HOUR), {
        transaction: first,
        renewal: appleRenewal({ isInBillingRetryPeriod: true }),
      });
      const recovered = appleTransaction({ transactionId: 'tx-2', purchaseDate: at(-3), originalPurchaseDate: at(-40), expiresDate: at(27) });
      const before = arrivedOneByOne([initialBuy(first), failed]);
      expect(tx(before).billing_issue_detected_at).not.toBeNull();
      const s = arrive(before, didRenew(recovered, 'BILLING_RECOVERY'));
      expect(changes(s.events)).toEqual([{ id: 'tx-2', effects: ['subscription_renewed'] }]);
      expect(tx(s, 'tx-2').billing_issue_detected_at).toBeNull();
      expect(tx(s, 'tx-1').billing_issue_detected_at).toBe(tx(before).billing_issue_detected_at);
      expect(levelsAt(s.profile)).toMatchObject([{ store_transaction_id: 'tx-2', billing_issue_detected_at: null, expires_at: day(27) }]);
    });
  });

  describe('DID_CHANGE_RENEWAL_STATUS / AUTO_RENEW_DISABLED · AUTO_RENEW_ENABLED', () => {
    it('AUTO_RENEW_DISABLED on a paid subscription → renew_status false, subscription_renewal_cancelled; access kept until expiresDate', () => {
      const s = arrive(arrivedOneByOne([initialBuy()]), renewalStatus('AUTO_RENEW_DISABLED', at(-2)));
      expect(changes(s.events)).toEqual([{ id: 'tx-1', effects: ['subscription_renewal_cancelled'] }]);
      expect(tx(s)).toEqual(subscription({ renew_status: false, renew_status_changed_at: day(-2) }));
      expect(levelsAt(s.profile)).toMatchObject([{ expires_at: day(20), will_renew: false, renewal_cancelled_at: day(-2) }]);
    });

    it('AUTO_RENEW_ENABLED after it → renew_status true, subscription_renewal_reactivated', () => {
      const s = arrive(arrivedOneByOne([initialBuy(), renewalStatus('AUTO_RENEW_DISABLED', at(-2))]), renewalStatus('AUTO_RENEW_ENABLED', at(-1)));
      expect(changes(s.events)).toEqual([{ id: 'tx-1', effects: ['subscription_renewal_reactivated'] }]);
      expect(tx(s)).toEqual(subscription({ renew_status: true, renew_status_changed_at: day(-1) }));
      expect(levelsAt(s.profile)).toMatchObject([{ will_renew: true, renewal_cancelled_at: null }]);
    });

    it('on a trial → trial_renewal_cancelled, then trial_renewal_reactivated', () => {
      const t = appleTrial({ purchaseDate: at(-2), originalPurchaseDate: at(-2), expiresDate: at(5) });
      const cancelled = arrive(arrivedOneByOne([initialBuy(t)]), renewalStatus('AUTO_RENEW_DISABLED', at(-1), t));
      expect(changes(cancelled.events)).toEqual([{ id: 'tx-1', effects: ['trial_renewal_cancelled'] }]);
      const reactivated = arrive(cancelled, renewalStatus('AUTO_RENEW_ENABLED', at(-0.5), t));
      expect(changes(reactivated.events)).toEqual([{ id: 'tx-1', effects: ['trial_renewal_reactivated'] }]);
      expect(tx(reactivated).renew_status_changed_at).toBe(day(-0.5));
    });
  });

  describe('DID_CHANGE_RENEWAL_PREF / UPGRADE', () => {
    const catalogue = catalogueWith({ monthly: 'premium', yearly: 'pro' }, ['pro']);
    const yearly = appleTransaction({ transactionId: 'tx-2', productId: 'yearly', purchaseDate: at(-2), originalPurchaseDate: at(-10), expiresDate: at(363), price: 99990 });
    const upgrade = (type = 'DID_CHANGE_RENEWAL_PREF') =>
      appleNotification(type, 'UPGRADE', at(-2), { transaction: yearly, renewal: appleRenewal({ productId: 'yearly', autoRenewProductId: 'yearly' }) });

    it('the old transaction is refunded (reason upgraded) → subscription_refunded; the new one → subscription_started; access follows the new product', () => {
      const s = arrive(arrivedOneByOne([initialBuy()], catalogue), upgrade(), catalogue);
      expect(history(s.events)).toEqual(['DID_CHANGE_RENEWAL_PREF/UPGRADE']);
      expect(changes(s.events)).toEqual([
        { id: 'tx-1', effects: ['subscription_refunded'] },
        { id: 'tx-2', effects: ['subscription_started'] },
      ]);
      expect(tx(s, 'tx-1')).toMatchObject({ refunded_at: day(-2), cancellation_reason: 'upgraded' });
      expect(transactionsRecorded(s.events).map((d) => [d.access_level_id, d.purchase_id])).toEqual([
        ['premium', 'id-1'],
        ['pro', 'id-1'],
      ]);
      expect(levelsAt(s.profile)).toMatchObject([{ access_level_id: 'pro', store_product_id: 'yearly', expires_at: day(363) }]);
      expect(s.profile.total_revenue_usd).toBe(99.99);
    });

    it('Apple marking the old transaction isUpgraded (with its revocationDate) says the same', () => {
      const old = appleTransaction({ isUpgraded: true, revocationDate: at(-2) });
      const [first] = appleLedgerTransactions([initialBuy(), upgrade(), appleNotification('DID_CHANGE_RENEWAL_PREF', 'UPGRADE', at(-2 + MINUTE), { transaction: old, id: 'old-upgraded' })]);
      expect(first.transaction).toMatchObject({ store_transaction_id: 'tx-1', refunded_at: day(-2), cancellation_reason: 'upgraded' });
    });

    it('OFFER_REDEEMED/UPGRADE is an upgrade with the offer recorded', () => {
      const withOffer = { ...yearly, offerType: 2, offerIdentifier: 'upgrade-20', offerDiscountType: 'PAY_UP_FRONT', price: 79990 };
      const n = appleNotification('OFFER_REDEEMED', 'UPGRADE', at(-2), { transaction: withOffer, renewal: appleRenewal({ autoRenewProductId: 'yearly' }) });
      const s = arrive(arrivedOneByOne([initialBuy()], catalogue), n, catalogue);
      expect(changes(s.events)).toEqual([
        { id: 'tx-1', effects: ['subscription_refunded'] },
        { id: 'tx-2', effects: ['subscription_started'] },
      ]);
      expect(tx(s, 'tx-2').offer).toEqual({ category: 'promotional', type: 'pay_up_front', id: 'upgrade-20' });
    });
  });

  describe('DID_CHANGE_RENEWAL_PREF / DOWNGRADE · (no subtype)', () => {
    const catalogue = catalogueWith({ monthly: 'premium', basic: 'basic' }, ['basic']);
    const downgrade = appleNotification('DID_CHANGE_RENEWAL_PREF', 'DOWNGRADE', at(-2), {
      transaction: appleTransaction(),
      renewal: appleRenewal({ autoRenewProductId: 'basic' }),
    });
    const undone = appleNotification('DID_CHANGE_RENEWAL_PREF', null, at(-1), { transaction: appleTransaction(), renewal: appleRenewal() });

    it('DOWNGRADE: nothing changes now (history only, no TransactionRecorded, no webhook)', () => {
      const before = arrivedOneByOne([initialBuy()], catalogue);
      const s = arrive(before, downgrade, catalogue);
      expect(history(s.events)).toEqual(['DID_CHANGE_RENEWAL_PREF/DOWNGRADE']);
      expect(changes(s.events)).toEqual([]);
      expect(webhookTypes(before.profile, s.events)).toEqual([]);
      expect(levelsAt(s.profile)).toEqual(levelsAt(before.profile));
    });

    it('(no subtype): the pending downgrade is undone: history only', () => {
      const s = arrive(arrivedOneByOne([initialBuy(), downgrade], catalogue), undone, catalogue);
      expect(history(s.events)).toEqual(['DID_CHANGE_RENEWAL_PREF']);
      expect(changes(s.events)).toEqual([]);
    });

    it('the downgrade takes effect at the next renewal: subscription_renewed into the new product, access follows it', () => {
      const basic = appleTransaction({ transactionId: 'tx-2', productId: 'basic', purchaseDate: at(20), originalPurchaseDate: at(-10), expiresDate: at(50), price: 4990 });
      const s = arrive(arrivedOneByOne([initialBuy(), downgrade], catalogue), didRenew(basic), catalogue, new Date(day(20.5)));
      expect(changes(s.events)).toEqual([{ id: 'tx-2', effects: ['subscription_renewed'] }]);
      expect(levelIds(s.profile, day(21))).toEqual(['basic']);
    });
  });

  describe('OFFER_REDEEMED / (any subtype): as SUBSCRIBED with the offer recorded', () => {
    it('OFFER_REDEEMED/INITIAL_BUY with a promotional offer → subscription_started, offer category/type/id kept', () => {
      const t = appleTransaction({ offerType: 2, offerIdentifier: 'spring-50', offerDiscountType: 'PAY_AS_YOU_GO', price: 4990 });
      const s = arrivedOneByOne([appleNotification('OFFER_REDEEMED', 'INITIAL_BUY', at(-10), { transaction: t, renewal: appleRenewal() })]);
      expect(changes(s.events)).toEqual([{ id: 'tx-1', effects: ['subscription_started'] }]);
      expect(tx(s)).toEqual(subscription({ offer: { category: 'promotional', type: 'pay_as_you_go', id: 'spring-50' }, price: { country: 'US', currency: 'USD', value: 4.99 } }));
    });

    it('OFFER_REDEEMED/INITIAL_BUY with an offer code that is a free trial → trial_started', () => {
      const t = appleTrial({ offerType: 3, offerIdentifier: 'FREEMONTH', purchaseDate: at(-1), originalPurchaseDate: at(-1), expiresDate: at(29) });
      const s = arrivedOneByOne([appleNotification('OFFER_REDEEMED', 'INITIAL_BUY', at(-1), { transaction: t, renewal: appleRenewal() })]);
      expect(changes(s.events)).toEqual([{ id: 'tx-1', effects: ['trial_started'] }]);
      expect(tx(s).offer).toEqual({ category: 'offer_code', type: 'free_trial', id: 'FREEMONTH' });
    });

    it('OFFER_REDEEMED/RESUBSCRIBE with a win-back offer → subscription_renewed, offer win_back', () => {
      const lapsed = appleTransaction({ purchaseDate: at(-70), originalPurchaseDate: at(-70), expiresDate: at(-40) });
      const back = appleTransaction({ transactionId: 'tx-2', purchaseDate: at(-5), originalPurchaseDate: at(-70), expiresDate: at(25), offerType: 4, offerIdentifier: 'come-back', offerDiscountType: 'PAY_UP_FRONT', price: 1990 });
      const s = arrive(arrivedOneByOne([initialBuy(lapsed)]), appleNotification('OFFER_REDEEMED', 'RESUBSCRIBE', at(-5), { transaction: back, renewal: appleRenewal() }));
      expect(changes(s.events)).toEqual([{ id: 'tx-2', effects: ['subscription_renewed'] }]);
      expect(tx(s, 'tx-2').offer).toEqual({ category: 'win_back', type: 'pay_up_front', id: 'come-back' });
    });
  });

  describe('DID_FAIL_TO_RENEW', () => {
    const lastPeriod = appleTransaction({ purchaseDate: at(-31), originalPurchaseDate: at(-31), expiresDate: at(-1) });
    const failedAt = at(-1 + HOUR);

    it('GRACE_PERIOD → billing_issue_detected + entered_grace_period; access kept until gracePeriodExpiresDate', () => {
      const failed = appleNotification('DID_FAIL_TO_RENEW', 'GRACE_PERIOD', failedAt, {
        transaction: lastPeriod,
        renewal: appleRenewal({ isInBillingRetryPeriod: true, gracePeriodExpiresDate: at(15) }),
      });
      const s = arrive(arrivedOneByOne([initialBuy(lastPeriod)]), failed);
      expect(changes(s.events)).toEqual([{ id: 'tx-1', effects: ['billing_issue_detected', 'entered_grace_period'] }]);
      expect(tx(s)).toMatchObject({ billing_issue_detected_at: new Date(failedAt).toISOString(), grace_period_expires_at: day(15), expires_at: day(-1) });
      const [level] = levelsAt(s.profile);
      expect(level).toMatchObject({ access_level_id: 'premium', expires_at: day(15) });
      expect(isInGracePeriodAt(level, NOW.getTime())).toBe(true);
      expect(levelIds(s.profile, day(15))).toEqual([]);
    });

    it('(no subtype) → billing_issue_detected only: no grace, the period already ended', () => {
      const failed = appleNotification('DID_FAIL_TO_RENEW', null, failedAt, { transaction: lastPeriod, renewal: appleRenewal({ isInBillingRetryPeriod: true }) });
      const s = arrive(arrivedOneByOne([initialBuy(lastPeriod)]), failed);
      expect(changes(s.events)).toEqual([{ id: 'tx-1', effects: ['billing_issue_detected'] }]);
      expect(tx(s).grace_period_expires_at).toBeNull();
      expect(levelsAt(s.profile)).toEqual([]);
    });
  });

  describe('GRACE_PERIOD_EXPIRED', () => {
    it('grace ends: access ends (history only: the transaction already said when); the expiry records billing_error', () => {
      const t = appleTransaction({ purchaseDate: at(-40), originalPurchaseDate: at(-40), expiresDate: at(-10) });
      const renewal = appleRenewal({ isInBillingRetryPeriod: true, gracePeriodExpiresDate: at(-1) });
      const failed = appleNotification('DID_FAIL_TO_RENEW', 'GRACE_PERIOD', at(-10 + HOUR), { transaction: t, renewal });
      const before = arrivedOneByOne([initialBuy(t), failed]);
      expect(levelIds(before.profile, day(-2))).toEqual(['premium']);
      const s = arrive(before, appleNotification('GRACE_PERIOD_EXPIRED', null, at(-1), { transaction: t, renewal }));
      expect(history(s.events)).toEqual(['GRACE_PERIOD_EXPIRED']);
      expect(changes(s.events)).toEqual([]);
      expect(levelsAt(s.profile)).toEqual([]);
      const expiry = eventsOf(recordExpiries(s.profile, context()));
      expect(expiry).toMatchObject([{ type: 'SourceExpired', data: { source: 'chain', id: 'tx-1', until: day(-1), cancellation_reason: 'billing_error', revoked: false } }]);
      expect(webhookTypes(s.profile, expiry)).toEqual(['subscription_expired', 'access_level_updated']);
    });
  });

  describe('the end of a period Apple notifies about: the expiry waits for Apple’s word (NOTIFIED_EXPIRY_WAIT_MS)', () => {
    const t = appleTransaction({ purchaseDate: at(-31), originalPurchaseDate: at(-31), expiresDate: at(-5 * MINUTE) });

    it('given a period that ended 5 minutes ago, when the scheduler looks, then nothing is recorded yet (access is gone all the same)', () => {
      const s = arrivedOneByOne([initialBuy(t)]);
      expect(levelsAt(s.profile)).toEqual([]);
      expect(eventsOf(recordExpiries(s.profile, context()))).toEqual([]);
      expect(nextExpiryAt(s.profile)).toBe(at(-5 * MINUTE) + NOTIFIED_EXPIRY_WAIT_MS);
      // An hour after the end, with nothing from Apple, the end is recorded at its own instant.
      const later = new Date(at(-5 * MINUTE) + NOTIFIED_EXPIRY_WAIT_MS);
      expect(eventsOf(recordExpiries(s.profile, context(later)))).toMatchObject([{ type: 'SourceExpired', data: { until: day(-5 * MINUTE) } }]);
    });

    it('given DID_FAIL_TO_RENEW / GRACE_PERIOD signed just after the end, then no expiry before the grace ends, and one at the grace end', () => {
      const failed = appleNotification('DID_FAIL_TO_RENEW', 'GRACE_PERIOD', at(-4 * MINUTE), { transaction: t, renewal: appleRenewal({ isInBillingRetryPeriod: true, gracePeriodExpiresDate: at(6) }) });
      const s = arrivedOneByOne([initialBuy(t), failed]);
      expect(levelIds(s.profile, NOW.toISOString())).toEqual(['premium']);
      expect(eventsOf(recordExpiries(s.profile, context(new Date(at(1)))))).toEqual([]);
      expect(eventsOf(recordExpiries(s.profile, context(new Date(at(6) + NOTIFIED_EXPIRY_WAIT_MS))))).toMatchObject([
        { type: 'SourceExpired', data: { until: day(6), cancellation_reason: 'billing_error' } },
      ]);
    });

    it('a chain recorded only by set-transaction (no notification) expires at its end, as before', () => {
      const state = given(...([{ type: 'TransactionRecorded', data: { transaction: subscription({ expires_at: day(-5 * MINUTE) }), access_level_id: 'premium', purchase_id: 'p', effects: [], recorded_at: day(-10) } }] as never[]));
      expect(eventsOf(recordExpiries(state, context()))).toHaveLength(1);
    });
  });

  describe('EXPIRED / VOLUNTARY · BILLING_RETRY · PRICE_INCREASE · PRODUCT_NOT_FOR_SALE', () => {
    const t = appleTransaction({ purchaseDate: at(-31), originalPurchaseDate: at(-31), expiresDate: at(-1) });
    const cases: [string, number, AppleNotification[], number, string][] = [
      ['VOLUNTARY', 1, [renewalStatus('AUTO_RENEW_DISABLED', at(-20), t)], 0, 'voluntarily_cancelled'],
      ['BILLING_RETRY', 2, [appleNotification('DID_FAIL_TO_RENEW', null, at(-1 + HOUR), { transaction: t, renewal: appleRenewal({ isInBillingRetryPeriod: true }) })], 1, 'billing_error'],
      ['PRICE_INCREASE', 3, [appleNotification('PRICE_INCREASE', 'PENDING', at(-20), { transaction: t, renewal: appleRenewal({ priceIncreaseStatus: 0 }) })], 1, 'price_increase'],
      ['PRODUCT_NOT_FOR_SALE', 4, [], 1, 'product_was_not_available'],
    ];

    it.each(cases)('EXPIRED/%s: cancellation_reason on the transaction, no webhook effect now; the expiry scheduler records it with that reason', (subtype, intent, earlier, autoRenew, reason) => {
      const expired = appleNotification('EXPIRED', subtype, at(-1 + 2 * HOUR), {
        transaction: t,
        renewal: appleRenewal({ autoRenewStatus: autoRenew, expirationIntent: intent }),
      });
      const s = arrive(arrivedOneByOne([initialBuy(t), ...earlier]), expired);
      expect(history(s.events)).toEqual([`EXPIRED/${subtype}`]);
      expect(changes(s.events)).toEqual([{ id: 'tx-1', effects: [] }]);
      expect(tx(s).cancellation_reason).toBe(reason);
      const expiry = eventsOf(recordExpiries(s.profile, context()));
      expect(expiry).toEqual([
        {
          type: 'SourceExpired',
          data: {
            source: 'chain',
            id: 'tx-1',
            until: day(-1),
            access_level_id: 'premium',
            store_transaction_id: 'tx-1',
            is_trial: false,
            revoked: false,
            cancellation_reason: reason,
            recorded_at: NOW.toISOString(),
          },
        },
      ]);
      expect(webhookTypes(s.profile, expiry)).toEqual(['subscription_expired', 'access_level_updated']);
    });

    it('EXPIRED/VOLUNTARY on a trial → its expiry is trial_expired', () => {
      const tr = appleTrial({ purchaseDate: at(-8), originalPurchaseDate: at(-8), expiresDate: at(-1) });
      const s = arrivedOneByOne([
        initialBuy(tr),
        renewalStatus('AUTO_RENEW_DISABLED', at(-5), tr),
        appleNotification('EXPIRED', 'VOLUNTARY', at(-1 + MINUTE), { transaction: tr, renewal: appleRenewal({ autoRenewStatus: 0, expirationIntent: 1 }) }),
      ]);
      const expiry = eventsOf(recordExpiries(s.profile, context()));
      expect(expiry).toMatchObject([{ data: { is_trial: true, cancellation_reason: 'voluntarily_cancelled' } }]);
      expect(webhookTypes(s.profile, expiry)).toEqual(['trial_expired', 'access_level_updated']);
    });
  });

  describe('REFUND', () => {
    it('subscription: refunded_at = revocationDate, reason refund → subscription_refunded; access and revenue end', () => {
      const refund = appleNotification('REFUND', null, at(-1), { transaction: appleTransaction({ revocationDate: at(-1), revocationReason: 0 }), renewal: appleRenewal() });
      const before = arrivedOneByOne([initialBuy()]);
      const s = arrive(before, refund);
      expect(changes(s.events)).toEqual([{ id: 'tx-1', effects: ['subscription_refunded'] }]);
      expect(tx(s)).toEqual(subscription({ refunded_at: day(-1), cancellation_reason: 'refund' }));
      expect(levelsAt(s.profile)).toEqual([]);
      expect(s.profile.total_revenue_usd).toBe(0);
      expect(webhookTypes(before.profile, s.events)).toEqual(['subscription_refunded', 'access_level_updated']);
      expect(recordExpiries(s.profile, context())).toEqual([]);
    });

    it('one-time purchase → non_subscription_purchase_refunded; its lifetime access ends', () => {
      const charge = appleNotification('ONE_TIME_CHARGE', null, at(-5), { transaction: appleOneTime() });
      const refund = appleNotification('REFUND', null, at(-1), { transaction: appleOneTime({ revocationDate: at(-1), revocationReason: 1 }) });
      const s = arrive(arrivedOneByOne([charge]), refund);
      expect(changes(s.events)).toEqual([{ id: 'otp-1', effects: ['non_subscription_purchase_refunded'] }]);
      expect(levelsAt(s.profile)).toEqual([]);
      expect(s.profile.total_revenue_usd).toBe(0);
    });

    it('one-time purchase restored under another transactionId: one ledger transaction, the newest signed word (the refund) wins', () => {
      const charge = appleNotification('ONE_TIME_CHARGE', null, at(-5), { transaction: appleOneTime() });
      const aboutRestore = appleNotification('CONSUMPTION_REQUEST', null, at(-2), { transaction: appleOneTime({ transactionId: 'otp-restored', purchaseDate: at(-3) }) });
      const refund = appleNotification('REFUND', null, at(-1), { transaction: appleOneTime({ revocationDate: at(-1) }) });
      expect(appleLedgerTransactions([charge, aboutRestore, refund]).map((d) => [d.transaction.store_transaction_id, d.transaction.refunded_at])).toEqual([['otp-1', day(-1)]]);
      const s = arrivedOneByOne([charge, aboutRestore, refund]);
      expect(changes(s.events).pop()).toEqual({ id: 'otp-1', effects: ['non_subscription_purchase_refunded'] });
      expect(levelsAt(s.profile)).toEqual([]);
    });

    it('a refund of an older transaction of the chain: its revenue only, access kept', () => {
      const first = appleTransaction({ purchaseDate: at(-40), originalPurchaseDate: at(-40), expiresDate: at(-10) });
      const second = appleTransaction({ transactionId: 'tx-2', purchaseDate: at(-10), originalPurchaseDate: at(-40), expiresDate: at(20) });
      const refund = appleNotification('REFUND', null, at(-1), { transaction: { ...first, revocationDate: at(-1) } });
      const s = arrive(arrivedOneByOne([initialBuy(first), didRenew(second)]), refund);
      expect(changes(s.events)).toEqual([{ id: 'tx-1', effects: ['subscription_refunded'] }]);
      expect(levelsAt(s.profile)).toMatchObject([{ store_transaction_id: 'tx-2', expires_at: day(20) }]);
      expect(s.profile.total_revenue_usd).toBe(9.99);
    });
  });

  describe('REFUND_REVERSED · REFUND_DECLINED', () => {
    const refunded = () =>
      arrivedOneByOne([initialBuy(), appleNotification('REFUND', null, at(-2), { transaction: appleTransaction({ revocationDate: at(-2) }), renewal: appleRenewal() })]);

    it('REFUND_REVERSED: the refund is undone (no refund effect); access and revenue back while in period', () => {
      const before = refunded();
      const s = arrive(before, appleNotification('REFUND_REVERSED', null, at(-1), { transaction: appleTransaction(), renewal: appleRenewal() }));
      expect(changes(s.events)).toEqual([{ id: 'tx-1', effects: [] }]);
      expect(tx(s)).toEqual(subscription());
      expect(levelsAt(s.profile)).toMatchObject([{ access_level_id: 'premium', expires_at: day(20) }]);
      expect(s.profile.total_revenue_usd).toBe(9.99);
      expect(webhookTypes(before.profile, s.events)).toEqual(['access_level_updated']);
    });

    it('REFUND_DECLINED: nothing (history only)', () => {
      const before = arrivedOneByOne([initialBuy()]);
      const s = arrive(before, appleNotification('REFUND_DECLINED', null, at(-1), { transaction: appleTransaction(), renewal: appleRenewal() }));
      expect(history(s.events)).toEqual(['REFUND_DECLINED']);
      expect(changes(s.events)).toEqual([]);
      expect(webhookTypes(before.profile, s.events)).toEqual([]);
    });
  });

  describe('REVOKE', () => {
    it('a Family Sharing recipient loses access: access ends, no *_refunded effect (access_level_updated only)', () => {
      const shared = appleTransaction({ inAppOwnershipType: 'FAMILY_SHARED' });
      const before = arrivedOneByOne([initialBuy(shared)]);
      expect(tx(before)).toMatchObject({ is_family_shared: true, price: { value: 0 } });
      const s = arrive(before, appleNotification('REVOKE', null, at(-1), { transaction: { ...shared, revocationDate: at(-1) }, renewal: appleRenewal() }));
      expect(changes(s.events)).toEqual([{ id: 'tx-1', effects: [] }]);
      expect(levelsAt(s.profile)).toEqual([]);
      expect(webhookTypes(before.profile, s.events)).toEqual(['access_level_updated']);
    });
  });

  describe('RENEWAL_EXTENDED · RENEWAL_EXTENSION', () => {
    it('RENEWAL_EXTENDED: expires_at moves to the new expiresDate, no effects (access_level_updated only)', () => {
      const before = arrivedOneByOne([initialBuy()]);
      const s = arrive(before, appleNotification('RENEWAL_EXTENDED', null, at(-1), { transaction: appleTransaction({ expiresDate: at(27) }), renewal: appleRenewal() }));
      expect(changes(s.events)).toEqual([{ id: 'tx-1', effects: [] }]);
      expect(tx(s)).toEqual(subscription({ expires_at: day(27) }));
      expect(levelsAt(s.profile)).toMatchObject([{ expires_at: day(27) }]);
      expect(webhookTypes(before.profile, s.events)).toEqual(['access_level_updated']);
    });

    it('RENEWAL_EXTENSION/FAILURE about the chain: history only', () => {
      const s = arrive(arrivedOneByOne([initialBuy()]), appleNotification('RENEWAL_EXTENSION', 'FAILURE', at(-1), { transaction: appleTransaction(), renewal: appleRenewal() }));
      expect(history(s.events)).toEqual(['RENEWAL_EXTENSION/FAILURE']);
      expect(changes(s.events)).toEqual([]);
    });

    it('RENEWAL_EXTENSION/SUMMARY (about no transaction): kept with the app, no profile change', () => {
      const summary = appleNotification('RENEWAL_EXTENSION', 'SUMMARY', at(-1));
      expect(recordAppNotification(initialAppStoreSetup(), { notification: summary, summary: { succeededCount: 10 }, signedPayload: 'sig' }, NOW)).toEqual([
        { type: 'AppStoreAppNotificationReceived', data: { notification: summary, summary: { succeededCount: 10 }, signed_payload: 'sig', received_at: NOW.toISOString() } },
      ]);
    });
  });

  describe('ONE_TIME_CHARGE', () => {
    it('one_time_purchase → non_subscription_purchase; a mapped product unlocks its level for life', () => {
      const s = arrivedOneByOne([appleNotification('ONE_TIME_CHARGE', null, at(-5), { transaction: appleOneTime() })]);
      expect(changes(s.events)).toEqual([{ id: 'otp-1', effects: ['non_subscription_purchase'] }]);
      expect(tx(s, 'otp-1')).toEqual(oneTime({ originally_purchased_at: day(-5) }));
      expect(levelsAt(s.profile)).toMatchObject([{ access_level_id: 'premium', kind: 'one_time_purchase', expires_at: null }]);
      expect(s.profile.total_revenue_usd).toBe(49.99);
    });

    it('a consumable is one too', () => {
      const s = arrivedOneByOne([appleNotification('ONE_TIME_CHARGE', null, at(-5), { transaction: appleOneTime({ type: 'Consumable', productId: 'coins' }) })]);
      expect(changes(s.events)).toEqual([{ id: 'otp-1', effects: ['non_subscription_purchase'] }]);
      expect(tx(s, 'otp-1').purchase_type).toBe('one_time_purchase');
    });
  });

  describe('TEST, CONSUMPTION_REQUEST, PRICE_INCREASE, METADATA_UPDATE, …: recorded in the history, no access change', () => {
    it('TEST: kept with the app; the setup shows the last test notification; a repeat records nothing', () => {
      const test = appleNotification('TEST', null, at(-1));
      const events = recordAppNotification(initialAppStoreSetup(), { notification: test, summary: null, signedPayload: 'sig' }, NOW);
      const state = events.reduce(evolveAppStoreSetup, initialAppStoreSetup());
      expect(state.last_test_notification_at).toBe(day(-1));
      expect(recordAppNotification(state, { notification: test, summary: null, signedPayload: 'sig' }, NOW)).toEqual([]);
      const older = appleNotification('TEST', null, at(-3));
      const later = recordAppNotification(state, { notification: older, summary: null, signedPayload: 'sig' }, NOW).reduce(evolveAppStoreSetup, state);
      expect(later.last_test_notification_at).toBe(day(-1));
    });

    it.each([
      ['CONSUMPTION_REQUEST', null, {}],
      ['PRICE_INCREASE', 'PENDING', { priceIncreaseStatus: 0 }],
      ['PRICE_INCREASE', 'ACCEPTED', { priceIncreaseStatus: 1 }],
      ['METADATA_UPDATE', null, {}],
      ['MIGRATION', null, {}],
      ['PRICE_CHANGE', null, {}],
      ['RESCIND_CONSENT', null, {}],
    ] as const)('%s/%s: history only, no TransactionRecorded', (type, subtype, renewalFields) => {
      const before = arrivedOneByOne([initialBuy()]);
      const s = arrive(before, appleNotification(type, subtype, at(-1), { transaction: appleTransaction(), renewal: appleRenewal(renewalFields) }));
      expect(history(s.events)).toEqual([subtype === null ? type : `${type}/${subtype}`]);
      expect(changes(s.events)).toEqual([]);
      expect(levelsAt(s.profile)).toEqual(levelsAt(before.profile));
    });
  });
});

describe('order, duplicates and late notifications', () => {
  // A trial that converts, stops and restarts renewing, fails to renew into grace, recovers, gets its
  // middle period refunded and its last one extended; with no-op notifications in between.
  const t1 = appleTrial({ purchaseDate: at(-40), originalPurchaseDate: at(-40), expiresDate: at(-33) });
  const t2 = appleTransaction({ transactionId: 'tx-2', purchaseDate: at(-33), originalPurchaseDate: at(-40), expiresDate: at(-3) });
  const t3 = appleTransaction({ transactionId: 'tx-3', purchaseDate: at(-1), originalPurchaseDate: at(-40), expiresDate: at(29) });
  const STORY: AppleNotification[] = [
    initialBuy(t1),
    didRenew(t2),
    renewalStatus('AUTO_RENEW_DISABLED', at(-20), t2),
    renewalStatus('AUTO_RENEW_ENABLED', at(-15), t2),
    appleNotification('PRICE_INCREASE', 'PENDING', at(-12), { transaction: t2, renewal: appleRenewal({ priceIncreaseStatus: 0 }) }),
    appleNotification('DID_FAIL_TO_RENEW', 'GRACE_PERIOD', at(-3 + HOUR), { transaction: t2, renewal: appleRenewal({ isInBillingRetryPeriod: true, gracePeriodExpiresDate: at(3) }) }),
    didRenew(t3, 'BILLING_RECOVERY'),
    appleNotification('REFUND', null, at(-0.5), { transaction: { ...t2, revocationDate: at(-0.5) }, renewal: appleRenewal() }),
    appleNotification('RENEWAL_EXTENDED', null, at(-0.25), { transaction: { ...t3, expiresDate: at(36) }, renewal: appleRenewal() }),
  ];

  /** What a profile says about the chain, whatever order built it. */
  const snapshot = (p: ProfileState) => ({
    transactions: [...p.transactions.entries()].sort(([a], [b]) => (a < b ? -1 : 1)),
    chains: [...p.chains.values()].map((c) => ({ current: c.current, access_level_id: c.access_level_id, first: c.first_purchased_at, purchase_id: c.purchase_id })),
    revenue: p.total_revenue_usd,
    notifications: [...p.store_notifications.keys()].sort(),
    levels: levelsAt(p),
  });

  it('the story in signed order: each notification makes the expected change', () => {
    const s = arrivedOneByOne(STORY);
    expect(changes(s.events)).toEqual([
      { id: 'tx-1', effects: ['trial_started'] },
      { id: 'tx-2', effects: ['trial_converted'] },
      { id: 'tx-2', effects: ['subscription_renewal_cancelled'] },
      { id: 'tx-2', effects: ['subscription_renewal_reactivated'] },
      { id: 'tx-2', effects: ['billing_issue_detected', 'entered_grace_period'] },
      { id: 'tx-3', effects: ['subscription_renewed'] },
      { id: 'tx-2', effects: ['subscription_refunded'] },
      { id: 'tx-3', effects: [] },
    ]);
    expect(levelsAt(s.profile)).toMatchObject([{ store_transaction_id: 'tx-3', expires_at: day(36), billing_issue_detected_at: null, will_renew: true }]);
    expect(s.profile.total_revenue_usd).toBe(9.99);
  });

  it('any subset, in any arrival order, synced one at a time, ends in the same profile as that subset in signed order', () => {
    const inOrder = (ns: AppleNotification[]) => ns.slice().sort((a, b) => a.signed_date - b.signed_date);
    fc.assert(
      fc.property(fc.shuffledSubarray(STORY, { minLength: 1 }), (arrival) => {
        expect(snapshot(arrivedOneByOne(arrival).profile)).toEqual(snapshot(arrivedOneByOne(inOrder(arrival)).profile));
      }),
      { numRuns: 200 },
    );
  });

  it('the whole story in any order ends the same (permutations)', () => {
    const expected = snapshot(arrivedOneByOne(STORY).profile);
    fc.assert(
      fc.property(fc.shuffledSubarray(STORY, { minLength: STORY.length, maxLength: STORY.length }), (arrival) => {
        expect(snapshot(arrivedOneByOne(arrival).profile)).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });

  it('an upgrade story (renew, upgrade, downgrade pending, cancel, refund, refund reversed) in any order ends the same', () => {
    const catalogue = catalogueWith({ monthly: 'premium', yearly: 'pro' }, ['pro']);
    const m1 = appleTransaction({ purchaseDate: at(-40), originalPurchaseDate: at(-40), expiresDate: at(-10) });
    const m2 = appleTransaction({ transactionId: 'tx-2', purchaseDate: at(-10), originalPurchaseDate: at(-40), expiresDate: at(20) });
    const y3 = appleTransaction({ transactionId: 'tx-3', productId: 'yearly', purchaseDate: at(-5), originalPurchaseDate: at(-40), expiresDate: at(360), price: 99990 });
    const yearlyRenewal = (o = {}) => appleRenewal({ productId: 'yearly', autoRenewProductId: 'yearly', ...o });
    const story = [
      initialBuy(m1),
      didRenew(m2),
      appleNotification('DID_CHANGE_RENEWAL_PREF', 'UPGRADE', at(-5), { transaction: y3, renewal: yearlyRenewal() }),
      appleNotification('DID_CHANGE_RENEWAL_PREF', 'DOWNGRADE', at(-4), { transaction: y3, renewal: yearlyRenewal({ autoRenewProductId: 'monthly' }) }),
      appleNotification('DID_CHANGE_RENEWAL_STATUS', 'AUTO_RENEW_DISABLED', at(-3), { transaction: y3, renewal: yearlyRenewal({ autoRenewStatus: 0 }) }),
      appleNotification('REFUND', null, at(-2), { transaction: { ...y3, revocationDate: at(-2) }, renewal: yearlyRenewal({ autoRenewStatus: 0 }) }),
      appleNotification('REFUND_REVERSED', null, at(-1), { transaction: y3, renewal: yearlyRenewal({ autoRenewStatus: 0 }) }),
    ];
    const inOrder = arrivedOneByOne(story, catalogue);
    expect(changes(inOrder.events)).toEqual([
      { id: 'tx-1', effects: ['subscription_started'] },
      { id: 'tx-2', effects: ['subscription_renewed'] },
      { id: 'tx-2', effects: ['subscription_refunded'] },
      { id: 'tx-3', effects: ['subscription_started'] },
      { id: 'tx-3', effects: ['subscription_renewal_cancelled'] },
      { id: 'tx-3', effects: ['subscription_refunded'] },
      { id: 'tx-3', effects: [] },
    ]);
    expect(levelsAt(inOrder.profile)).toMatchObject([{ access_level_id: 'pro', store_transaction_id: 'tx-3', will_renew: false }]);
    const expected = snapshot(inOrder.profile);
    fc.assert(
      fc.property(fc.shuffledSubarray(story, { minLength: story.length, maxLength: story.length }), (arrival) => {
        expect(snapshot(arrivedOneByOne(arrival, catalogue).profile)).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });

  it('a late, older renewal-status notification goes into the history but never rolls renew_status back', () => {
    const enabledFirst = arrivedOneByOne([initialBuy(), renewalStatus('AUTO_RENEW_ENABLED', at(-1))]);
    const s = arrive(enabledFirst, renewalStatus('AUTO_RENEW_DISABLED', at(-2)));
    expect(history(s.events)).toEqual(['DID_CHANGE_RENEWAL_STATUS/AUTO_RENEW_DISABLED']);
    expect(changes(s.events)).toEqual([{ id: 'tx-1', effects: [] }]);
    expect(tx(s)).toMatchObject({ renew_status: true, renew_status_changed_at: day(-1) });
    expect(levelsAt(s.profile)).toMatchObject([{ will_renew: true }]);
  });

  it('a late, older renewal is history (the event it would have had) and never rolls access back', () => {
    const first = appleTransaction({ purchaseDate: at(-70), originalPurchaseDate: at(-70), expiresDate: at(-40) });
    const second = appleTransaction({ transactionId: 'tx-2', purchaseDate: at(-40), originalPurchaseDate: at(-70), expiresDate: at(-10) });
    const third = appleTransaction({ transactionId: 'tx-3', purchaseDate: at(-10), originalPurchaseDate: at(-70), expiresDate: at(20) });
    const before = arrivedOneByOne([initialBuy(first), didRenew(third)]);
    const s = arrive(before, didRenew(second));
    expect(changes(s.events)).toEqual([{ id: 'tx-2', effects: ['subscription_renewed'] }]);
    expect(s.profile.chains.get('tx-1')!.current.store_transaction_id).toBe('tx-3');
    expect(levelsAt(s.profile)).toEqual(levelsAt(before.profile));
  });

  it('a late, older transaction info (signed before the one the profile has) changes nothing', () => {
    const before = arrivedOneByOne([initialBuy(), appleNotification('RENEWAL_EXTENDED', null, at(-1), { transaction: appleTransaction({ expiresDate: at(27) }), renewal: appleRenewal() })]);
    const stale = appleNotification('CONSUMPTION_REQUEST', null, at(-5), { transaction: appleTransaction(), renewal: appleRenewal() });
    const s = arrive(before, stale);
    expect(changes(s.events)).toEqual([]);
    expect(tx(s).expires_at).toBe(day(27));
  });

  it('a duplicate (same notificationUUID) changes nothing: the chain records nothing, the profile syncs nothing', () => {
    const buy = initialBuy();
    const s = arrivedOneByOne([buy]);
    expect(receiveNotification(s.chain, { appId: APP_ID, notification: buy, signedPayload: 'again', tokenOwner: null }, NOW)).toEqual([]);
    expect(syncAppStoreChain(s.profile, s.chain, CATALOGUE, context(), buy.notification_uuid)).toEqual([]);
    expect(arrive(s, buy).events).toEqual([]);
  });

  it('notifications that waited for an owner are recorded via claim, in signed order, each followed by its changes', () => {
    const chain = ownedChain([renewalStatus('AUTO_RENEW_DISABLED', at(-2)), initialBuy()]);
    const events = eventsOf(syncAppStoreChain(given(), chain, CATALOGUE, context()));
    expect(events.map((e) => (e.type === 'StoreNotificationRecorded' ? `${e.data.notification_type}:${e.data.via}` : e.type))).toEqual([
      'SUBSCRIBED:claim',
      'TransactionRecorded',
      'DID_CHANGE_RENEWAL_STATUS:claim',
      'TransactionRecorded',
    ]);
    expect(changes(events)).toEqual([
      { id: 'tx-1', effects: ['subscription_started'] },
      { id: 'tx-1', effects: ['subscription_renewal_cancelled'] },
    ]);
  });

  it('a profile that does not exist syncs nothing', () => {
    expect(syncAppStoreChain(given({ type: 'ProfileDeleted', data: { profile_id: PROFILE_ID, app_id: APP_ID, deleted_at: day(-1) } }), ownedChain([initialBuy()]), CATALOGUE, context())).toEqual([]);
  });
});

describe('ownership: claims, transfers and release', () => {
  const buy = initialBuy();
  const cancel = renewalStatus('AUTO_RENEW_DISABLED', at(-2));

  it('a transferred chain arrives quietly on its new owner: history via transfer, transactions with no effects, access follows', () => {
    const chain = chainOf(claimed('tx-1', OTHER_PROFILE), received(buy), received(cancel), claimed('tx-1', PROFILE_ID, OTHER_PROFILE, 'transfer'));
    expect(chain).toMatchObject({ owner: PROFILE_ID, former_owners: [OTHER_PROFILE], transferred: true });
    const before = given();
    const events = eventsOf(syncAppStoreChain(before, chain, CATALOGUE, context()));
    expect(events.filter((e) => e.type === 'StoreNotificationRecorded').map((e) => e.data)).toMatchObject([{ via: 'transfer' }, { via: 'transfer' }]);
    expect(changes(events)).toEqual([{ id: 'tx-1', effects: [] }]);
    expect(webhookTypes(before, events)).toEqual(['access_level_updated']);
    const profile = after(before, events);
    expect(levelsAt(profile)).toMatchObject([{ access_level_id: 'premium', will_renew: false }]);
    // Later notifications about the chain are no longer quiet.
    const next = evolveAppStoreChain(chain, received(renewalStatus('AUTO_RENEW_ENABLED', at(-1))));
    expect(changes(eventsOf(syncAppStoreChain(profile, next, CATALOGUE, context(), 'DID_CHANGE_RENEWAL_STATUS.AUTO_RENEW_ENABLED.' + day(-1))))).toEqual([
      { id: 'tx-1', effects: ['subscription_renewal_reactivated'] },
    ]);
  });

  it('releaseAppStoreChain: the former owner lets the chain go: its transactions, revenue, history and access leave', () => {
    const other = appleOneTime();
    const mine = arrivedOneByOne([buy, cancel]);
    const withMore = arrivedOneByOne([appleNotification('ONE_TIME_CHARGE', null, at(-5), { transaction: other })], CATALOGUE, mine.profile);
    expect(withMore.profile.total_revenue_usd).toBe(59.98);
    const events = eventsOf(releaseAppStoreChain(withMore.profile, 'tx-1', OTHER_PROFILE, context()));
    expect(events).toEqual([{ type: 'StoreChainReleased', data: { store: 'app_store', original_transaction_id: 'tx-1', to_profile_id: OTHER_PROFILE, released_at: NOW.toISOString() } }]);
    const released = after(withMore.profile, events);
    expect([...released.transactions.keys()]).toEqual(['otp-1']);
    expect([...released.chains.keys()]).toEqual(['otp-1']);
    expect(released.total_revenue_usd).toBe(49.99);
    expect([...released.store_notifications.values()]).toEqual(['otp-1']);
    expect(levelsAt(released)).toMatchObject([{ store_transaction_id: 'otp-1' }]);
    expect(releaseAppStoreChain(released, 'tx-1', OTHER_PROFILE, context())).toEqual([]);
  });

  it('claimChain: another owner keeps the chain (store_transaction_owned) unless the claim is a transfer', () => {
    const owned = chainOf(claimed('tx-1', OTHER_PROFILE), received(buy));
    const input = { appId: APP_ID, originalTransactionId: 'tx-1', claim: { profileId: PROFILE_ID, via: 'link' as const }, transfer: false };
    expect(errorOf(claimChain(owned, input, NOW))).toMatchObject({ code: 'store_transaction_owned', source: 'original_transaction_id' });
    const moved = claimChain(owned, { ...input, claim: { profileId: PROFILE_ID, via: 'transfer' }, transfer: true }, NOW);
    expect(moved).toEqual([claimed('tx-1', PROFILE_ID, OTHER_PROFILE, 'transfer')]);
    expect(claimChain(owned, { ...input, claim: { profileId: OTHER_PROFILE, via: 'link' } }, NOW)).toEqual([]);
  });

  it('claimChain on an unowned chain: a plain claim, not a transfer', () => {
    const waiting = chainOf(received(buy));
    const events = claimChain(waiting, { appId: APP_ID, originalTransactionId: 'tx-1', claim: { profileId: PROFILE_ID, via: 'link' }, transfer: false }, NOW);
    expect(events).toEqual([claimed('tx-1', PROFILE_ID, null, 'link')]);
    expect(chainOf(received(buy), ...(events as ReturnType<typeof claimed>[]))).toMatchObject({ owner: PROFILE_ID, transferred: false, former_owners: [] });
  });

  it('claimIfUnowned: a set-transaction owns only a chain nobody owns', () => {
    const input = { appId: APP_ID, originalTransactionId: 'tx-1', profileId: PROFILE_ID };
    expect(claimIfUnowned(chainOf(received(buy)), input, NOW)).toEqual([claimed('tx-1', PROFILE_ID, null, 'transaction')]);
    expect(claimIfUnowned(chainOf(claimed('tx-1', OTHER_PROFILE)), input, NOW)).toEqual([]);
  });

  it('receiveNotification: a token the chain carried before does not undo a transfer that was asked for', () => {
    const withToken = { ...buy, transaction: { ...buy.transaction!, appAccountToken: PROFILE_ID } };
    const later = { ...withToken, notification_uuid: 'later', signed_date: withToken.signed_date + 1000 };
    const moved = chainOf(received(withToken), claimed('tx-1', PROFILE_ID), claimed('tx-1', OTHER_PROFILE, PROFILE_ID, 'transfer'));
    const events = receiveNotification(moved, { appId: APP_ID, notification: later, signedPayload: 'sig', tokenOwner: PROFILE_ID }, NOW);
    expect(events.map((e) => e.type)).toEqual(['AppStoreNotificationReceived']);
  });

  it('receiveNotification: the appAccountToken owner claims the chain, from another profile too', () => {
    const owned = chainOf(claimed('tx-1', OTHER_PROFILE));
    const events = receiveNotification(owned, { appId: APP_ID, notification: buy, signedPayload: 'sig', tokenOwner: PROFILE_ID }, NOW);
    expect(events).toEqual([
      { type: 'AppStoreNotificationReceived', data: { app_id: APP_ID, original_transaction_id: 'tx-1', notification: buy, signed_payload: 'sig', received_at: NOW.toISOString() } },
      claimed('tx-1', PROFILE_ID, OTHER_PROFILE, 'app_account_token'),
    ]);
    // A purchase under another account's token is not a transfer someone asked for: its webhooks are not quieted.
    expect(chainOf(claimed('tx-1', OTHER_PROFILE), ...events)).toMatchObject({ owner: PROFILE_ID, former_owners: [OTHER_PROFILE], transferred: false });
    expect(receiveNotification(chainOf(received(buy)), { appId: APP_ID, notification: cancel, signedPayload: 'sig', tokenOwner: null }, NOW).map((e) => e.type)).toEqual([
      'AppStoreNotificationReceived',
    ]);
  });
});

describe('App Store setup', () => {
  const setup = { bundle_id: 'com.example.app', app_apple_id: 123456789, environments: ['Sandbox', 'Production'] as ('Production' | 'Sandbox')[] };

  it('Production without app_apple_id → validation_error on app_apple_id', () => {
    expect(errorOf(saveSetup(initialAppStoreSetup(), { ...setup, app_apple_id: null }, NOW))).toMatchObject({ code: 'validation_error', source: 'app_apple_id' });
  });

  it('Sandbox only needs no app_apple_id; saving the same setup again records nothing', () => {
    const events = saveSetup(initialAppStoreSetup(), { ...setup, app_apple_id: null, environments: ['Sandbox'] }, NOW);
    expect(events).toEqual([{ type: 'AppStoreSetupSaved', data: { bundle_id: 'com.example.app', app_apple_id: null, environments: ['Sandbox'], saved_at: NOW.toISOString() } }]);
    if (!Array.isArray(events)) throw new Error('expected events');
    const state = events.reduce(evolveAppStoreSetup, initialAppStoreSetup());
    expect(saveSetup(state, { ...setup, app_apple_id: null, environments: ['Sandbox'] }, NOW)).toEqual([]);
  });

  it('environments are kept in one order (Production, Sandbox); removing needs a setup', () => {
    const events = saveSetup(initialAppStoreSetup(), setup, NOW);
    expect(events).toMatchObject([{ data: { environments: ['Production', 'Sandbox'] } }]);
    expect(errorOf(removeSetup(initialAppStoreSetup(), NOW))).toMatchObject({ code: 'store_not_configured' });
  });

  it('a notification about a chain nobody owns is parked (once), and unparked when a profile claims it', () => {
    const buy = initialBuy();
    const parked = parkNotification(initialAppStoreSetup(), buy, NOW).reduce(evolveAppStoreSetup, initialAppStoreSetup());
    expect(parked.unattributed.get('tx-1')).toMatchObject({ product_id: 'monthly', notification_ids: [buy.notification_uuid], last_notification_type: 'SUBSCRIBED' });
    expect(parkNotification(parked, buy, NOW)).toEqual([]);
    const unparked = unparkChain(parked, 'tx-1', PROFILE_ID, NOW).reduce(evolveAppStoreSetup, parked);
    expect(unparked.unattributed.size).toBe(0);
    expect(unparkChain(unparked, 'tx-1', PROFILE_ID, NOW)).toEqual([]);
  });
});
