import type { Clock } from '../../src/domain/shared/clock';
import { call, Reply, V2 } from './ledger-server';

/**
 * Builders and assertions the e2e suites share: v2 paths, request bodies, the shapes the API
 * answers with, and the error envelope. Each builder takes overrides for any field.
 */

export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const PROFILE = `${V2}/profile/`;
export const SET = `${V2}/purchase/set/transaction/`;
export const GRANT = `${V2}/purchase/profile/grant/access-level/`;
export const GRANT_ALIAS = `${V2}/grant/access-level/`;
export const REVOKE = `${V2}/purchase/profile/revoke/access-level/`;

type Fields = Record<string, unknown>;

/** An instant `offset` ms from the clock's now, on a whole second (so the v2 API echoes it without a fraction). */
export const wholeSecond = (clock: Clock, offset: number): string =>
  new Date(Math.floor((clock.now().getTime() + offset) / 1000) * 1000).toISOString();

/** How the v2 API writes an instant on a whole second. */
export const v2Date = (iso: string): string => iso.replace(/\.000Z$/, '+00:00');

/**
 * A set-transaction body for a premium.monthly subscription bought a day before the clock's now,
 * expiring in 29 days, renewing. originally_purchased_at follows an overridden purchased_at.
 */
export function subscriptionBody(clock: Clock, o: Fields = {}): Fields {
  const purchased = (o.purchased_at as string) ?? wholeSecond(clock, -DAY);
  return {
    purchase_type: 'subscription',
    store: 'app_store',
    store_product_id: 'premium.monthly',
    store_transaction_id: 'tx-1',
    store_original_transaction_id: 'tx-1',
    price: { country: 'US', currency: 'USD', value: 9.99 },
    purchased_at: purchased,
    originally_purchased_at: purchased,
    expires_at: wholeSecond(clock, 29 * DAY),
    renew_status: true,
    ...o,
  };
}

/** A set-transaction body for a one-time purchase of lifetime.unlock, bought a day before the clock's now. */
export const oneTimeBody = (clock: Clock, o: Fields = {}): Fields => ({
  purchase_type: 'one_time_purchase',
  store: 'play_store',
  store_product_id: 'lifetime.unlock',
  store_transaction_id: 'otp-1',
  store_original_transaction_id: 'otp-1',
  price: { country: 'DE', currency: 'USD', value: 49.5 },
  purchased_at: wholeSecond(clock, -DAY),
  ...o,
});

/** The fields a v2 access level and a v2 subscriptions[] entry share, as a plain production purchase has them. */
const PLAIN_PURCHASE = {
  store_base_plan_id: null,
  offer: null,
  environment: 'Production',
  renewal_cancelled_at: null,
  billing_issue_detected_at: null,
  is_in_grace_period: false,
  cancellation_reason: null,
};

/** A v2 access level as the API writes it; `o` gives the store, product, ids and dates. */
export const v2AccessLevel = (o: Fields): Fields => ({ access_level_id: 'premium', starts_at: null, expires_at: null, ...PLAIN_PURCHASE, ...o });

/** A v2 subscriptions[] entry as the API writes it; `o` gives the store, product, ids and dates. */
export const v2Subscription = (o: Fields): Fields => ({ ...PLAIN_PURCHASE, ...o });

/** Adapty's error envelope with one message. */
export const envelope = (status: number, code: string, source: string | null, message: string) => ({
  errors: [{ source, errors: [message] }],
  error_code: code,
  status_code: status,
});

/** A refusal must be a 4xx with the envelope whose status_code is the HTTP status. */
export function expectEnvelope(r: Reply, status?: number): void {
  if (status !== undefined) expect(r.status).toBe(status);
  expect(r.status).toBeGreaterThanOrEqual(400);
  expect(r.status).toBeLessThan(500);
  expect(r.headers.get('content-type')).toMatch(/^application\/json/);
  expect(Object.keys(r.body).sort()).toEqual(['error_code', 'errors', 'status_code']);
  expect(r.body.status_code).toBe(r.status);
  expect(typeof r.body.error_code).toBe('string');
  expect(r.body.errors.length).toBeGreaterThan(0);
  for (const e of r.body.errors) {
    expect(Object.keys(e).sort()).toEqual(['errors', 'source']);
    expect(e.source === null || typeof e.source === 'string').toBe(true);
    expect(e.errors.length).toBeGreaterThan(0);
    for (const m of e.errors) expect(typeof m).toBe('string');
  }
}

/** A 200 profile reply's data without the response time, to compare two reads. */
export function withoutTimestamp(r: Reply) {
  expect(r.status).toBe(200);
  const { timestamp: _t, ...rest } = r.body.data;
  return rest;
}

/** Declares access levels, then maps products to access levels, over the admin API (the test fails unless each is 200). */
export async function declareCatalogue(url: string, catalogue: { levels?: string[]; products?: Record<string, string> }): Promise<void> {
  for (const level of catalogue.levels ?? []) {
    expect((await call(url, { method: 'PUT', path: `/admin/v1/access-levels/${level}` })).status).toBe(200);
  }
  for (const [product, level] of Object.entries(catalogue.products ?? {})) {
    expect((await call(url, { method: 'PUT', path: `/admin/v1/products/${product}`, body: { access_level_id: level } })).status).toBe(200);
  }
}

/** POST /profile/ for a customer user id; the profile's data (the test fails unless 200). */
export async function createProfile(url: string, customerUserId: string, body: unknown = {}) {
  const r = await call(url, { method: 'POST', path: PROFILE, customerUserId, body });
  expect(r.status).toBe(200);
  return r.body.data;
}

/** GET /profile/ by customer user id; the profile's data (the test fails unless 200). */
export async function getProfile(url: string, customerUserId: string) {
  const r = await call(url, { path: PROFILE, customerUserId });
  expect(r.status).toBe(200);
  return r.body.data;
}
