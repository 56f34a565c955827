import {
  createProfile,
  DAY,
  declareCatalogue,
  envelope,
  getProfile,
  GRANT,
  HOUR,
  MIN,
  oneTimeBody,
  SET,
  subscriptionBody,
  UUID,
  v2AccessLevel,
  v2Date,
  v2Subscription,
  wholeSecond,
} from './support/fixtures';
import { call, RunningLedger, startLedger, V2 } from './support/ledger-server';

/** Set transaction over real HTTP: access, history, revenue (contract §2.3, event-semantics.md). */
describe('set transaction', () => {
  let ledger: RunningLedger;

  const at = (offset: number) => wholeSecond(ledger.clock, offset);

  let seq = 0;
  const newUser = async () => {
    const id = `tx-user-${++seq}`;
    await createProfile(ledger.url, id);
    return id;
  };
  const get = (customerUserId: string) => getProfile(ledger.url, customerUserId);
  const send = (customerUserId: string, body: Record<string, unknown>) => call(ledger.url, { method: 'POST', path: SET, customerUserId, body });
  const ok = async (customerUserId: string, body: Record<string, unknown>) => {
    const r = await send(customerUserId, body);
    if (r.status !== 200) throw new Error(`set transaction answered ${r.status}: ${JSON.stringify(r.body)}`);
    return r.body.data;
  };

  const subscription = (o: Record<string, unknown> = {}) => subscriptionBody(ledger.clock, o);
  const oneTime = (o: Record<string, unknown> = {}) => oneTimeBody(ledger.clock, o);

  /** What the API echoes of a transaction in its access level and its subscriptions[] entry. */
  const echoed = (t: Record<string, unknown>) => ({
    store: t.store,
    store_product_id: t.store_product_id,
    store_transaction_id: t.store_transaction_id,
    store_original_transaction_id: t.store_original_transaction_id,
    environment: (t.environment as string) ?? 'Production',
    purchased_at: v2Date(t.purchased_at as string),
    originally_purchased_at: v2Date(t.originally_purchased_at as string),
  });
  /** The v2 access level a subscription transaction gives, as the API writes it. */
  const accessFrom = (t: Record<string, unknown>, o: Record<string, unknown> = {}) =>
    v2AccessLevel({ ...echoed(t), expires_at: t.expires_at === undefined ? null : v2Date(t.expires_at as string), ...o });
  /** The v2 subscriptions[] entry of a subscription transaction. */
  const subscriptionFrom = (t: Record<string, unknown>, o: Record<string, unknown> = {}) =>
    v2Subscription({ ...echoed(t), expires_at: v2Date(t.expires_at as string), ...o });

  beforeAll(async () => {
    ledger = await startLedger();
    await declareCatalogue(ledger.url, {
      levels: ['lifetime'],
      products: { 'premium.monthly': 'premium', 'premium.yearly': 'premium', 'lifetime.unlock': 'lifetime' },
    });
  });
  afterAll(() => ledger.close());

  it('a subscription of a mapped product unlocks its level until expires_at, with every field', async () => {
    const user = await newUser();
    const t = subscription();
    const data = await ok(user, t);
    expect(data.access_levels).toEqual([accessFrom(t)]);
    expect(data.subscriptions).toEqual([subscriptionFrom(t)]);
    expect(data.non_subscriptions).toEqual([]);
    expect(data.total_revenue_usd).toBe(9.99);
    expect(Object.keys(data.access_levels[0]).sort()).toEqual(
      [
        'access_level_id',
        'billing_issue_detected_at',
        'cancellation_reason',
        'environment',
        'expires_at',
        'is_in_grace_period',
        'offer',
        'originally_purchased_at',
        'purchased_at',
        'renewal_cancelled_at',
        'starts_at',
        'store',
        'store_base_plan_id',
        'store_original_transaction_id',
        'store_product_id',
        'store_transaction_id',
      ].sort(),
    );
    const { timestamp: _a, ...fromSet } = data;
    const { timestamp: _b, ...fromGet } = await get(user);
    expect(fromGet).toEqual(fromSet);
  });

  it('accepts other ISO 8601 forms and echoes them in UTC', async () => {
    const user = await newUser();
    const purchased = at(-DAY);
    const expires = at(10 * DAY);
    const withOffset = (iso: string) => {
      // The same instant written as +02:00 with microseconds.
      const d = new Date(Date.parse(iso) + 2 * HOUR).toISOString().slice(0, 19);
      return `${d}.000000+0200`;
    };
    const data = await ok(user, subscription({ purchased_at: withOffset(purchased), originally_purchased_at: purchased, expires_at: withOffset(expires) }));
    expect(data.access_levels[0].purchased_at).toBe(v2Date(purchased));
    expect(data.access_levels[0].expires_at).toBe(v2Date(expires));
  });

  it('echoes environment Sandbox', async () => {
    const user = await newUser();
    const t = subscription({ environment: 'Sandbox' });
    const data = await ok(user, t);
    expect(data.access_levels[0].environment).toBe('Sandbox');
    expect(data.subscriptions[0].environment).toBe('Sandbox');
  });

  it('an unmapped product is recorded (history, revenue) but gives no access', async () => {
    const user = await newUser();
    const t = subscription({ store_product_id: 'not.in.catalogue', price: { country: 'US', currency: 'USD', value: 4.5 } });
    const data = await ok(user, t);
    expect(data.access_levels).toEqual([]);
    expect(data.subscriptions).toEqual([subscriptionFrom(t)]);
    expect(data.total_revenue_usd).toBe(4.5);
  });

  it('a one-time purchase shows in non_subscriptions and unlocks its level for life; a refund takes both back', async () => {
    const user = await newUser();
    const t = oneTime();
    const data = await ok(user, t);
    expect(data.subscriptions).toEqual([]);
    expect(data.non_subscriptions).toEqual([
      {
        purchase_id: expect.stringMatching(UUID),
        store: 'play_store',
        store_product_id: 'lifetime.unlock',
        store_base_plan_id: null,
        store_transaction_id: 'otp-1',
        store_original_transaction_id: 'otp-1',
        purchased_at: v2Date(t.purchased_at as string),
        environment: 'Production',
        is_refund: false,
        is_consumable: false,
      },
    ]);
    expect(data.access_levels).toEqual([
      {
        access_level_id: 'lifetime',
        store: 'play_store',
        store_product_id: 'lifetime.unlock',
        store_base_plan_id: null,
        store_transaction_id: 'otp-1',
        store_original_transaction_id: 'otp-1',
        offer: null,
        environment: 'Production',
        starts_at: null,
        purchased_at: v2Date(t.purchased_at as string),
        originally_purchased_at: v2Date(t.purchased_at as string),
        expires_at: null,
        renewal_cancelled_at: null,
        billing_issue_detected_at: null,
        is_in_grace_period: false,
        cancellation_reason: null,
      },
    ]);
    expect(data.total_revenue_usd).toBe(49.5);
    const purchaseId = data.non_subscriptions[0].purchase_id;

    // Re-sending it unchanged changes nothing.
    const same = await ok(user, t);
    expect(same.non_subscriptions).toEqual(data.non_subscriptions);
    expect(same.total_revenue_usd).toBe(49.5);

    const refunded = await ok(user, { ...t, refunded_at: at(-MIN), cancellation_reason: 'refund' });
    expect(refunded.non_subscriptions).toEqual([{ ...data.non_subscriptions[0], purchase_id: purchaseId, is_refund: true }]);
    expect(refunded.access_levels).toEqual([]);
    expect(refunded.total_revenue_usd).toBe(0);
    expect((await get(user)).access_levels).toEqual([]);
  });

  it('an unmapped one-time purchase (consumable pack) is history and revenue only', async () => {
    const user = await newUser();
    const data = await ok(user, oneTime({ store_product_id: 'coins.100', store_transaction_id: 'c1', store_original_transaction_id: 'c1' }));
    expect(data.access_levels).toEqual([]);
    expect(data.non_subscriptions).toHaveLength(1);
    expect(data.non_subscriptions[0].store_product_id).toBe('coins.100');
    const second = await ok(user, oneTime({ store_product_id: 'coins.100', store_transaction_id: 'c2', store_original_transaction_id: 'c2' }));
    expect(second.non_subscriptions.map((n: { store_transaction_id: string }) => n.store_transaction_id).sort()).toEqual(['c1', 'c2']);
    expect(second.non_subscriptions[0].purchase_id).not.toBe(second.non_subscriptions[1].purchase_id);
    expect(second.total_revenue_usd).toBe(99);
  });

  it('re-sending the same store_transaction_id with renew_status false sets renewal_cancelled_at, keeps access, does not double revenue', async () => {
    const user = await newUser();
    const t = subscription();
    await ok(user, t);
    const cancelledAt = at(-HOUR);
    const cancelled = await ok(user, { ...t, renew_status: false, renew_status_changed_at: cancelledAt });
    expect(cancelled.total_revenue_usd).toBe(9.99);
    expect(cancelled.access_levels).toEqual([accessFrom(t, { renewal_cancelled_at: v2Date(cancelledAt) })]);
    expect(cancelled.subscriptions).toEqual([subscriptionFrom(t, { renewal_cancelled_at: v2Date(cancelledAt) })]);

    // Sent once more, unchanged: nothing changes.
    const again = await ok(user, { ...t, renew_status: false, renew_status_changed_at: cancelledAt });
    expect(again.total_revenue_usd).toBe(9.99);
    expect(again.subscriptions).toEqual(cancelled.subscriptions);

    // Reactivated: renewal_cancelled_at is cleared.
    const reactivated = await ok(user, { ...t, renew_status: true, renew_status_changed_at: at(-MIN) });
    expect(reactivated.access_levels).toEqual([accessFrom(t)]);
    expect(reactivated.subscriptions).toEqual([subscriptionFrom(t)]);
    expect(reactivated.total_revenue_usd).toBe(9.99);
  });

  it('renew_status false without renew_status_changed_at uses purchased_at as renewal_cancelled_at', async () => {
    const user = await newUser();
    const t = subscription({ renew_status: false });
    const data = await ok(user, t);
    expect(data.access_levels[0].renewal_cancelled_at).toBe(v2Date(t.purchased_at as string));
    expect(data.subscriptions[0].renewal_cancelled_at).toBe(v2Date(t.purchased_at as string));
  });

  it('a new store_transaction_id in the chain is a renewal: access extends, revenue adds', async () => {
    const user = await newUser();
    const first = subscription({ purchased_at: at(-35 * DAY), expires_at: at(-5 * DAY) });
    const afterFirst = await ok(user, first);
    // The first period is over: no access, but the history is there.
    expect(afterFirst.access_levels).toEqual([]);
    expect(afterFirst.subscriptions).toEqual([subscriptionFrom(first)]);

    const renewal = subscription({
      store_transaction_id: 'tx-2',
      purchased_at: at(-5 * DAY),
      originally_purchased_at: first.purchased_at,
      expires_at: at(25 * DAY),
    });
    const afterRenewal = await ok(user, renewal);
    expect(afterRenewal.total_revenue_usd).toBe(19.98);
    expect(afterRenewal.access_levels).toEqual([accessFrom(renewal)]);
    expect(afterRenewal.access_levels[0].originally_purchased_at).toBe(v2Date(first.purchased_at as string));
    // One chain: one subscriptions[] entry, showing the period in force.
    expect(afterRenewal.subscriptions).toEqual([subscriptionFrom(renewal)]);

    const third = subscription({
      store_transaction_id: 'tx-3',
      purchased_at: at(25 * DAY - HOUR),
      originally_purchased_at: first.purchased_at,
      expires_at: at(55 * DAY),
    });
    const afterThird = await ok(user, third);
    expect(afterThird.total_revenue_usd).toBe(29.97);
    expect(afterThird.access_levels[0].expires_at).toBe(v2Date(third.expires_at as string));
    expect(afterThird.access_levels[0].store_transaction_id).toBe('tx-3');
  });

  it('a late, older transaction of the chain adds revenue but never rolls access back', async () => {
    const user = await newUser();
    const current = subscription({ store_transaction_id: 'tx-b', purchased_at: at(-DAY), originally_purchased_at: at(-31 * DAY), expires_at: at(29 * DAY) });
    await ok(user, current);
    const late = subscription({ store_transaction_id: 'tx-a', purchased_at: at(-31 * DAY), originally_purchased_at: at(-31 * DAY), expires_at: at(-DAY) });
    const data = await ok(user, late);
    expect(data.total_revenue_usd).toBe(19.98);
    expect(data.access_levels).toEqual([accessFrom(current)]);
    expect(data.subscriptions).toEqual([subscriptionFrom(current)]);
  });

  it('a refund of the current transaction takes access away and its revenue out', async () => {
    const user = await newUser();
    const first = subscription({ purchased_at: at(-35 * DAY), expires_at: at(-5 * DAY) });
    const renewal = subscription({ store_transaction_id: 'tx-2', purchased_at: at(-5 * DAY), originally_purchased_at: first.purchased_at, expires_at: at(25 * DAY) });
    await ok(user, first);
    expect((await ok(user, renewal)).total_revenue_usd).toBe(19.98);
    const refundedAt = at(-HOUR);
    const refunded = await ok(user, { ...renewal, refunded_at: refundedAt, cancellation_reason: 'refund' });
    expect(refunded.access_levels).toEqual([]);
    expect(refunded.total_revenue_usd).toBe(9.99);
    expect(refunded.subscriptions).toEqual([subscriptionFrom(renewal, { cancellation_reason: 'refund' })]);
    const read = await get(user);
    expect(read.access_levels).toEqual([]);
    expect(read.total_revenue_usd).toBe(9.99);
  });

  it('a refund of an older transaction takes out revenue only', async () => {
    const user = await newUser();
    const first = subscription({ purchased_at: at(-35 * DAY), expires_at: at(-5 * DAY) });
    const renewal = subscription({ store_transaction_id: 'tx-2', purchased_at: at(-5 * DAY), originally_purchased_at: first.purchased_at, expires_at: at(25 * DAY) });
    await ok(user, first);
    await ok(user, renewal);
    const data = await ok(user, { ...first, refunded_at: at(-30 * DAY), cancellation_reason: 'refund' });
    expect(data.total_revenue_usd).toBe(9.99);
    expect(data.access_levels).toEqual([accessFrom(renewal)]);
  });

  it('a refund dated in the future keeps access until then', async () => {
    const user = await newUser();
    const t = subscription();
    const refundAt = at(HOUR);
    const data = await ok(user, { ...t, refunded_at: refundAt, cancellation_reason: 'refund' });
    expect(data.total_revenue_usd).toBe(0);
    expect(data.access_levels).toEqual([accessFrom(t, { expires_at: v2Date(refundAt), cancellation_reason: 'refund' })]);
  });

  it('a billing issue with a grace period keeps access, with is_in_grace_period true, until the grace ends', async () => {
    const user = await newUser();
    const purchased = at(-30 * DAY);
    const expires = at(-HOUR);
    const billing = at(-2 * HOUR);
    const grace = at(6 * DAY);
    const t = subscription({
      purchased_at: purchased,
      originally_purchased_at: purchased,
      expires_at: expires,
      billing_issue_detected_at: billing,
      grace_period_expires_at: grace,
    });
    const data = await ok(user, t);
    expect(data.access_levels).toEqual([
      accessFrom(t, { expires_at: v2Date(grace), billing_issue_detected_at: v2Date(billing), is_in_grace_period: true }),
    ]);
    expect(data.subscriptions).toEqual([subscriptionFrom(t, { billing_issue_detected_at: v2Date(billing), is_in_grace_period: true })]);
    expect(data.total_revenue_usd).toBe(9.99);

    // A successful charge (a new transaction) clears the billing issue.
    const renewal = subscription({
      store_transaction_id: 'tx-2',
      purchased_at: at(-MIN),
      originally_purchased_at: purchased,
      expires_at: at(30 * DAY),
    });
    const recovered = await ok(user, renewal);
    expect(recovered.access_levels).toEqual([accessFrom(renewal)]);
    expect(recovered.subscriptions).toEqual([subscriptionFrom(renewal)]);
  });

  it('a billing issue without a grace period gives no access past expires_at', async () => {
    const user = await newUser();
    const t = subscription({ purchased_at: at(-30 * DAY), originally_purchased_at: at(-30 * DAY), expires_at: at(-HOUR), billing_issue_detected_at: at(-2 * HOUR) });
    const data = await ok(user, t);
    expect(data.access_levels).toEqual([]);
    expect(data.subscriptions[0].billing_issue_detected_at).toBe(v2Date(t.billing_issue_detected_at as string));
    expect(data.subscriptions[0].is_in_grace_period).toBe(false);
  });

  it('a free trial gives access at no revenue; its conversion adds revenue', async () => {
    const user = await newUser();
    const trial = subscription({
      price: { country: 'US', currency: 'USD', value: 0 },
      offer: { category: 'introductory', type: 'free_trial' },
      purchased_at: at(-6 * DAY),
      originally_purchased_at: at(-6 * DAY),
      expires_at: at(DAY),
    });
    const data = await ok(user, trial);
    const offer = { category: 'introductory', type: 'free_trial', id: null };
    expect(data.access_levels).toEqual([accessFrom(trial, { offer })]);
    expect(data.subscriptions).toEqual([subscriptionFrom(trial, { offer })]);
    expect(data.total_revenue_usd).toBe(0);
    const paid = subscription({ store_transaction_id: 'tx-2', purchased_at: at(DAY), originally_purchased_at: at(-6 * DAY), expires_at: at(31 * DAY) });
    const converted = await ok(user, paid);
    expect(converted.total_revenue_usd).toBe(9.99);
    expect(converted.access_levels).toEqual([accessFrom(paid)]);
  });

  it('echoes a promotional offer with its id', async () => {
    const user = await newUser();
    const offer = { category: 'promotional', type: 'pay_as_you_go', id: 'spring-sale' };
    const data = await ok(user, subscription({ offer, price: { country: 'US', currency: 'USD', value: 1.99 } }));
    expect(data.access_levels[0].offer).toEqual(offer);
    expect(data.subscriptions[0].offer).toEqual(offer);
    expect(data.total_revenue_usd).toBe(1.99);
  });

  it('only USD counts toward total_revenue_usd; family-shared transactions count 0', async () => {
    const user = await newUser();
    await ok(user, subscription({ price: { country: 'DE', currency: 'EUR', value: 8.99 } }));
    await ok(user, subscription({ store_transaction_id: 'fam', store_original_transaction_id: 'fam', is_family_shared: true, price: { country: 'US', currency: 'USD', value: 0 } }));
    const data = await ok(user, oneTime({ price: { country: 'US', currency: 'usd', value: 2.25 } }));
    expect(data.total_revenue_usd).toBe(2.25);
    expect(data.subscriptions).toHaveLength(2);
  });

  it('revenue sums without float drift', async () => {
    const user = await newUser();
    let last = 0;
    for (let i = 0; i < 10; i++) {
      const data = await ok(user, oneTime({ store_product_id: 'coins', store_transaction_id: `d${i}`, store_original_transaction_id: `d${i}`, price: { country: 'US', currency: 'USD', value: 0.1 } }));
      last = data.total_revenue_usd;
    }
    expect(last).toBe(1);
  });

  it('after the clock passes expires_at the access level is gone from GET, the history stays', async () => {
    const user = await newUser();
    const t = subscription({ expires_at: at(HOUR) });
    const data = await ok(user, t);
    expect(data.access_levels).toEqual([accessFrom(t)]);
    ledger.clock.advance(HOUR + MIN);
    const later = await get(user);
    expect(later.access_levels).toEqual([]);
    expect(later.subscriptions).toEqual([subscriptionFrom(t)]);
    expect(later.total_revenue_usd).toBe(9.99);
  });

  it('after the clock passes the grace period the access level is gone and is_in_grace_period is false', async () => {
    const user = await newUser();
    const t = subscription({
      purchased_at: at(-30 * DAY),
      originally_purchased_at: at(-30 * DAY),
      expires_at: at(-HOUR),
      billing_issue_detected_at: at(-2 * HOUR),
      grace_period_expires_at: at(HOUR),
    });
    expect((await ok(user, t)).access_levels[0].is_in_grace_period).toBe(true);
    ledger.clock.advance(HOUR + MIN);
    const later = await get(user);
    expect(later.access_levels).toEqual([]);
    expect(later.subscriptions[0].is_in_grace_period).toBe(false);
  });

  it('two sources on one level: the one that lasts longest is shown', async () => {
    const user = await newUser();
    const monthly = subscription({ expires_at: at(29 * DAY) });
    const yearly = subscription({
      store_product_id: 'premium.yearly',
      store_transaction_id: 'y-1',
      store_original_transaction_id: 'y-1',
      price: { country: 'US', currency: 'USD', value: 59.99 },
      expires_at: at(364 * DAY),
    });
    await ok(user, yearly);
    const both = await ok(user, monthly);
    expect(both.access_levels).toEqual([accessFrom(yearly)]);
    expect(both.subscriptions).toHaveLength(2);
    expect(both.total_revenue_usd).toBe(69.98);

    // When the longer one is refunded, the other one shows.
    const refunded = await ok(user, { ...yearly, refunded_at: at(-MIN), cancellation_reason: 'refund' });
    expect(refunded.access_levels).toEqual([accessFrom(monthly)]);
    expect(refunded.total_revenue_usd).toBe(9.99);

    // A lifetime grant outlasts any subscription.
    const granted = await call(ledger.url, {
      method: 'POST',
      path: GRANT,
      customerUserId: user,
      body: { access_level_id: 'premium' },
    });
    expect(granted.status).toBe(200);
    expect(granted.body.data.access_levels).toHaveLength(1);
    expect(granted.body.data.access_levels[0]).toMatchObject({ access_level_id: 'premium', store: 'adapty', expires_at: null });
  });

  it('two levels from two products are both shown', async () => {
    const user = await newUser();
    await ok(user, subscription());
    const data = await ok(user, oneTime());
    expect(data.access_levels.map((a: { access_level_id: string }) => a.access_level_id).sort()).toEqual(['lifetime', 'premium']);
  });

  it('a store_transaction_id already used under another original id is refused', async () => {
    const user = await newUser();
    await ok(user, subscription());
    const before = await get(user);
    const r = await send(user, subscription({ store_original_transaction_id: 'other-chain' }));
    expect(r.status).toBe(400);
    expect(r.body).toEqual(
      envelope(
        400,
        'validation_error',
        'store_transaction_id',
        'This store_transaction_id is already recorded under another store_original_transaction_id or purchase_type.',
      ),
    );
    const { timestamp: _a, ...a } = before;
    const { timestamp: _b, ...b } = await get(user);
    expect(b).toEqual(a);
  });

  it('store ids that are names of Object.prototype members are ordinary ids', async () => {
    const user = await newUser();
    const ids = ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'];
    for (const id of ids) {
      const r = await send(user, subscription({ store_transaction_id: id, store_original_transaction_id: id, expires_at: at(29 * DAY) }));
      expect({ id, status: r.status }).toEqual({ id, status: 200 });
    }
    // And one-time purchases whose transaction id is such a name.
    const otp = await ok(user, oneTime({ store_product_id: 'coins', store_transaction_id: 'prototype', store_original_transaction_id: 'prototype' }));
    const data = await get(user);
    expect(data.subscriptions.map((s: { store_transaction_id: string }) => s.store_transaction_id).sort()).toEqual([...ids].sort());
    expect(otp.non_subscriptions.map((n: { store_transaction_id: string }) => n.store_transaction_id)).toEqual(['prototype']);
    expect(data.total_revenue_usd).toBe(99.45);
    expect(data.access_levels).toHaveLength(1);
    // Re-sending one of them is an update, not a new transaction.
    const again = await ok(user, subscription({ store_transaction_id: 'toString', store_original_transaction_id: 'toString', expires_at: at(29 * DAY), renew_status: false }));
    expect(again.total_revenue_usd).toBe(99.45);
  });

  it('works by adapty-profile-id and on the path without a trailing slash', async () => {
    const user = await newUser();
    const profileId = (await get(user)).profile_id;
    const r = await call(ledger.url, { method: 'POST', path: `${V2}/purchase/set/transaction`, profileId, body: subscription() });
    expect(r.status).toBe(200);
    expect(r.body.data.profile_id).toBe(profileId);
    expect(r.body.data.access_levels).toHaveLength(1);
  });
});
