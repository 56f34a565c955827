/**
 * Given/when/then helpers for the domain unit tests (no test-framework globals here, so the
 * file also type-checks in the production build).
 *
 * given: past events folded with foldProfile; when: a decide call with a fixed `now` and
 * deterministic ids; then: the events or the DomainError.
 */
import { CatalogueState, initialCatalogue } from './catalogue/catalogue';
import { AccessSource, accessLevelsAt, accessSources } from './profile/access';
import { DecideContext, Decision } from './profile/profile.decide';
import { ProfileEvent, Transaction } from './profile/profile.events';
import { foldProfile, ProfileState } from './profile/profile.state';
import { V1Grant } from './profile/v1-grant';
import { DomainError, isDomainError } from './shared/domain-error';

export const APP_ID = '11111111-1111-4111-8111-111111111111';
export const PROFILE_ID = '22222222-2222-4222-8222-222222222222';

/** The fixed "now" of every scenario unless a test says otherwise. */
export const NOW = new Date('2025-06-01T12:00:00.000Z');
export const NOW_MS = NOW.getTime();

const DAY = 24 * 60 * 60 * 1000;
/** An instant `n` days (may be fractional or negative) after NOW, as an ISO string. */
export const day = (n: number, from: Date = NOW): string => new Date(from.getTime() + n * DAY).toISOString();
export const ms = (iso: string): number => Date.parse(iso);

/** A decide context whose ids are `id-1`, `id-2`, … */
export function context(now: Date = NOW): DecideContext {
  let n = 0;
  return { now, newId: () => `id-${++n}` };
}

export const profileCreated = (created_at: string = day(-365)): ProfileEvent => ({
  type: 'ProfileCreated',
  data: { app_id: APP_ID, profile_id: PROFILE_ID, customer_user_id: null, created_at, attributes: {}, custom_attributes: {} },
});

/** A valid paid subscription transaction, purchased 10 days ago, renewing, for one month. */
export function subscription(overrides: Partial<Transaction> = {}): Transaction {
  return {
    purchase_type: 'subscription',
    store: 'app_store',
    environment: 'Production',
    store_product_id: 'monthly',
    store_transaction_id: 'tx-1',
    store_original_transaction_id: 'tx-1',
    is_family_shared: false,
    price: { country: 'US', currency: 'USD', value: 9.99 },
    purchased_at: day(-10),
    variation_id: null,
    offer: null,
    refunded_at: null,
    cancellation_reason: null,
    originally_purchased_at: day(-10),
    expires_at: day(20),
    renew_status: true,
    renew_status_changed_at: null,
    billing_issue_detected_at: null,
    grace_period_expires_at: null,
    ...overrides,
  };
}

/** A valid free trial (introductory offer, price 0). */
export const trial = (overrides: Partial<Transaction> = {}): Transaction =>
  subscription({
    price: { country: 'US', currency: 'USD', value: 0 },
    offer: { category: 'introductory', type: 'free_trial', id: null },
    expires_at: day(-3),
    ...overrides,
  });

/** A valid one-time purchase, bought 5 days ago. */
export function oneTime(overrides: Partial<Transaction> = {}): Transaction {
  return {
    purchase_type: 'one_time_purchase',
    store: 'app_store',
    environment: 'Production',
    store_product_id: 'lifetime',
    store_transaction_id: 'otp-1',
    store_original_transaction_id: 'otp-1',
    is_family_shared: false,
    price: { country: 'US', currency: 'USD', value: 49.99 },
    purchased_at: day(-5),
    variation_id: null,
    offer: null,
    refunded_at: null,
    cancellation_reason: null,
    originally_purchased_at: null,
    expires_at: null,
    renew_status: null,
    renew_status_changed_at: null,
    billing_issue_detected_at: null,
    grace_period_expires_at: null,
    ...overrides,
  };
}

/** A v1 grant of premium with every optional field null (as when the body leaves it out). */
export const v1Grant = (overrides: Partial<V1Grant> = {}): V1Grant => ({
  access_level_id: 'premium',
  is_lifetime: null,
  expires_at: null,
  duration_days: null,
  starts_at: null,
  vendor_product_id: null,
  vendor_transaction_id: null,
  vendor_original_transaction_id: null,
  store: null,
  introductory_offer_type: null,
  price: null,
  price_locale: null,
  is_sandbox: null,
  ...overrides,
});

/** A past TransactionRecorded event, as decide would have written it. */
export const recorded = (
  transaction: Transaction,
  access_level_id: string | null = 'premium',
  purchase_id = `purchase-${transaction.store_original_transaction_id}`,
  effects: string[] = [],
): ProfileEvent => ({
  type: 'TransactionRecorded',
  data: { transaction, access_level_id, purchase_id, effects, recorded_at: transaction.purchased_at },
});

export const granted = (
  access_level_id: string,
  starts_at: string | null,
  expires_at: string | null,
  grant_id = `grant-${access_level_id}`,
  granted_at: string = day(-1),
): ProfileEvent => ({ type: 'AccessGranted', data: { grant_id, access_level_id, starts_at, expires_at, granted_at } });

export const revoked = (access_level_id: string, revoke_at: string, revoked_at: string = day(-1)): ProfileEvent => ({
  type: 'AccessRevoked',
  data: { access_level_id, revoke_at, revoked_at },
});

/** given: the profile exists, then these events happened. */
export const given = (...events: ProfileEvent[]): ProfileState => foldProfile([profileCreated(), ...events]);

/** A catalogue with `premium`, the extra access levels, and product → access level mappings. */
export function catalogueWith(products: Record<string, string> = { monthly: 'premium', lifetime: 'premium' }, levels: string[] = []): CatalogueState {
  const c = initialCatalogue();
  const accessLevels = new Map(c.access_levels);
  for (const id of levels) accessLevels.set(id, { created_at: day(-400) });
  const mapped = new Map(Object.entries(products).map(([id, access_level_id]) => [id, { access_level_id, updated_at: day(-400) }]));
  return { access_levels: accessLevels, products: mapped };
}
export const CATALOGUE = catalogueWith();

/** then: the decision was events (throws with the error otherwise, so the test fails loudly). */
export function eventsOf(decision: Decision): ProfileEvent[] {
  if (isDomainError(decision)) throw new Error(`expected events, got ${decision.code}: ${decision.message}`);
  return decision;
}

/** then: the decision was a DomainError, as a plain {code, source, message}. */
export function errorOf(decision: Decision | DomainError | null | unknown): { code: string; source: string | null; message: string } {
  if (!isDomainError(decision)) throw new Error(`expected a DomainError, got ${JSON.stringify(decision)}`);
  return { code: decision.code, source: decision.source, message: decision.message };
}

/** then: the webhook types of the single TransactionRecorded the decision produced. */
export function effectsOf(decision: Decision): string[] {
  const events = eventsOf(decision);
  if (events.length !== 1 || events[0].type !== 'TransactionRecorded') {
    throw new Error(`expected one TransactionRecorded, got ${JSON.stringify(events.map((e) => e.type))}`);
  }
  return events[0].data.effects;
}

/** The access levels the state shows at an instant (NOW unless told otherwise). */
export const levelsAt = (state: ProfileState, at: number = NOW_MS): AccessSource[] => accessLevelsAt(accessSources(state), at);

/** Folds the decision's events onto the state (the state after the command). */
export const after = (state: ProfileState, decision: Decision): ProfileState => foldProfile(eventsOf(decision), state);
