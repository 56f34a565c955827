import { AccessSource, accessLevelsAt, accessSources, GRANT_PRODUCT_ID, GRANT_STORE, isInGracePeriodAt } from './access';
import { grantAccess, recordTransaction, revokeAccess } from './profile.decide';
import { ProfileEvent } from './profile.events';
import { foldProfile, ProfileState } from './profile.state';
import {
  after,
  CATALOGUE,
  catalogueWith,
  context,
  day,
  given,
  granted,
  ms,
  NOW,
  NOW_MS,
  oneTime,
  recorded,
  revoked,
  subscription,
  trial,
} from '../spec-support';

/** then: the access levels shown at `at`, as {id: expires_at}. */
const levelsAt = (state: ProfileState, at: number = NOW_MS): Record<string, string | null> =>
  Object.fromEntries(accessLevelsAt(accessSources(state), at).map((s) => [s.access_level_id, s.expires_at]));
const levelAt = (state: ProfileState, id: string, at: number = NOW_MS): AccessSource | undefined =>
  accessLevelsAt(accessSources(state), at).find((s) => s.access_level_id === id);
const isActive = (s: AccessSource, at: number): boolean => s.from <= at && (s.until === null || at < s.until);

describe('access from transactions', () => {
  it('a mapped subscription product unlocks its level from purchase until expires_at', () => {
    const state = given(recorded(subscription()));
    const level = levelAt(state, 'premium')!;
    expect(level).toMatchObject({
      access_level_id: 'premium',
      kind: 'subscription',
      store: 'app_store',
      store_product_id: 'monthly',
      store_transaction_id: 'tx-1',
      store_original_transaction_id: 'tx-1',
      purchased_at: day(-10),
      originally_purchased_at: day(-10),
      expires_at: day(20),
      from: ms(day(-10)),
      until: ms(day(20)),
      will_renew: true,
      renewal_cancelled_at: null,
      is_trial: false,
    });
    expect(levelsAt(state, ms(day(20)) - 1)).toEqual({ premium: day(20) });
    expect(levelsAt(state, ms(day(20)))).toEqual({});
    expect(isActive(levelAt(state, 'premium', ms(day(-10)) - 1)!, ms(day(-10)) - 1)).toBe(false);
    expect(isActive(levelAt(state, 'premium', ms(day(-10)))!, ms(day(-10)))).toBe(true);
  });

  it('a product not in the catalogue is recorded but unlocks nothing', () => {
    const state = given(recorded(subscription({ store_product_id: 'unmapped' }), null));
    expect([...state.transactions.keys()]).toEqual(['tx-1']);
    expect(state.chains.get('tx-1')!.access_level_id).toBeNull();
    expect(accessSources(state)).toEqual([]);
    expect(levelsAt(state)).toEqual({});
  });

  it('decide maps through the catalogue: unmapped product → no access, mapped to gold → gold', () => {
    const catalogue = catalogueWith({ monthly: 'gold' }, ['gold']);
    const s1 = after(given(), recordTransaction(given(), subscription({ store_product_id: 'other' }), catalogue, context()));
    expect(levelsAt(s1)).toEqual({});
    const s2 = after(given(), recordTransaction(given(), subscription(), catalogue, context()));
    expect(levelsAt(s2)).toEqual({ gold: day(20) });
  });

  it('a mapped one-time purchase unlocks its level for life', () => {
    const state = given(recorded(oneTime()));
    expect(levelAt(state, 'premium')).toMatchObject({ kind: 'one_time_purchase', expires_at: null, until: null, will_renew: false });
    expect(levelsAt(state, ms(day(36500)))).toEqual({ premium: null });
  });

  it('a trial gives access until its expires_at, is_trial true', () => {
    const state = given(recorded(trial({ purchased_at: day(-1), originally_purchased_at: day(-1), expires_at: day(6) })));
    expect(levelAt(state, 'premium')).toMatchObject({ is_trial: true, expires_at: day(6) });
  });

  it('a renewal extends to the new expires_at and clears the billing issue', () => {
    const first = subscription({ purchased_at: day(-40), originally_purchased_at: day(-40), expires_at: day(-10), billing_issue_detected_at: day(-11) });
    const renewal = subscription({ store_transaction_id: 'tx-2', purchased_at: day(-10), originally_purchased_at: day(-40), expires_at: day(20) });
    const state = given(recorded(first), recorded(renewal));
    expect(levelAt(state, 'premium')).toMatchObject({
      store_transaction_id: 'tx-2',
      store_original_transaction_id: 'tx-1',
      originally_purchased_at: day(-40),
      from: ms(day(-40)),
      expires_at: day(20),
      billing_issue_detected_at: null,
    });
  });

  it('renewal cancelled: access kept until expires_at, renewal_cancelled_at set, will_renew false; reactivation clears it', () => {
    const cancelled = subscription({ renew_status: false, renew_status_changed_at: day(-2) });
    const state = given(recorded(subscription()), recorded(cancelled));
    expect(levelAt(state, 'premium')).toMatchObject({ expires_at: day(20), renewal_cancelled_at: day(-2), will_renew: false });
    const reactivated = subscription({ renew_status: true, renew_status_changed_at: day(-1) });
    expect(levelAt(foldAfter(state, recorded(reactivated)), 'premium')).toMatchObject({ renewal_cancelled_at: null, will_renew: true });
  });

  it('refund of the current transaction ends the chain access at refunded_at', () => {
    const refunded = subscription({ refunded_at: day(-2), cancellation_reason: 'refund' });
    const state = given(recorded(subscription()), recorded(refunded));
    const [source] = accessSources(state);
    expect(source).toMatchObject({ until: ms(day(-2)), expires_at: day(-2), will_renew: false, cancellation_reason: 'refund' });
    expect(levelsAt(state, ms(day(-2)) - 1)).toEqual({ premium: day(-2) });
    expect(levelsAt(state)).toEqual({});
  });

  it('refund in the future (refunded_at after now) keeps access until then', () => {
    const refunded = subscription({ refunded_at: day(1), cancellation_reason: 'refund' });
    expect(levelsAt(given(recorded(refunded)))).toEqual({ premium: day(1) });
  });

  it('refund of a one-time purchase ends its lifetime access', () => {
    const state = given(recorded(oneTime()), recorded(oneTime({ refunded_at: day(-1), cancellation_reason: 'refund' })));
    expect(levelsAt(state, ms(day(-1)) - 1)).toEqual({ premium: day(-1) });
    expect(levelsAt(state)).toEqual({});
  });

  it('refund of an older transaction changes revenue only', () => {
    const first = subscription({ purchased_at: day(-40), originally_purchased_at: day(-40), expires_at: day(-10) });
    const renewal = subscription({ store_transaction_id: 'tx-2', purchased_at: day(-10), originally_purchased_at: day(-40), expires_at: day(20) });
    const before = given(recorded(first), recorded(renewal));
    const state = foldAfter(before, recorded({ ...first, refunded_at: day(-30), cancellation_reason: 'refund' }));
    expect(accessSources(state)).toEqual(accessSources(before));
    expect(levelsAt(state)).toEqual({ premium: day(20) });
    expect(before.total_revenue_usd).toBe(19.98);
    expect(state.total_revenue_usd).toBe(9.99);
  });

  it('a late, older transaction never rolls access back', () => {
    const third = subscription({ store_transaction_id: 'tx-3', purchased_at: day(-10), originally_purchased_at: day(-70), expires_at: day(20) });
    const second = subscription({ store_transaction_id: 'tx-2', purchased_at: day(-40), originally_purchased_at: day(-70), expires_at: day(-10), renew_status: false, renew_status_changed_at: day(-39) });
    const first = subscription({ store_transaction_id: 'tx-1', purchased_at: day(-70), originally_purchased_at: day(-70), expires_at: day(-40) });
    const state = given(recorded(third), recorded(second), recorded(first));
    expect(levelAt(state, 'premium')).toMatchObject({ store_transaction_id: 'tx-3', expires_at: day(20), will_renew: true, from: ms(day(-70)) });
    expect(state.chains.get('tx-1')!.first_purchased_at).toBe(day(-70));
  });

  describe('billing issue and grace', () => {
    const inGrace = subscription({
      purchased_at: day(-40),
      originally_purchased_at: day(-40),
      expires_at: day(-10),
      billing_issue_detected_at: day(-10),
      grace_period_expires_at: day(6),
    });

    it('grace keeps access until grace_period_expires_at; is_in_grace_period true inside it', () => {
      const state = given(recorded(inGrace));
      const level = levelAt(state, 'premium')!;
      expect(level).toMatchObject({ expires_at: day(6), until: ms(day(6)), grace_period_expires_at: day(6), billing_issue_detected_at: day(-10) });
      expect(isInGracePeriodAt(level, NOW_MS)).toBe(true);
      expect(isInGracePeriodAt(level, ms(day(6)) - 1)).toBe(true);
      expect(isInGracePeriodAt(level, ms(day(6)))).toBe(false);
      expect(levelsAt(state, ms(day(6)))).toEqual({});
    });

    it('a billing issue without grace gives nothing beyond expires_at', () => {
      const state = given(recorded(subscription({ billing_issue_detected_at: day(-1) })));
      const level = levelAt(state, 'premium')!;
      expect(level.expires_at).toBe(day(20));
      expect(isInGracePeriodAt(level, NOW_MS)).toBe(false);
    });

    it('a refund during grace ends access and grace', () => {
      const state = given(recorded({ ...inGrace, refunded_at: day(-1), cancellation_reason: 'refund' }));
      expect(levelsAt(state)).toEqual({});
      expect(isInGracePeriodAt(accessSources(state)[0], NOW_MS)).toBe(false);
    });

    it('a renewal ends grace', () => {
      const renewal = subscription({ store_transaction_id: 'tx-2', purchased_at: day(-1), originally_purchased_at: day(-40), expires_at: day(29) });
      const level = levelAt(given(recorded(inGrace), recorded(renewal)), 'premium')!;
      expect(level).toMatchObject({ expires_at: day(29), grace_period_expires_at: null, billing_issue_detected_at: null });
      expect(isInGracePeriodAt(level, NOW_MS)).toBe(false);
    });
  });

  it('expired access is not listed', () => {
    const old = subscription({ purchased_at: day(-60), originally_purchased_at: day(-60), expires_at: day(-30) });
    const state = given(recorded(old), granted('premium', day(-20), day(-10)));
    expect(accessSources(state)).toHaveLength(2);
    expect(accessLevelsAt(accessSources(state), NOW_MS)).toEqual([]);
  });
});

describe('several sources on one level', () => {
  it('the one lasting longest is shown', () => {
    const state = given(recorded(subscription()), granted('premium', null, day(60), 'g1'));
    expect(levelAt(state, 'premium')).toMatchObject({ kind: 'grant', store_transaction_id: 'g1', expires_at: day(60) });
    const shorter = given(recorded(subscription()), granted('premium', null, day(5), 'g1'));
    expect(levelAt(shorter, 'premium')).toMatchObject({ kind: 'subscription', store_transaction_id: 'tx-1', expires_at: day(20) });
  });

  it('lifetime beats any date', () => {
    const state = given(granted('premium', null, day(36500), 'g1'), recorded(oneTime()), recorded(subscription()));
    expect(levelAt(state, 'premium')).toMatchObject({ kind: 'one_time_purchase', store_transaction_id: 'otp-1', expires_at: null });
  });

  it('when the longest one ends, the other is shown', () => {
    const state = given(recorded(subscription()), granted('premium', day(-30), day(-1), 'g1'));
    expect(levelAt(state, 'premium')).toMatchObject({ store_transaction_id: 'tx-1' });
  });

  it('an active source beats an upcoming one that would last longer', () => {
    const state = given(recorded(subscription()), granted('premium', day(30), null, 'future'));
    expect(levelAt(state, 'premium')).toMatchObject({ store_transaction_id: 'tx-1' });
    expect(levelAt(state, 'premium', ms(day(30)))).toMatchObject({ store_transaction_id: 'future' });
  });

  it('one entry per level, levels are independent', () => {
    const catalogue = catalogueWith({ monthly: 'premium' }, ['gold']);
    const s0 = given(recorded(subscription()));
    const s1 = after(s0, grantAccess(s0, { access_level_id: 'gold', starts_at: null, expires_at: day(3) }, catalogue, context()));
    expect(levelsAt(s1)).toEqual({ premium: day(20), gold: day(3) });
  });
});

describe('grants', () => {
  const grant = (state: ProfileState, starts_at: string | null, expires_at: string | null, now: Date = NOW) =>
    after(state, grantAccess(state, { access_level_id: 'premium', starts_at, expires_at }, CATALOGUE, context(now)));

  it('immediate: active from now, adapty store, no renewal', () => {
    const level = levelAt(grant(given(), null, day(30)), 'premium')!;
    expect(level).toMatchObject({
      kind: 'grant',
      store: GRANT_STORE,
      store_product_id: GRANT_PRODUCT_ID,
      store_transaction_id: 'id-1',
      starts_at: null,
      purchased_at: NOW.toISOString(),
      from: NOW_MS,
      expires_at: day(30),
      will_renew: false,
    });
    expect(isActive(level, NOW_MS)).toBe(true);
  });

  it('future starts_at: shown as upcoming, not active, until it starts', () => {
    const state = grant(given(), day(10), day(40));
    const level = levelAt(state, 'premium')!;
    expect(level).toMatchObject({ starts_at: day(10), from: ms(day(10)), expires_at: day(40) });
    expect(isActive(level, NOW_MS)).toBe(false);
    expect(isActive(levelAt(state, 'premium', ms(day(10)))!, ms(day(10)))).toBe(true);
  });

  it('expires_at: no access from then on', () => {
    const state = grant(given(), null, day(30));
    expect(levelsAt(state, ms(day(30)) - 1)).toEqual({ premium: day(30) });
    expect(levelsAt(state, ms(day(30)))).toEqual({});
  });

  it('lifetime: expires_at null, no end', () => {
    const state = grant(given(), null, null);
    expect(levelsAt(state, ms(day(365 * 100)))).toEqual({ premium: null });
  });

  it('lifetime starting later', () => {
    const state = grant(given(), day(5), null);
    expect(levelAt(state, 'premium')).toMatchObject({ starts_at: day(5), expires_at: null, until: null });
  });
});

describe('revoke', () => {
  const revoke = (state: ProfileState, revoke_at: string | null, id = 'premium') =>
    after(state, revokeAccess(state, { access_level_id: id, revoke_at }, catalogueWith(undefined, ['gold']), context()));

  it('revoke now ends every source of that level and no other level', () => {
    const before = given(recorded(subscription()), recorded(oneTime()), granted('premium', null, null, 'g1'), granted('gold', null, null, 'g2'));
    const state = revoke(before, null);
    expect(levelsAt(state)).toEqual({ gold: null });
    for (const s of accessSources(state).filter((s) => s.access_level_id === 'premium')) {
      expect(s.until).toBe(NOW_MS);
      expect(s.expires_at).toBe(NOW.toISOString());
    }
    // Looking just before the revoke, every premium source now ends at the revoke instant.
    expect(levelsAt(state, NOW_MS - 1)).toEqual({ premium: NOW.toISOString(), gold: null });
  });

  it('revoke_at in the future caps the access there', () => {
    const state = revoke(given(recorded(subscription()), granted('premium', null, null, 'g1')), day(3));
    expect(levelsAt(state)).toEqual({ premium: day(3) });
    expect(levelsAt(state, ms(day(3)))).toEqual({});
  });

  it('a scheduled revoke also caps an upcoming grant before it starts', () => {
    const state = given(granted('premium', null, day(30), 'g1'), granted('premium', day(10), day(40), 'g2'), revoked('premium', day(5), NOW.toISOString()));
    expect(levelsAt(state)).toEqual({ premium: day(5) });
    expect(levelsAt(state, ms(day(5)))).toEqual({});
    expect(levelsAt(state, ms(day(10)))).toEqual({});
  });

  it('a grant after a revoke gives access again', () => {
    const state = given(recorded(subscription()), revoked('premium', day(-1)), granted('premium', null, day(7), 'g-after'));
    expect(levelAt(state, 'premium')).toMatchObject({ store_transaction_id: 'g-after', expires_at: day(7) });
  });

  it('a renewal after a revoke gives access again', () => {
    const renewal = subscription({ store_transaction_id: 'tx-2', purchased_at: day(-0.5), originally_purchased_at: day(-10), expires_at: day(29) });
    const state = given(recorded(subscription()), revoked('premium', day(-1)), recorded(renewal));
    expect(levelsAt(state)).toEqual({ premium: day(29) });
  });

  it('an update of the same transaction after a revoke does not give access again', () => {
    const update = subscription({ renew_status: false, renew_status_changed_at: day(-0.5) });
    const state = given(recorded(subscription()), revoked('premium', day(-1)), recorded(update));
    expect(levelsAt(state)).toEqual({});
  });

  it('a late, older transaction after a revoke does not give access again', () => {
    const renewal = subscription({ store_transaction_id: 'tx-2', purchased_at: day(-10), expires_at: day(20), originally_purchased_at: day(-40) });
    const late = subscription({ store_transaction_id: 'tx-0', purchased_at: day(-40), expires_at: day(-10), originally_purchased_at: day(-40) });
    const state = given(recorded(renewal), revoked('premium', day(-1)), recorded(late));
    expect(levelsAt(state)).toEqual({});
  });
});

function foldAfter(state: ProfileState, ...events: ProfileEvent[]): ProfileState {
  return foldProfile(events, state);
}
