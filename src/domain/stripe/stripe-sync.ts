import { CatalogueState } from '../catalogue/catalogue';
import { DecideContext, Decision } from '../profile/profile.decide';
import { ProfileState } from '../profile/profile.state';
import { releaseStoreChain, storeEffects, StoreWord, syncStorePurchase } from '../stores/store-sync';
import { StripeCustomerState } from './stripe-customer';
import { chainOfRecord, stripeLedgerTransactions } from './stripe-mapping';
import { environmentOf, recordOrder, STRIPE, StripeRecord } from './stripe-record';

const word = (r: StripeRecord, chain: string, customer: string): StoreWord => ({
  store: STRIPE,
  original_transaction_id: chain,
  notification_id: r.id,
  notification_type: r.type,
  subtype: typeof r.object.object === 'string' ? r.object.object : null,
  signed_at: new Date(r.created * 1000).toISOString(),
  environment: environmentOf(r),
  transaction: r.object,
  renewal: null,
  stripe_customer: customer,
});

/**
 * Brings a profile's copy of a Stripe customer to what its records say, in Stripe's `created` order
 * (store-sync.ts). `arrived` is the record that just came in for this profile, if any.
 */
export function syncStripeCustomer(state: ProfileState, customer: StripeCustomerState, catalogue: CatalogueState, ctx: DecideContext, arrived: string | null = null): Decision {
  const records = [...customer.records.values()].sort(recordOrder);
  const byId = new Map(records.map((r) => [r.id, r]));
  // A record is filed under the chain whose transaction it made (a refund under the subscription it refunds).
  const chains = new Map(stripeLedgerTransactions(records).map((d) => [d.record_id, d.transaction.store_original_transaction_id]));
  return syncStorePurchase(
    state,
    {
      words: records.map((r) => word(r, chains.get(r.id) ?? chainOfRecord(r), customer.customer_key)),
      transactions: (known) =>
        stripeLedgerTransactions(known.map((w) => byId.get(w.notification_id)!)).map((d) => ({
          transaction: d.transaction,
          notification_id: d.record_id,
          effects: (s: ProfileState) => storeEffects(s, d.transaction, d.latest),
        })),
      quiet: customer.transferred,
    },
    catalogue,
    ctx,
    arrived,
  );
}

/** The customer belongs to another profile now: this one lets each of its chains go. */
export function releaseStripeCustomer(state: ProfileState, chains: Iterable<string>, toProfileId: string, ctx: DecideContext): Decision {
  return [...new Set(chains)].flatMap((chain) => {
    const released = releaseStoreChain(state, STRIPE, chain, toProfileId, ctx);
    return Array.isArray(released) ? released : [];
  });
}
