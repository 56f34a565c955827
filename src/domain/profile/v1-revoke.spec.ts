import { accessSources } from './access';
import { recordExpiries } from './expiry';
import { initialProfileState } from './profile.state';
import { decideV1Grant, V1Grant } from './v1-grant';
import { decideV1Revoke } from './v1-revoke';
import {
  after,
  CATALOGUE,
  context,
  day,
  errorOf,
  eventsOf,
  given,
  granted,
  levelsAt,
  NOW,
  NOW_MS,
  oneTime,
  recorded,
  subscription,
  v1Grant,
} from '../spec-support';

/** A 30-day v1 grant with a linked app_store transaction. */
const paidGrant = (): V1Grant =>
  v1Grant({
    duration_days: 30,
    vendor_product_id: 'com.app.monthly',
    vendor_transaction_id: 'v1-tx-1',
    store: 'app_store',
    price: 9.99,
    price_locale: 'USD',
    is_sandbox: false,
  });

describe('v1 revoke', () => {
  it('a grant only: the v2 revocation now, nothing else', () => {
    const state = given(granted('premium', null, day(30)));
    expect(eventsOf(decideV1Revoke(state, { access_level_id: 'premium', is_refund: true }, CATALOGUE, context()))).toEqual([
      { type: 'AccessRevoked', data: { access_level_id: 'premium', revoke_at: NOW.toISOString(), revoked_at: NOW.toISOString() } },
    ]);
  });

  it('access ends now: expires_at = max(starts_at, now)', () => {
    const ongoing = after(given(granted('premium', day(-2), day(30))), decideV1Revoke(given(granted('premium', day(-2), day(30))), { access_level_id: 'premium', is_refund: false }, CATALOGUE, context()));
    expect(levelsAt(ongoing)).toEqual([]);
    const source = accessSources(ongoing)[0];
    expect(source.expires_at).toBe(NOW.toISOString());
    const scheduled = given(granted('premium', day(5), day(30)));
    const revokedScheduled = after(scheduled, decideV1Revoke(scheduled, { access_level_id: 'premium', is_refund: false }, CATALOGUE, context()));
    expect(accessSources(revokedScheduled)[0].expires_at).toBe(day(5));
    expect(levelsAt(revokedScheduled, NOW_MS + 6 * 86_400_000)).toEqual([]);
  });

  it('with a linked subscription: its expiration moves to now and its renewal is off, no webhook effect', () => {
    const state = after(given(), decideV1Grant(given(), paidGrant(), CATALOGUE, context(new Date(Date.parse(day(-1))))));
    const events = eventsOf(decideV1Revoke(state, { access_level_id: 'premium', is_refund: false }, CATALOGUE, context()));
    expect(events.map((e) => e.type)).toEqual(['AccessRevoked', 'TransactionRecorded']);
    expect(events[1]).toMatchObject({
      data: {
        access_level_id: 'premium',
        effects: [],
        transaction: {
          store_transaction_id: 'v1-tx-1',
          expires_at: NOW.toISOString(),
          renew_status: false,
          renew_status_changed_at: NOW.toISOString(),
          refunded_at: null,
          cancellation_reason: 'adapty_revoked',
        },
      },
    });
    const next = after(state, events);
    expect(levelsAt(next)).toEqual([]);
    expect(next.total_revenue_usd).toBe(9.99);
  });

  it('the end it now has is recorded as a revocation (adapty_revoked), once', () => {
    const state = after(given(), decideV1Grant(given(), paidGrant(), CATALOGUE, context(new Date(Date.parse(day(-1))))));
    const revokedState = after(state, decideV1Revoke(state, { access_level_id: 'premium', is_refund: false }, CATALOGUE, context()));
    const later = context(new Date(NOW_MS + 1000));
    const expiries = eventsOf(recordExpiries(revokedState, later));
    expect(expiries).toEqual([expect.objectContaining({ type: 'SourceExpired', data: expect.objectContaining({ until: NOW.toISOString(), cancellation_reason: 'adapty_revoked' }) })]);
    expect(eventsOf(recordExpiries(after(revokedState, expiries), later))).toEqual([]);
  });

  it('is_refund: the linked transaction is refunded now, its revenue is 0, and subscription_refunded is kept', () => {
    const state = after(given(), decideV1Grant(given(), paidGrant(), CATALOGUE, context(new Date(Date.parse(day(-1))))));
    expect(state.total_revenue_usd).toBe(9.99);
    const events = eventsOf(decideV1Revoke(state, { access_level_id: 'premium', is_refund: true }, CATALOGUE, context()));
    expect(events[1]).toMatchObject({
      data: { effects: ['subscription_refunded'], transaction: { refunded_at: NOW.toISOString(), cancellation_reason: 'refund' } },
    });
    const next = after(state, events);
    expect(next.total_revenue_usd).toBe(0);
    expect(levelsAt(next)).toEqual([]);
  });

  it('is_refund on a store purchase giving the level (v2 set transaction): refunded, revenue gone', () => {
    const state = given(recorded(oneTime()));
    const next = after(state, decideV1Revoke(state, { access_level_id: 'premium', is_refund: true }, CATALOGUE, context()));
    expect(next.transactions.get('otp-1')).toMatchObject({ refunded_at: NOW.toISOString(), cancellation_reason: 'refund' });
    expect(next.total_revenue_usd).toBe(0);
    expect(levelsAt(next)).toEqual([]);
  });

  it('when a grant is shown, the refund still finds the subscription behind the level', () => {
    const state = given(recorded(subscription()), granted('premium', null, null));
    const next = after(state, decideV1Revoke(state, { access_level_id: 'premium', is_refund: true }, CATALOGUE, context()));
    expect(next.transactions.get('tx-1')!.refunded_at).toBe(NOW.toISOString());
    expect(next.total_revenue_usd).toBe(0);
  });

  it('a renewal already turned off keeps its renew_status_changed_at; the expiration still moves to now', () => {
    const t = subscription({ renew_status: false, renew_status_changed_at: day(-5) });
    const state = given(recorded(t), granted('premium', null, null));
    const events = eventsOf(decideV1Revoke(state, { access_level_id: 'premium', is_refund: false }, CATALOGUE, context()));
    expect(events.map((e) => e.type)).toEqual(['AccessRevoked', 'TransactionRecorded']);
    expect(events[1]).toMatchObject({
      data: { transaction: { expires_at: NOW.toISOString(), renew_status: false, renew_status_changed_at: day(-5), cancellation_reason: 'adapty_revoked' } },
    });
  });

  it('errors of v2 revoke: missing profile, unknown level, a level the profile does not have', () => {
    expect(errorOf(decideV1Revoke(initialProfileState(), { access_level_id: 'premium', is_refund: false }, CATALOGUE, context())).code).toBe(
      'profile_does_not_exist',
    );
    expect(errorOf(decideV1Revoke(given(), { access_level_id: 'gold', is_refund: false }, CATALOGUE, context())).code).toBe(
      'paid_access_level_does_not_exist',
    );
    expect(errorOf(decideV1Revoke(given(), { access_level_id: 'premium', is_refund: false }, CATALOGUE, context())).code).toBe(
      'profile_paid_access_level_does_not_exist',
    );
  });
});
