import { CatalogueState } from '../catalogue/catalogue';
import { DecideContext, Decision } from '../profile/profile.decide';
import { isTrial, ProfileState } from '../profile/profile.state';
import { releaseStoreChain, storeEffects, StoreWord, syncStorePurchase } from '../stores/store-sync';
import { AppStoreChainState } from './app-store-chain';
import { AppleLedgerTransaction, appleLedgerTransactions } from './apple-mapping';
import { AppleNotification, signedOrder } from './apple-notification';

export const APP_STORE = 'app_store';

const word = (n: AppleNotification, originalId: string): StoreWord => ({
  store: APP_STORE,
  original_transaction_id: originalId,
  notification_id: n.notification_uuid,
  notification_type: n.notification_type,
  subtype: n.subtype,
  signed_at: new Date(n.signed_date).toISOString(),
  environment: n.environment,
  transaction: n.transaction,
  renewal: n.renewal,
});

/** The effects every store's change has, with the App Store table's exceptions. */
function appleEffects(state: ProfileState, d: AppleLedgerTransaction): string[] {
  const t = d.transaction;
  let effects = storeEffects(state, t, d.latest);
  if (d.started_by_upgrade && !state.transactions.has(t.store_transaction_id)) {
    // An upgrade starts the new product at once (the old one is refunded): it is not a renewal.
    const started = isTrial(t) ? 'trial_started' : 'subscription_started';
    effects = effects.map((e) => (e === 'subscription_renewed' || e === 'trial_converted' ? started : e));
  }
  if (d.revoked_from_family) effects = effects.filter((e) => !e.endsWith('_refunded'));
  return effects;
}

/**
 * Brings a profile's copy of an App Store chain to what the chain's notifications say, in signed
 * order (store-sync.ts). `arrived` is the notification that just came in for this profile, if any.
 */
export function syncAppStoreChain(
  state: ProfileState,
  chain: AppStoreChainState,
  catalogue: CatalogueState,
  ctx: DecideContext,
  arrived: string | null = null,
): Decision {
  const originalId = chain.original_transaction_id;
  const all = [...chain.notifications.values()].sort(signedOrder);
  const byId = new Map(all.map((n) => [n.notification_uuid, n]));
  return syncStorePurchase(
    state,
    {
      words: all.map((n) => word(n, originalId)),
      transactions: (known) =>
        appleLedgerTransactions(known.map((w) => byId.get(w.notification_id)!)).map((d) => ({
          transaction: d.transaction,
          notification_id: d.notification_id,
          effects: (s: ProfileState) => appleEffects(s, d),
        })),
      quiet: chain.transferred,
    },
    catalogue,
    ctx,
    arrived,
  );
}

/** The chain belongs to another profile now: this one lets it go (its access follows). */
export const releaseAppStoreChain = (state: ProfileState, originalId: string, toProfileId: string, ctx: DecideContext): Decision =>
  releaseStoreChain(state, APP_STORE, originalId, toProfileId, ctx);
