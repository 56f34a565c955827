import { recordTransaction } from './profile.decide';
import { foldProfile, initialProfileState, usdRevenueOf } from './profile.state';
import { after, CATALOGUE, context, day, given, oneTime, profileCreated, recorded, subscription, trial } from '../spec-support';

describe('total_revenue_usd', () => {
  const first = subscription({ purchased_at: day(-40), originally_purchased_at: day(-40), expires_at: day(-10) });
  const renewal = subscription({ store_transaction_id: 'tx-2', purchased_at: day(-10), originally_purchased_at: day(-40), expires_at: day(20) });

  it('starts at 0', () => {
    expect(given().total_revenue_usd).toBe(0);
  });

  it('sums USD transactions that are not refunded', () => {
    expect(given(recorded(first), recorded(oneTime())).total_revenue_usd).toBe(59.98);
  });

  it('a renewal adds its price', () => {
    expect(given(recorded(first)).total_revenue_usd).toBe(9.99);
    expect(given(recorded(first), recorded(renewal)).total_revenue_usd).toBe(19.98);
  });

  it('re-sending the same store_transaction_id does not double count (even with a new price)', () => {
    expect(given(recorded(first), recorded(first)).total_revenue_usd).toBe(9.99);
    const repriced = { ...first, price: { ...first.price, value: 12.5 } };
    expect(given(recorded(first), recorded(repriced)).total_revenue_usd).toBe(12.5);
  });

  it('decide on an identical resend gives no events, so revenue is unchanged', () => {
    const state = given(recorded(first));
    expect(after(state, recordTransaction(state, first, CATALOGUE, context())).total_revenue_usd).toBe(9.99);
  });

  it('a refund subtracts the refunded transaction', () => {
    const refunded = { ...renewal, refunded_at: day(-1), cancellation_reason: 'refund' };
    expect(given(recorded(first), recorded(renewal), recorded(refunded)).total_revenue_usd).toBe(9.99);
    const otpRefunded = oneTime({ refunded_at: day(-1), cancellation_reason: 'refund' });
    expect(given(recorded(oneTime()), recorded(otpRefunded)).total_revenue_usd).toBe(0);
  });

  it('a transaction that arrives already refunded adds nothing', () => {
    expect(given(recorded(subscription({ refunded_at: day(-1), cancellation_reason: 'refund' }))).total_revenue_usd).toBe(0);
  });

  it('other currencies are not summed', () => {
    const eur = subscription({ store_transaction_id: 'eur', store_original_transaction_id: 'eur', price: { country: 'DE', currency: 'EUR', value: 8.99 } });
    expect(given(recorded(first), recorded(eur)).total_revenue_usd).toBe(9.99);
    expect(usdRevenueOf(eur)).toBe(0);
  });

  it('currency is compared case-insensitively', () => {
    expect(usdRevenueOf(subscription({ price: { country: 'US', currency: 'usd', value: 3 } }))).toBe(3);
  });

  it('family-shared and trial transactions count 0', () => {
    const shared = subscription({ is_family_shared: true, price: { country: 'US', currency: 'USD', value: 0 } });
    expect(given(recorded(shared), recorded(trial({ store_transaction_id: 't', store_original_transaction_id: 't' }))).total_revenue_usd).toBe(0);
    expect(usdRevenueOf({ ...shared, price: { country: 'US', currency: 'USD', value: 5 } })).toBe(0);
  });

  it('cents do not drift over many renewals', () => {
    const events = Array.from({ length: 100 }, (_, i) =>
      recorded(subscription({ store_transaction_id: `r${i}`, purchased_at: day(-1000 + i * 10), originally_purchased_at: day(-1000), expires_at: day(-990 + i * 10) })),
    );
    expect(given(...events).total_revenue_usd).toBe(999);
  });
});

describe('evolve', () => {
  it('counts folded events in seq', () => {
    expect(foldProfile([profileCreated(), recorded(first())]).seq).toBe(2);
  });

  it('ProfileDeleted wipes the state', () => {
    const state = given(recorded(first()), { type: 'ProfileDeleted', data: { profile_id: 'p', app_id: 'a', deleted_at: day(0) } });
    expect(state).toEqual({ ...initialProfileState(), deleted: true, seq: 3 });
  });

  it('custom attributes: null and "" delete, others set', () => {
    const state = given({ type: 'AttributesUpdated', data: { attributes: { email: 'a@b.c' }, custom_attributes: { a: 'x', b: 2, c: 'y' } } }, {
      type: 'AttributesUpdated',
      data: { attributes: {}, custom_attributes: { a: null, c: '' } },
    });
    expect(state.custom_attributes).toEqual(new Map([['b', 2]]));
    expect(state.attributes).toEqual({ email: 'a@b.c' });
  });
});

function first() {
  return subscription();
}
