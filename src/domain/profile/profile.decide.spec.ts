import { accessLevelsAt, accessSources } from './access';
import {
  attachCustomerUserId,
  createProfile,
  deleteProfile,
  grantAccess,
  recordTransaction,
  revokeAccess,
  updateAttributes,
} from './profile.decide';
import { initialProfileState } from './profile.state';
import {
  after,
  APP_ID,
  CATALOGUE,
  catalogueWith,
  context,
  day,
  effectsOf,
  errorOf,
  eventsOf,
  given,
  granted,
  NOW,
  NOW_MS,
  oneTime,
  PROFILE_ID,
  recorded,
  revoked,
  subscription,
  trial,
} from '../spec-support';

describe('set transaction: what each change means (webhook effects)', () => {
  it('first transaction of a new chain, a trial → trial_started', () => {
    const t = trial({ purchased_at: day(-1), originally_purchased_at: day(-1), expires_at: day(6) });
    const decision = recordTransaction(given(), t, CATALOGUE, context());
    expect(eventsOf(decision)).toEqual([
      {
        type: 'TransactionRecorded',
        data: { transaction: t, access_level_id: 'premium', purchase_id: 'id-1', effects: ['trial_started'], recorded_at: NOW.toISOString() },
      },
    ]);
  });

  it('first transaction of a new chain, paid → subscription_started', () => {
    expect(effectsOf(recordTransaction(given(), subscription(), CATALOGUE, context()))).toEqual(['subscription_started']);
  });

  it('one-time purchase → non_subscription_purchase', () => {
    const decision = recordTransaction(given(), oneTime(), CATALOGUE, context());
    expect(eventsOf(decision)).toEqual([
      {
        type: 'TransactionRecorded',
        data: { transaction: oneTime(), access_level_id: 'premium', purchase_id: 'id-1', effects: ['non_subscription_purchase'], recorded_at: NOW.toISOString() },
      },
    ]);
  });

  it('new store_transaction_id in a paid chain → subscription_renewed, keeping the chain purchase_id', () => {
    const first = subscription({ purchased_at: day(-40), originally_purchased_at: day(-40), expires_at: day(-10) });
    const renewal = subscription({ store_transaction_id: 'tx-2', purchased_at: day(-10), originally_purchased_at: day(-40), expires_at: day(20) });
    const decision = recordTransaction(given(recorded(first, 'premium', 'purchase-A')), renewal, CATALOGUE, context());
    const [event] = eventsOf(decision);
    expect(event).toEqual({
      type: 'TransactionRecorded',
      data: { transaction: renewal, access_level_id: 'premium', purchase_id: 'purchase-A', effects: ['subscription_renewed'], recorded_at: NOW.toISOString() },
    });
  });

  it('new store_transaction_id in a chain whose current transaction is a trial → trial_converted', () => {
    const t = trial({ purchased_at: day(-10), originally_purchased_at: day(-10), expires_at: day(-3) });
    const paid = subscription({ store_transaction_id: 'tx-2', purchased_at: day(-3), originally_purchased_at: day(-10), expires_at: day(27) });
    expect(effectsOf(recordTransaction(given(recorded(t)), paid, CATALOGUE, context()))).toEqual(['trial_converted']);
  });

  it('the billing after a trial conversion is subscription_renewed', () => {
    const t = trial({ purchased_at: day(-40), originally_purchased_at: day(-40), expires_at: day(-33) });
    const paid = subscription({ store_transaction_id: 'tx-2', purchased_at: day(-33), originally_purchased_at: day(-40), expires_at: day(-3) });
    const next = subscription({ store_transaction_id: 'tx-3', purchased_at: day(-3), originally_purchased_at: day(-40), expires_at: day(27) });
    expect(effectsOf(recordTransaction(given(recorded(t), recorded(paid)), next, CATALOGUE, context()))).toEqual(['subscription_renewed']);
  });

  describe('same store_transaction_id, renew_status changes', () => {
    it('true → false on a paid subscription → subscription_renewal_cancelled', () => {
      const before = subscription();
      const now = subscription({ renew_status: false, renew_status_changed_at: day(-1) });
      expect(effectsOf(recordTransaction(given(recorded(before)), now, CATALOGUE, context()))).toEqual(['subscription_renewal_cancelled']);
    });

    it('true → false on a trial → trial_renewal_cancelled', () => {
      const before = trial({ expires_at: day(4) });
      const now = trial({ expires_at: day(4), renew_status: false, renew_status_changed_at: day(-1) });
      expect(effectsOf(recordTransaction(given(recorded(before)), now, CATALOGUE, context()))).toEqual(['trial_renewal_cancelled']);
    });

    it('false → true on a paid subscription → subscription_renewal_reactivated', () => {
      const before = subscription({ renew_status: false, renew_status_changed_at: day(-5) });
      const now = subscription({ renew_status: true, renew_status_changed_at: day(-1) });
      expect(effectsOf(recordTransaction(given(recorded(before)), now, CATALOGUE, context()))).toEqual(['subscription_renewal_reactivated']);
    });

    it('false → true on a trial → trial_renewal_reactivated', () => {
      const before = trial({ expires_at: day(4), renew_status: false, renew_status_changed_at: day(-5) });
      const now = trial({ expires_at: day(4), renew_status: true, renew_status_changed_at: day(-1) });
      expect(effectsOf(recordTransaction(given(recorded(before)), now, CATALOGUE, context()))).toEqual(['trial_renewal_reactivated']);
    });

    it('a changed renew_status_changed_at alone sends nothing but is recorded', () => {
      const before = subscription({ renew_status: false, renew_status_changed_at: day(-5) });
      const now = subscription({ renew_status: false, renew_status_changed_at: day(-4) });
      expect(effectsOf(recordTransaction(given(recorded(before)), now, CATALOGUE, context()))).toEqual([]);
    });
  });

  it('billing_issue_detected_at newly set → billing_issue_detected', () => {
    const now = subscription({ billing_issue_detected_at: day(-1) });
    expect(effectsOf(recordTransaction(given(recorded(subscription())), now, CATALOGUE, context()))).toEqual(['billing_issue_detected']);
  });

  it('billing issue with grace_period_expires_at → billing_issue_detected and entered_grace_period', () => {
    const now = subscription({ billing_issue_detected_at: day(-1), grace_period_expires_at: day(36) });
    expect(effectsOf(recordTransaction(given(recorded(subscription())), now, CATALOGUE, context()))).toEqual([
      'billing_issue_detected',
      'entered_grace_period',
    ]);
  });

  it('grace added after the billing issue was already known → entered_grace_period only', () => {
    const before = subscription({ billing_issue_detected_at: day(-2) });
    const now = subscription({ billing_issue_detected_at: day(-2), grace_period_expires_at: day(36) });
    expect(effectsOf(recordTransaction(given(recorded(before)), now, CATALOGUE, context()))).toEqual(['entered_grace_period']);
  });

  it('refund of a subscription → subscription_refunded', () => {
    const now = subscription({ refunded_at: day(-1), cancellation_reason: 'refund' });
    expect(effectsOf(recordTransaction(given(recorded(subscription())), now, CATALOGUE, context()))).toEqual(['subscription_refunded']);
  });

  it('refund of a one-time purchase → non_subscription_purchase_refunded', () => {
    const now = oneTime({ refunded_at: day(-1), cancellation_reason: 'refund' });
    expect(effectsOf(recordTransaction(given(recorded(oneTime())), now, CATALOGUE, context()))).toEqual([
      'non_subscription_purchase_refunded',
    ]);
  });

  it('exactly the same transaction again → no events (idempotent)', () => {
    expect(recordTransaction(given(recorded(subscription())), subscription(), CATALOGUE, context())).toEqual([]);
    expect(recordTransaction(given(recorded(oneTime())), oneTime(), CATALOGUE, context())).toEqual([]);
  });

  it('the same refund sent twice → the second sends nothing', () => {
    const refunded = subscription({ refunded_at: day(-1), cancellation_reason: 'refund' });
    expect(recordTransaction(given(recorded(subscription()), recorded(refunded)), refunded, CATALOGUE, context())).toEqual([]);
  });

  describe('a late transaction, older than the chain current one', () => {
    const first = subscription({ store_transaction_id: 'tx-1', purchased_at: day(-70), originally_purchased_at: day(-70), expires_at: day(-40) });
    const second = subscription({ store_transaction_id: 'tx-2', purchased_at: day(-40), originally_purchased_at: day(-70), expires_at: day(-10) });
    const third = subscription({ store_transaction_id: 'tx-3', purchased_at: day(-10), originally_purchased_at: day(-70), expires_at: day(20) });

    it('a late renewal gets subscription_renewed', () => {
      expect(effectsOf(recordTransaction(given(recorded(first), recorded(third)), second, CATALOGUE, context()))).toEqual([
        'subscription_renewed',
      ]);
    });

    it('the late first purchase of the chain gets the event it would have had: subscription_started', () => {
      expect(effectsOf(recordTransaction(given(recorded(third)), first, CATALOGUE, context()))).toEqual(['subscription_started']);
    });

    it('a late trial that started the chain gets trial_started', () => {
      const t = trial({ store_transaction_id: 'tx-0', purchased_at: day(-77), originally_purchased_at: day(-77), expires_at: day(-70) });
      expect(effectsOf(recordTransaction(given(recorded(first), recorded(second)), t, CATALOGUE, context()))).toEqual(['trial_started']);
    });

    it('a late first paid transaction after a trial gets trial_converted', () => {
      const t = trial({ store_transaction_id: 'tx-0', purchased_at: day(-77), originally_purchased_at: day(-77), expires_at: day(-70) });
      expect(effectsOf(recordTransaction(given(recorded(t), recorded(third)), first, CATALOGUE, context()))).toEqual(['trial_converted']);
    });

    it('never rolls the chain back: the current transaction and its expiry stay', () => {
      const state = after(given(recorded(first), recorded(third)), recordTransaction(given(recorded(first), recorded(third)), second, CATALOGUE, context()));
      expect(state.chains.get('tx-1')!.current.store_transaction_id).toBe('tx-3');
      const [level] = accessLevelsAt(accessSources(state), NOW_MS);
      expect(level.expires_at).toBe(day(20));
      expect(level.store_transaction_id).toBe('tx-3');
      expect([...state.transactions.keys()].sort()).toEqual(['tx-1', 'tx-2', 'tx-3']);
    });
  });

  describe('store ids that are also Object.prototype names are ordinary ids', () => {
    it.each(['toString', 'constructor', 'hasOwnProperty', 'valueOf', '__proto__'])('%s as original and transaction id', (id) => {
      const sub = subscription({ store_transaction_id: id, store_original_transaction_id: id });
      const decision = recordTransaction(given(), sub, CATALOGUE, context());
      expect(effectsOf(decision)).toEqual(['subscription_started']);
      const state = after(given(), decision);
      expect(state.chains.has(id)).toBe(true);
      expect(state.total_revenue_usd).toBe(9.99);
      expect(accessLevelsAt(accessSources(state), NOW_MS).map((s) => s.store_transaction_id)).toEqual([id]);
      const renewal = subscription({ store_transaction_id: `${id}-2`, store_original_transaction_id: id, purchased_at: day(-1), expires_at: day(29) });
      expect(effectsOf(recordTransaction(state, renewal, CATALOGUE, context()))).toEqual(['subscription_renewed']);
      expect(recordTransaction(state, sub, CATALOGUE, context())).toEqual([]);
    });

    it.each(['toString', 'constructor'])('a one-time purchase with id %s', (id) => {
      const decision = recordTransaction(given(), oneTime({ store_transaction_id: id, store_original_transaction_id: id }), CATALOGUE, context());
      expect(effectsOf(decision)).toEqual(['non_subscription_purchase']);
    });
  });

  it('a product not in the catalogue is recorded with no access level', () => {
    const [event] = eventsOf(recordTransaction(given(), subscription({ store_product_id: 'unknown' }), CATALOGUE, context()));
    expect(event.type === 'TransactionRecorded' && event.data.access_level_id).toBeNull();
  });

  it('a store_transaction_id already recorded under another original id is refused', () => {
    const other = subscription({ store_original_transaction_id: 'tx-other' });
    expect(errorOf(recordTransaction(given(recorded(subscription())), other, CATALOGUE, context()))).toEqual({
      code: 'validation_error',
      source: 'store_transaction_id',
      message: 'This store_transaction_id is already recorded under another store_original_transaction_id or purchase_type.',
    });
  });

  it('a one-time purchase under an original id used by a subscription is refused', () => {
    const sub = subscription({ store_transaction_id: 'x-1', store_original_transaction_id: 'x' });
    const otp = oneTime({ store_transaction_id: 'x', store_original_transaction_id: 'x' });
    expect(errorOf(recordTransaction(given(recorded(sub)), otp, CATALOGUE, context()))).toEqual({
      code: 'validation_error',
      source: 'purchase_type',
      message: 'This store_original_transaction_id is already recorded with another purchase_type.',
    });
  });
});

describe('grant access', () => {
  it('records a grant with a fresh id', () => {
    const decision = grantAccess(given(), { access_level_id: 'premium', starts_at: null, expires_at: day(30) }, CATALOGUE, context());
    expect(eventsOf(decision)).toEqual([
      {
        type: 'AccessGranted',
        data: { grant_id: 'id-1', access_level_id: 'premium', starts_at: null, expires_at: day(30), granted_at: NOW.toISOString() },
      },
    ]);
  });

  it('an unknown access level → paid_access_level_does_not_exist', () => {
    const decision = grantAccess(given(), { access_level_id: 'gold', starts_at: null, expires_at: null }, CATALOGUE, context());
    expect(errorOf(decision)).toEqual({
      code: 'paid_access_level_does_not_exist',
      source: 'non_field_errors',
      message: 'Paid access level `gold` does not exist',
    });
  });

  it('a declared access level other than premium can be granted', () => {
    const catalogue = catalogueWith({}, ['gold']);
    expect(eventsOf(grantAccess(given(), { access_level_id: 'gold', starts_at: null, expires_at: null }, catalogue, context()))).toHaveLength(1);
  });

  it.each([
    ['before starts_at', day(10), day(5)],
    ['equal to starts_at', day(10), day(10)],
  ])('expires_at %s → validation_error on expires_at', (_name, starts_at, expires_at) => {
    const decision = grantAccess(given(), { access_level_id: 'premium', starts_at, expires_at }, CATALOGUE, context());
    expect(errorOf(decision)).toEqual({ code: 'validation_error', source: 'expires_at', message: 'expires_at must be later than starts_at.' });
  });

  it('a past window (starts_at and expires_at both in the past) is accepted', () => {
    const decision = grantAccess(given(), { access_level_id: 'premium', starts_at: day(-10), expires_at: day(-5) }, CATALOGUE, context());
    expect(eventsOf(decision)).toHaveLength(1);
  });

  it('expires_at in the past without starts_at is accepted (Adapty: "may be in the past") and gives no access', () => {
    const state = given();
    const decision = grantAccess(state, { access_level_id: 'premium', starts_at: null, expires_at: day(-1) }, CATALOGUE, context());
    expect(eventsOf(decision)).toHaveLength(1);
    expect(accessLevelsAt(accessSources(after(state, decision)), NOW_MS)).toEqual([]);
  });
});

describe('revoke access', () => {
  const premiumFor30Days = granted('premium', null, day(30));

  it('revokes now by default', () => {
    const decision = revokeAccess(given(premiumFor30Days), { access_level_id: 'premium', revoke_at: null }, CATALOGUE, context());
    expect(eventsOf(decision)).toEqual([
      { type: 'AccessRevoked', data: { access_level_id: 'premium', revoke_at: NOW.toISOString(), revoked_at: NOW.toISOString() } },
    ]);
  });

  it('an unknown access level → paid_access_level_does_not_exist', () => {
    const decision = revokeAccess(given(premiumFor30Days), { access_level_id: 'x', revoke_at: null }, CATALOGUE, context());
    expect(errorOf(decision)).toEqual({
      code: 'paid_access_level_does_not_exist',
      source: 'non_field_errors',
      message: 'Paid access level `x` does not exist',
    });
  });

  it('a level the profile does not have → profile_paid_access_level_does_not_exist', () => {
    const decision = revokeAccess(given(), { access_level_id: 'premium', revoke_at: null }, CATALOGUE, context());
    expect(errorOf(decision)).toEqual({
      code: 'profile_paid_access_level_does_not_exist',
      source: 'non_field_errors',
      message: `Profile \`${PROFILE_ID}\` has no \`premium\` access level`,
    });
  });

  it('a level whose access has expired → profile_paid_access_level_does_not_exist', () => {
    const decision = revokeAccess(given(granted('premium', day(-20), day(-10))), { access_level_id: 'premium', revoke_at: null }, CATALOGUE, context());
    expect(errorOf(decision).code).toBe('profile_paid_access_level_does_not_exist');
  });

  it('a level already revoked → profile_paid_access_level_does_not_exist', () => {
    const state = given(premiumFor30Days, revoked('premium', day(-1)));
    expect(errorOf(revokeAccess(state, { access_level_id: 'premium', revoke_at: null }, CATALOGUE, context())).code).toBe(
      'profile_paid_access_level_does_not_exist',
    );
  });

  it.each([
    ['in the past', day(-1)],
    ['equal to now', NOW.toISOString()],
  ])('revoke_at %s → value_error (source null)', (_name, revoke_at) => {
    const decision = revokeAccess(given(premiumFor30Days), { access_level_id: 'premium', revoke_at }, CATALOGUE, context());
    expect(errorOf(decision)).toEqual({ code: 'value_error', source: null, message: 'Must be greater than the current time or null' });
  });

  it('revoke_at after the current expiry → revocation_date_more_than_expiration_date, Python-style dates', () => {
    const now = new Date('2025-08-29T09:33:42.000Z');
    const state = given(granted('premium', null, '2028-08-29T09:33:42.000Z', 'g', '2025-08-01T00:00:00.000Z'));
    const decision = revokeAccess(state, { access_level_id: 'premium', revoke_at: '2029-08-29T09:33:42.000Z' }, CATALOGUE, context(now));
    expect(errorOf(decision)).toEqual({
      code: 'revocation_date_more_than_expiration_date',
      source: 'revoke_at',
      message: 'Revocation date (2029-08-29 09:33:42+00:00) is more than current expiration date (2028-08-29 09:33:42+00:00)',
    });
  });

  it('revocation dates with a fraction of a second print as Python does (microseconds)', () => {
    const state = given(granted('premium', null, '2028-08-29T09:33:42.250Z'));
    const decision = revokeAccess(state, { access_level_id: 'premium', revoke_at: '2029-01-01T00:00:00.500Z' }, CATALOGUE, context());
    expect(errorOf(decision).message).toBe(
      'Revocation date (2029-01-01 00:00:00.500000+00:00) is more than current expiration date (2028-08-29 09:33:42.250000+00:00)',
    );
  });

  it('revoke_at equal to the current expiry is accepted', () => {
    const decision = revokeAccess(given(premiumFor30Days), { access_level_id: 'premium', revoke_at: day(30) }, CATALOGUE, context());
    expect(eventsOf(decision)).toEqual([
      { type: 'AccessRevoked', data: { access_level_id: 'premium', revoke_at: day(30), revoked_at: NOW.toISOString() } },
    ]);
  });

  it('any future revoke_at is accepted on lifetime access', () => {
    const decision = revokeAccess(given(granted('premium', null, null)), { access_level_id: 'premium', revoke_at: day(9999) }, CATALOGUE, context());
    expect(eventsOf(decision)).toHaveLength(1);
  });

  it('the expiry compared is the longest source of the level (subscription in grace)', () => {
    const inGrace = subscription({ billing_issue_detected_at: day(19), grace_period_expires_at: day(36) });
    const ok = revokeAccess(given(recorded(inGrace)), { access_level_id: 'premium', revoke_at: day(30) }, CATALOGUE, context());
    expect(eventsOf(ok)).toHaveLength(1);
    const tooLate = revokeAccess(given(recorded(inGrace)), { access_level_id: 'premium', revoke_at: day(37) }, CATALOGUE, context());
    expect(errorOf(tooLate).code).toBe('revocation_date_more_than_expiration_date');
  });
});

describe('profile lifecycle', () => {
  it('create records the profile with created_at = now; creating again sends nothing', () => {
    const cmd = { app_id: APP_ID, profile_id: PROFILE_ID, customer_user_id: 'u1', attributes: { first_name: 'Ann' }, custom_attributes: { a: 1 } };
    const events = eventsOf(createProfile(initialProfileState(), cmd, context()));
    expect(events).toEqual([{ type: 'ProfileCreated', data: { ...cmd, created_at: NOW.toISOString() } }]);
    expect(createProfile(given(), cmd, context())).toEqual([]);
  });

  it('create with more than 30 custom attributes is refused', () => {
    const custom = Object.fromEntries(Array.from({ length: 31 }, (_, i) => [`k${i}`, i]));
    const cmd = { app_id: APP_ID, profile_id: PROFILE_ID, customer_user_id: null, attributes: {}, custom_attributes: custom };
    expect(errorOf(createProfile(initialProfileState(), cmd, context()))).toEqual({
      code: 'validation_error',
      source: 'custom_attributes',
      message: 'A profile can have at most 30 custom attributes.',
    });
  });

  it('attach customer_user_id; the same again sends nothing; a missing profile is 404-style', () => {
    expect(attachCustomerUserId(given(), 'u1')).toEqual([{ type: 'CustomerUserIdAttached', data: { customer_user_id: 'u1' } }]);
    expect(attachCustomerUserId(given({ type: 'CustomerUserIdAttached', data: { customer_user_id: 'u1' } }), 'u1')).toEqual([]);
    expect(errorOf(attachCustomerUserId(initialProfileState(), 'u1'))).toEqual({
      code: 'profile_does_not_exist',
      source: null,
      message: 'Profile not found',
    });
  });

  it('delete, then the profile no longer exists', () => {
    const events = eventsOf(deleteProfile(given(), context()));
    expect(events).toEqual([{ type: 'ProfileDeleted', data: { profile_id: PROFILE_ID, app_id: APP_ID, deleted_at: NOW.toISOString() } }]);
    const state = after(given(), events);
    expect(state.exists).toBe(false);
    expect(state.deleted).toBe(true);
    expect(errorOf(deleteProfile(state, context())).code).toBe('profile_does_not_exist');
  });
});

describe('update attributes', () => {
  const withAttrs = () =>
    given({ type: 'AttributesUpdated', data: { attributes: { first_name: 'Ann' }, custom_attributes: { sport: 'yoga', level: 3 } } });

  it('only what changed is recorded', () => {
    const decision = updateAttributes(withAttrs(), {
      attributes: { first_name: 'Ann', last_name: 'Lee' },
      custom_attributes: { sport: 'yoga', level: 4, gone: null },
    });
    expect(eventsOf(decision)).toEqual([{ type: 'AttributesUpdated', data: { attributes: { last_name: 'Lee' }, custom_attributes: { level: 4 } } }]);
  });

  it('nothing changed → no events', () => {
    expect(updateAttributes(withAttrs(), { attributes: { first_name: 'Ann' }, custom_attributes: { sport: 'yoga', level: 3, absent: null } })).toEqual([]);
  });

  it('null deletes an existing key', () => {
    const decision = updateAttributes(withAttrs(), { attributes: {}, custom_attributes: { sport: null } });
    expect(eventsOf(decision)).toEqual([{ type: 'AttributesUpdated', data: { attributes: {}, custom_attributes: { sport: null } } }]);
    expect(after(withAttrs(), decision).custom_attributes).toEqual(new Map([['level', 3]]));
  });

  it('a number 3 and a string "3" are different values', () => {
    expect(eventsOf(updateAttributes(withAttrs(), { attributes: {}, custom_attributes: { level: '3' } }))).toHaveLength(1);
  });

  it('at most 30 keys after merging; deletions in the same update make room', () => {
    const thirty = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`k${i}`, i]));
    const full = given({ type: 'AttributesUpdated', data: { attributes: {}, custom_attributes: thirty } });
    expect(errorOf(updateAttributes(full, { attributes: {}, custom_attributes: { extra: 1 } }))).toEqual({
      code: 'validation_error',
      source: 'custom_attributes',
      message: 'A profile can have at most 30 custom attributes.',
    });
    expect(eventsOf(updateAttributes(full, { attributes: {}, custom_attributes: { extra: 1, k0: null } }))).toHaveLength(1);
    expect(eventsOf(updateAttributes(full, { attributes: {}, custom_attributes: { k0: 'changed' } }))).toHaveLength(1);
  });

  it('a missing profile → profile_does_not_exist (source null)', () => {
    expect(errorOf(updateAttributes(initialProfileState(), { attributes: {}, custom_attributes: { a: 1 } }))).toEqual({
      code: 'profile_does_not_exist',
      source: null,
      message: 'Profile not found',
    });
  });
});
