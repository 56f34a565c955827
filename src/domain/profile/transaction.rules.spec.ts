import { initialProfileState } from './profile.state';
import { grantAccess, recordTransaction, revokeAccess } from './profile.decide';
import { Transaction } from './profile.events';
import { checkTransaction } from './transaction.rules';
import { CATALOGUE, context, day, errorOf, eventsOf, given, oneTime, subscription } from '../spec-support';

interface Case {
  name: string;
  transaction: Transaction;
  code: string;
  source: string;
  message: string;
}

const P = day(-10); // purchased_at of the default subscription

const cases: Case[] = [
  {
    name: 'one-time purchase whose transaction id differs from the original id',
    transaction: oneTime({ store_transaction_id: 'otp-2', store_original_transaction_id: 'otp-1' }),
    code: 'store_transaction_id_error',
    source: 'store_transaction_id',
    message: 'store_transaction_id must be equal to store_original_transaction_id for purchase.',
  },
  {
    name: 'one-time purchase with a free trial offer',
    transaction: oneTime({ price: { country: 'US', currency: 'USD', value: 0 }, offer: { category: 'introductory', type: 'free_trial', id: null } }),
    code: 'one_time_purchase_trial_error',
    source: 'offer.type',
    message: 'One-time purchase cannot have a trial.',
  },
  ...(['promotional', 'offer_code', 'win_back'] as const).map(
    (category): Case => ({
      name: `${category} offer without id`,
      transaction: subscription({ offer: { category, type: 'pay_as_you_go', id: null } }),
      code: 'missing_offer_id',
      source: 'offer_category',
      message: "offer_id must be specified for all offer types except 'introductory'.",
    }),
  ),
  {
    name: 'promotional offer with an empty id',
    transaction: subscription({ offer: { category: 'promotional', type: 'pay_up_front', id: '' } }),
    code: 'missing_offer_id',
    source: 'offer_category',
    message: "offer_id must be specified for all offer types except 'introductory'.",
  },
  {
    name: 'free trial with a non-zero price',
    transaction: subscription({ offer: { category: 'introductory', type: 'free_trial', id: null } }),
    code: 'free_trial_price_error',
    source: 'offer_type',
    message: "If offer_type is 'free_trial', price.value must be 0.",
  },
  {
    name: 'family-shared subscription with a price',
    transaction: subscription({ is_family_shared: true }),
    code: 'family_share_price_error',
    source: 'is_family_shared',
    message: 'If is_family_shared is true, price.value must be 0.',
  },
  {
    name: 'family-shared one-time purchase with a price',
    transaction: oneTime({ is_family_shared: true }),
    code: 'family_share_price_error',
    source: 'is_family_shared',
    message: 'If is_family_shared is true, price.value must be 0.',
  },
  {
    name: 'refunded_at without cancellation_reason=refund',
    transaction: subscription({ refunded_at: day(-2), cancellation_reason: null }),
    code: 'refund_fields_error',
    source: 'refunded_at',
    message: 'refunded_at and cancellation_reason=refund must be specified together.',
  },
  {
    name: 'refunded_at with another cancellation_reason',
    transaction: subscription({ refunded_at: day(-2), cancellation_reason: 'voluntarily_cancelled' }),
    code: 'refund_fields_error',
    source: 'refunded_at',
    message: 'refunded_at and cancellation_reason=refund must be specified together.',
  },
  {
    name: 'cancellation_reason=refund without refunded_at',
    transaction: subscription({ refunded_at: null, cancellation_reason: 'refund' }),
    code: 'refund_fields_error',
    source: 'refunded_at',
    message: 'refunded_at and cancellation_reason=refund must be specified together.',
  },
  {
    name: 'one-time purchase: cancellation_reason=refund without refunded_at',
    transaction: oneTime({ cancellation_reason: 'refund' }),
    code: 'refund_fields_error',
    source: 'refunded_at',
    message: 'refunded_at and cancellation_reason=refund must be specified together.',
  },
  {
    name: 'refunded_at equal to purchased_at',
    transaction: subscription({ refunded_at: P, cancellation_reason: 'refund' }),
    code: 'refund_date_error',
    source: 'refunded_at',
    message: 'refunded_at must be later than purchased_at.',
  },
  {
    name: 'refunded_at before purchased_at (one-time)',
    transaction: oneTime({ refunded_at: day(-6), cancellation_reason: 'refund' }),
    code: 'refund_date_error',
    source: 'refunded_at',
    message: 'refunded_at must be later than purchased_at.',
  },
  {
    name: 'expires_at equal to purchased_at',
    transaction: subscription({ expires_at: P }),
    code: 'expires_date_error',
    source: 'expires_at',
    message: 'expires_at must be later than purchased_at.',
  },
  {
    name: 'expires_at before purchased_at',
    transaction: subscription({ expires_at: day(-11) }),
    code: 'expires_date_error',
    source: 'expires_at',
    message: 'expires_at must be later than purchased_at.',
  },
  {
    name: 'originally_purchased_at after purchased_at',
    transaction: subscription({ originally_purchased_at: day(-9) }),
    code: 'originally_purchased_date_error',
    source: 'originally_purchased_at',
    message: 'originally_purchased_at must be earlier than or equal to purchased_at.',
  },
  {
    name: 'renew_status_changed_at equal to purchased_at',
    transaction: subscription({ renew_status: false, renew_status_changed_at: P }),
    code: 'renew_status_changed_date_error',
    source: 'renew_status_changed_at',
    message: 'renew_status_changed_at must be later than purchased_at.',
  },
  {
    name: 'renew_status_changed_at before purchased_at',
    transaction: subscription({ renew_status: false, renew_status_changed_at: day(-30) }),
    code: 'renew_status_changed_date_error',
    source: 'renew_status_changed_at',
    message: 'renew_status_changed_at must be later than purchased_at.',
  },
  {
    name: 'billing_issue_detected_at equal to purchased_at',
    transaction: subscription({ billing_issue_detected_at: P }),
    code: 'billing_issue_detected_at_date_comparison_error',
    source: 'billing_issue_detected_at',
    message: 'billing_issue_detected_at must be later than purchased_at.',
  },
  {
    name: 'grace_period_expires_at without billing_issue_detected_at',
    transaction: subscription({ grace_period_expires_at: day(25) }),
    code: 'grace_period_billing_error',
    source: 'grace_period_billing_error',
    message: 'If grace_period_expires_at is specified, billing_issue_detected_at must also be specified.',
  },
  {
    name: 'grace_period_expires_at before expires_at',
    transaction: subscription({ billing_issue_detected_at: day(19), grace_period_expires_at: day(19) }),
    code: 'grace_period_expires_date_error',
    source: 'grace_period_expires_at',
    message: 'grace_period_expires_at must be later or equal to expires_at.',
  },
];

describe('set-transaction validation (Adapty codes, sources and messages)', () => {
  describe.each(cases)('$name', ({ transaction, code, source, message }) => {
    it(`checkTransaction answers ${code}`, () => {
      expect(errorOf(checkTransaction(transaction))).toEqual({ code, source, message });
    });

    it('recordTransaction refuses it with the same error and records nothing', () => {
      const decision = recordTransaction(given(), transaction, CATALOGUE, context());
      expect(errorOf(decision)).toEqual({ code, source, message });
    });
  });

  describe('valid transactions at the boundaries pass', () => {
    it.each<[string, Transaction]>([
      ['a plain subscription', subscription()],
      ['a plain one-time purchase', oneTime()],
      ['an introductory offer without id', subscription({ offer: { category: 'introductory', type: 'pay_as_you_go', id: null } })],
      ['a promotional offer with an id', subscription({ offer: { category: 'promotional', type: 'pay_up_front', id: 'promo-1' } })],
      ['a free trial at price 0', subscription({ price: { country: 'US', currency: 'USD', value: 0 }, offer: { category: 'introductory', type: 'free_trial', id: null } })],
      ['family shared at price 0', subscription({ is_family_shared: true, price: { country: 'US', currency: 'USD', value: 0 } })],
      ['refunded 1 ms after purchase', subscription({ refunded_at: new Date(Date.parse(P) + 1).toISOString(), cancellation_reason: 'refund' })],
      ['originally_purchased_at equal to purchased_at', subscription({ originally_purchased_at: P })],
      ['originally_purchased_at null', subscription({ originally_purchased_at: null })],
      ['grace_period_expires_at equal to expires_at', subscription({ billing_issue_detected_at: day(19), grace_period_expires_at: day(20) })],
      ['renew_status_changed_at after purchase', subscription({ renew_status: false, renew_status_changed_at: day(-9) })],
      ['a one-time purchase ignores subscription-only fields', oneTime({ expires_at: null, originally_purchased_at: day(100) })],
    ])('%s', (_name, t) => {
      expect(checkTransaction(t)).toBeNull();
    });
  });

  it('checks in Adapty order: store_transaction_id before the offer rules', () => {
    const t = oneTime({
      store_transaction_id: 'a',
      store_original_transaction_id: 'b',
      offer: { category: 'promotional', type: 'free_trial', id: null },
    });
    expect(errorOf(checkTransaction(t)).code).toBe('store_transaction_id_error');
  });
});

describe('profile_does_not_exist on purchase commands (400, source non_field_errors)', () => {
  const expected = { code: 'profile_does_not_exist', source: 'non_field_errors', message: 'Profile not found' };

  it('set transaction on a profile that was never created', () => {
    expect(errorOf(recordTransaction(initialProfileState(), subscription(), CATALOGUE, context()))).toEqual(expected);
  });

  it('set transaction on a deleted profile', () => {
    const state = given({ type: 'ProfileDeleted', data: { profile_id: 'p', app_id: 'a', deleted_at: day(-1) } });
    expect(errorOf(recordTransaction(state, subscription(), CATALOGUE, context()))).toEqual(expected);
  });

  it('the missing profile is reported before the transaction rules', () => {
    const invalid = subscription({ expires_at: day(-20) });
    expect(errorOf(recordTransaction(initialProfileState(), invalid, CATALOGUE, context()))).toEqual(expected);
  });

  it('grant access', () => {
    const decision = grantAccess(initialProfileState(), { access_level_id: 'premium', starts_at: null, expires_at: null }, CATALOGUE, context());
    expect(errorOf(decision)).toEqual(expected);
  });

  it('revoke access', () => {
    const decision = revokeAccess(initialProfileState(), { access_level_id: 'premium', revoke_at: null }, CATALOGUE, context());
    expect(errorOf(decision)).toEqual(expected);
  });

  it('a valid transaction on an existing profile is accepted', () => {
    expect(eventsOf(recordTransaction(given(), subscription(), CATALOGUE, context()))).toHaveLength(1);
  });
});
