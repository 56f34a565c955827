import { playLedgerTransactions } from './play-mapping';
import { parsePush } from './play-notification';
import { PlayRecord, PlaySubscriptionV2 } from './play-record';

const DAY = 86_400_000;
const T0 = Date.parse('2026-03-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

const read = (id: string, type: number, at: number, s: Partial<PlaySubscriptionV2> & { order: string; expiry: number; renew?: boolean }): PlayRecord => {
  const { order, expiry, renew, ...rest } = s;
  return {
    id,
    event_time: at,
    notification_type: `T${type}`,
    notification: { packageName: 'p', eventTimeMillis: String(at), subscriptionNotification: { notificationType: type, purchaseToken: 'tok' } },
    product_id: 'premium.monthly',
    resource: {
      kind: 'subscriptionsv2',
      value: {
        startTime: iso(T0),
        subscriptionState: 'SUBSCRIPTION_STATE_ACTIVE',
        regionCode: 'DE',
        lineItems: [{ productId: 'premium.monthly', expiryTime: iso(expiry), latestSuccessfulOrderId: order, autoRenewingPlan: { autoRenewEnabled: renew ?? true, recurringPrice: { currencyCode: 'EUR', units: '4', nanos: 990_000_000 } }, offerDetails: { basePlanId: 'monthly' } }],
        ...rest,
      },
    },
  };
};

const map = (records: PlayRecord[], replacedAt: number | null = null) => playLedgerTransactions({ chainId: 'GPA.1', records, replacedAt }).map((d) => d.transaction);

describe('Google Play mapping (given records of a token, then its transactions)', () => {
  const buy = read('m1', 4, T0, { order: 'GPA.1', expiry: T0 + 30 * DAY });
  const renew = read('m2', 2, T0 + 30 * DAY + 5000, { order: 'GPA.1..0', expiry: T0 + 60 * DAY });
  const cancel = read('m3', 3, T0 + 40 * DAY, { order: 'GPA.1..0', expiry: T0 + 60 * DAY, renew: false, subscriptionState: 'SUBSCRIPTION_STATE_CANCELED' });

  it('one transaction per order: the first from startTime, a renewal from the end of the period before it', () => {
    expect(map([buy, renew])).toEqual([
      expect.objectContaining({ store_transaction_id: 'GPA.1', purchased_at: iso(T0), expires_at: iso(T0 + 30 * DAY), price: { country: 'DE', currency: 'EUR', value: 4.99 }, store_base_plan_id: 'monthly' }),
      expect.objectContaining({ store_transaction_id: 'GPA.1..0', purchased_at: iso(T0 + 30 * DAY), expires_at: iso(T0 + 60 * DAY), renew_status: true }),
    ]);
  });

  it('the same set of records in any arrival order gives the same transactions; a late, older read does not roll back', () => {
    const expected = map([buy, renew, cancel]);
    expect(map([cancel, buy, renew])).toEqual(expected);
    expect(map([renew, cancel, buy])).toEqual(expected);
    expect(expected[1]).toMatchObject({ renew_status: false, renew_status_changed_at: iso(T0 + 40 * DAY) });
  });

  it('a revocation refunds the order it names; a full voided purchase too, a partial one does not', () => {
    const revoked = read('m4', 12, T0 + 41 * DAY, { order: 'GPA.1..0', expiry: T0 + 41 * DAY, subscriptionState: 'SUBSCRIPTION_STATE_EXPIRED' });
    expect(map([buy, renew, revoked])[1]).toMatchObject({ refunded_at: iso(T0 + 41 * DAY), cancellation_reason: 'refund' });
    const voided = (refundType: number): PlayRecord => ({
      id: `v${refundType}`,
      event_time: T0 + DAY,
      notification_type: 'VOIDED_PURCHASE',
      notification: { packageName: 'p', eventTimeMillis: String(T0 + DAY), voidedPurchaseNotification: { purchaseToken: 'tok', orderId: 'GPA.1', productType: 1, refundType } },
      product_id: null,
      resource: null,
    });
    expect(map([buy, voided(1)])[0].refunded_at).toBe(iso(T0 + DAY));
    expect(map([buy, voided(2)])[0].refunded_at).toBeNull();
  });

  it('a grace period keeps access to its end; a hold ends the grace; a replacement ends the last order where the new token starts', () => {
    const grace = read('g', 6, T0 + 30 * DAY, { order: 'GPA.1', expiry: T0 + 37 * DAY, subscriptionState: 'SUBSCRIPTION_STATE_IN_GRACE_PERIOD' });
    expect(map([buy, grace])[0]).toMatchObject({ billing_issue_detected_at: iso(T0 + 30 * DAY), grace_period_expires_at: iso(T0 + 37 * DAY) });
    const hold = read('h', 5, T0 + 37 * DAY, { order: 'GPA.1', expiry: T0 + 30 * DAY, subscriptionState: 'SUBSCRIPTION_STATE_ON_HOLD' });
    expect(map([buy, grace, hold])[0]).toMatchObject({ expires_at: iso(T0 + 30 * DAY), grace_period_expires_at: iso(T0 + 37 * DAY), cancellation_reason: 'billing_error' });
    expect(map([buy], T0 + 10 * DAY)[0]).toMatchObject({ expires_at: iso(T0 + 10 * DAY), renew_status: false, cancellation_reason: 'new_subscription_replace' });
  });

  it('a free-trial phase is a trial at no price; a license tester’s purchase is Sandbox; a pending purchase grants nothing', () => {
    const trial = read('t', 4, T0, { order: 'GPA.1', expiry: T0 + 7 * DAY, testPurchase: {} });
    trial.resource!.value = { ...trial.resource!.value, lineItems: [{ ...(trial.resource!.value as PlaySubscriptionV2).lineItems![0], offerPhase: { freeTrial: {} }, offerDetails: { basePlanId: 'monthly', offerId: 'trial7' } }] } as PlaySubscriptionV2;
    expect(map([trial])[0]).toMatchObject({ environment: 'Sandbox', offer: { category: 'introductory', type: 'free_trial', id: 'trial7' }, price: { value: 0 } });
    expect(map([read('p', 4, T0, { order: 'GPA.1', expiry: T0 + DAY, subscriptionState: 'SUBSCRIPTION_STATE_PENDING' })])).toEqual([]);
  });
});

describe('Pub/Sub push parsing', () => {
  const push = (data: unknown, extra: object = {}) => ({ message: { data: Buffer.from(JSON.stringify(data)).toString('base64'), messageId: '42', ...extra } });

  it('takes either spelling of the message id and decodes the notification', () => {
    const n = { packageName: 'com.example.app', eventTimeMillis: '1', testNotification: { version: '1.0' } };
    expect(parsePush(push(n))).toMatchObject({ message_id: '42', notification: n });
    expect(parsePush({ message: { data: Buffer.from(JSON.stringify(n)).toString('base64'), message_id: '7' } })).toMatchObject({ message_id: '7' });
  });

  it('says what is wrong with anything else', () => {
    expect(parsePush({})).toMatch(/Pub\/Sub push/);
    expect(parsePush(push({ eventTimeMillis: '1' }))).toBe('packageName is missing');
    expect(parsePush(push({ packageName: 'p', eventTimeMillis: '1', subscriptionNotification: { notificationType: 4 } }))).toMatch(/purchaseToken/);
  });
});
