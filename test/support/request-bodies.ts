/*
 * Set-transaction bodies that real-process tests send from several files (the in-process suites
 * build theirs from a pinned clock: test/support/fixtures.ts).
 */

/** A one-time purchase of `coins`: every id is a new transaction, so concurrent writes never collide on data. */
export const coinPurchase = (id: string) => ({
  purchase_type: 'one_time_purchase',
  store: 'app_store',
  store_product_id: 'coins',
  store_transaction_id: id,
  store_original_transaction_id: id,
  price: { country: 'US', currency: 'USD', value: 1 },
  purchased_at: '2024-01-01T00:00:00.000Z',
});

/** A Stripe `monthly` subscription bought a minute before `now` that ends at `expiresAt` without renewal. */
export const endingSubscription = (id: string, now: number, expiresAt: number) => ({
  purchase_type: 'subscription',
  store: 'stripe',
  store_product_id: 'monthly',
  store_transaction_id: id,
  store_original_transaction_id: id,
  price: { country: 'US', currency: 'USD', value: 1 },
  purchased_at: new Date(now - 60_000).toISOString(),
  originally_purchased_at: new Date(now - 60_000).toISOString(),
  expires_at: new Date(expiresAt).toISOString(),
  renew_status: false,
});
