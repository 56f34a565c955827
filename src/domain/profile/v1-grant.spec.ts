import { levelsBefore, webhookEventsFor } from '../webhooks/webhook-events';
import { foldProfile, initialProfileState } from './profile.state';
import { decideV1Grant, V1Grant, v1GrantEnd, v1GrantTransaction } from './v1-grant';
import {
  after,
  CATALOGUE,
  catalogueWith,
  context,
  day,
  errorOf,
  eventsOf,
  given,
  granted,
  levelsAt,
  ms,
  NOW,
  NOW_MS,
  recorded,
  subscription,
  v1Grant,
} from '../spec-support';

const withTransaction = (overrides: Partial<V1Grant> = {}): V1Grant =>
  v1Grant({ vendor_product_id: 'com.app.monthly', vendor_transaction_id: 'v1-tx-1', store: 'app_store', duration_days: 30, ...overrides });

describe('v1 grant: how long (is_lifetime > expires_at > duration_days)', () => {
  it('is_lifetime=true wins over expires_at and duration_days', () => {
    expect(v1GrantEnd(given(), v1Grant({ is_lifetime: true, expires_at: day(5), duration_days: 7 }), NOW_MS)).toEqual({ expires_at: null });
  });

  it('expires_at wins over duration_days, and is_lifetime=false gives way', () => {
    expect(v1GrantEnd(given(), v1Grant({ is_lifetime: false, expires_at: day(5), duration_days: 7 }), NOW_MS)).toEqual({ expires_at: day(5) });
  });

  it('duration_days counts from now for a profile without that access level', () => {
    expect(v1GrantEnd(given(), v1Grant({ duration_days: 7 }), NOW_MS)).toEqual({ expires_at: day(7) });
  });

  it('duration_days counts from starts_at when given', () => {
    expect(v1GrantEnd(given(), v1Grant({ duration_days: 7, starts_at: day(3) }), NOW_MS)).toEqual({ expires_at: day(10) });
  });

  it('duration_days adds to the current end of an active access level', () => {
    const state = given(granted('premium', null, day(4)));
    expect(v1GrantEnd(state, v1Grant({ duration_days: 7 }), NOW_MS)).toEqual({ expires_at: day(11) });
  });

  it('an expired access level does not carry over: duration_days counts from now', () => {
    const state = given(granted('premium', day(-10), day(-4)));
    expect(v1GrantEnd(state, v1Grant({ duration_days: 7 }), NOW_MS)).toEqual({ expires_at: day(7) });
  });

  it('none of the three (or only is_lifetime=false) is a 400 validation_error', () => {
    for (const cmd of [v1Grant(), v1Grant({ is_lifetime: false })]) {
      expect(errorOf(decideV1Grant(given(), cmd, CATALOGUE, context()))).toEqual({
        code: 'validation_error',
        source: 'non_field_errors',
        message: 'At least one of is_lifetime, expires_at or duration_days must be set.',
      });
    }
  });
});

describe('v1 grant without a transaction: an AccessGranted, as v2', () => {
  it('duration_days → a grant from starts_at (null = now) for that many days', () => {
    expect(eventsOf(decideV1Grant(given(), v1Grant({ duration_days: 30 }), CATALOGUE, context()))).toEqual([
      {
        type: 'AccessGranted',
        data: { grant_id: 'id-1', access_level_id: 'premium', starts_at: null, expires_at: day(30), granted_at: NOW.toISOString() },
      },
    ]);
  });

  it('is_lifetime → a grant with no end', () => {
    const [event] = eventsOf(decideV1Grant(given(), v1Grant({ is_lifetime: true }), CATALOGUE, context()));
    expect(event).toMatchObject({ type: 'AccessGranted', data: { expires_at: null } });
  });

  it('a product without a transaction id records no transaction', () => {
    const cmd = v1Grant({ duration_days: 3, vendor_product_id: 'p', store: 'app_store' });
    expect(eventsOf(decideV1Grant(given(), cmd, CATALOGUE, context())).map((e) => e.type)).toEqual(['AccessGranted']);
    expect(v1GrantTransaction(cmd, day(3), NOW)).toBeNull();
  });

  it('errors of v2 grant: missing profile (400 form), unknown access level', () => {
    expect(errorOf(decideV1Grant(initialProfileState(), v1Grant({ duration_days: 1 }), CATALOGUE, context()))).toEqual({
      code: 'profile_does_not_exist',
      source: 'non_field_errors',
      message: 'Profile not found',
    });
    expect(errorOf(decideV1Grant(given(), v1Grant({ access_level_id: 'gold', duration_days: 1 }), CATALOGUE, context())).code).toBe(
      'paid_access_level_does_not_exist',
    );
  });
});

describe('v1 grant with a transaction: a TransactionRecorded whose chain gives the URL access level', () => {
  it('a subscription from now to the end, unlocking the URL level even when the product is not mapped', () => {
    const catalogue = catalogueWith({}, ['gold']);
    const cmd = withTransaction({ access_level_id: 'gold', price: 4.99, price_locale: 'usd', introductory_offer_type: 'pay_up_front', is_sandbox: true });
    const events = eventsOf(decideV1Grant(given(), cmd, catalogue, context()));
    expect(events).toEqual([
      {
        type: 'TransactionRecorded',
        data: {
          transaction: {
            purchase_type: 'subscription',
            store: 'app_store',
            environment: 'Sandbox',
            store_product_id: 'com.app.monthly',
            store_transaction_id: 'v1-tx-1',
            store_original_transaction_id: 'v1-tx-1',
            is_family_shared: false,
            price: { country: '', currency: 'USD', value: 4.99 },
            purchased_at: NOW.toISOString(),
            variation_id: null,
            offer: { category: 'introductory', type: 'pay_up_front', id: null },
            refunded_at: null,
            cancellation_reason: null,
            originally_purchased_at: null,
            expires_at: day(30),
            renew_status: null,
            renew_status_changed_at: null,
            billing_issue_detected_at: null,
            grace_period_expires_at: null,
          },
          access_level_id: 'gold',
          purchase_id: 'id-1',
          effects: [],
          recorded_at: NOW.toISOString(),
        },
      },
    ]);
    const state = foldProfile(events, given());
    expect(state.total_revenue_usd).toBe(4.99);
    expect(levelsAt(state)).toEqual([
      expect.objectContaining({ access_level_id: 'gold', kind: 'subscription', store_transaction_id: 'v1-tx-1', expires_at: day(30), will_renew: false }),
    ]);
  });

  it('its transaction "generates no profile events": the only webhook is access_level_updated', () => {
    const before = given();
    const [event] = eventsOf(decideV1Grant(before, withTransaction({ price: 5 }), CATALOGUE, context()));
    const types = webhookEventsFor(levelsBefore(before, event), event, foldProfile([event], before)).map((w) => w.event_type);
    expect(types).toEqual(['access_level_updated']);
  });

  it('is_lifetime → a one-time purchase: lifetime access', () => {
    const state = after(given(), decideV1Grant(given(), withTransaction({ is_lifetime: true }), CATALOGUE, context()));
    expect([...state.chains.values()][0].current.purchase_type).toBe('one_time_purchase');
    expect(levelsAt(state, NOW_MS + 10_000 * 86_400_000)).toEqual([expect.objectContaining({ access_level_id: 'premium', until: null })]);
  });

  it('a lifetime grant whose original transaction differs is refused by the v2 one-time-purchase rule', () => {
    const cmd = withTransaction({ is_lifetime: true, vendor_original_transaction_id: 'other' });
    expect(errorOf(decideV1Grant(given(), cmd, CATALOGUE, context())).code).toBe('store_transaction_id_error');
  });

  it('a transaction id different from the original one continues that chain (a renewal)', () => {
    const first = after(given(), decideV1Grant(given(), withTransaction(), CATALOGUE, context()));
    const cmd = withTransaction({ vendor_transaction_id: 'v1-tx-2', vendor_original_transaction_id: 'v1-tx-1', starts_at: day(30), duration_days: 30 });
    const second = after(first, decideV1Grant(first, cmd, CATALOGUE, context(new Date(ms(day(1))))));
    expect([...second.chains.keys()]).toEqual(['v1-tx-1']);
    expect(second.chains.get('v1-tx-1')!.current.store_transaction_id).toBe('v1-tx-2');
    expect(second.chains.get('v1-tx-1')!.purchase_id).toBe('id-1');
  });

  it('the same transaction again is deduplicated: nothing is recorded twice', () => {
    const state = after(given(), decideV1Grant(given(), withTransaction(), CATALOGUE, context()));
    const retry = decideV1Grant(state, withTransaction(), CATALOGUE, context(new Date(NOW_MS + 60_000)));
    expect(eventsOf(retry)).toEqual([]);
  });

  it('a transaction already recorded for another access level is not recorded again, but the level is granted', () => {
    const state = given(recorded(subscription({ store_transaction_id: 'v1-tx-1', store_original_transaction_id: 'v1-tx-1' }), null));
    const events = eventsOf(decideV1Grant(state, withTransaction(), CATALOGUE, context()));
    expect(events.map((e) => e.type)).toEqual(['AccessGranted']);
    expect(events[0]).toMatchObject({ data: { access_level_id: 'premium', starts_at: null, expires_at: day(30) } });
  });

  it('v2 transaction rules still apply: a free trial must be free', () => {
    const cmd = withTransaction({ introductory_offer_type: 'free_trial', price: 3 });
    expect(errorOf(decideV1Grant(given(), cmd, CATALOGUE, context())).code).toBe('free_trial_price_error');
  });
});
