import { CatalogueState } from '../catalogue/catalogue';
import { DecideContext, Decision } from '../profile/profile.decide';
import { ProfileState } from '../profile/profile.state';
import { releaseStoreChain, storeEffects, StoreWord, syncStorePurchase } from '../stores/store-sync';
import { PLAY_STORE } from './play-notification';
import { playLedgerTransactions, PlayLedgerTransaction } from './play-mapping';
import { PlayPurchaseState } from './play-purchase';
import { environmentOf, PlayRecord, recordOrder } from './play-record';

/** The effects every store's change has; a replacement by a newer token is not a cancellation. */
function playEffects(state: ProfileState, d: PlayLedgerTransaction): string[] {
  const effects = storeEffects(state, d.transaction, d.latest);
  return d.transaction.cancellation_reason === 'new_subscription_replace' ? effects.filter((e) => !e.endsWith('_renewal_cancelled')) : effects;
}

const word = (r: PlayRecord, chainId: string, token: string): StoreWord => ({
  store: PLAY_STORE,
  original_transaction_id: chainId,
  notification_id: r.id,
  notification_type: r.notification_type,
  subtype: null,
  signed_at: new Date(r.event_time).toISOString(),
  environment: environmentOf(r.resource),
  transaction: r.resource === null ? null : { kind: r.resource.kind, ...r.resource.value },
  renewal: null,
  purchase_token: token,
});

/**
 * Brings a profile's copy of a Google Play purchase token to what its records say, in Google's
 * event order (store-sync.ts). `arrived` is the record that just came in for this profile, if any.
 */
export function syncPlayPurchase(state: ProfileState, purchase: PlayPurchaseState, catalogue: CatalogueState, ctx: DecideContext, arrived: string | null = null): Decision {
  const chainId = purchase.chain_id;
  if (chainId === null) return [];
  const records = [...purchase.records.values()].sort(recordOrder);
  const byId = new Map(records.map((r) => [r.id, r]));
  const replacedAt = purchase.replaced === null ? null : Date.parse(purchase.replaced.at);
  return syncStorePurchase(
    state,
    {
      words: records.map((r) => word(r, chainId, purchase.purchase_token)),
      transactions: (known) =>
        playLedgerTransactions({ chainId, records: known.map((w) => byId.get(w.notification_id)!), replacedAt }).map((d) => ({
          transaction: d.transaction,
          notification_id: d.notification_id,
          effects: (s: ProfileState) => playEffects(s, d),
        })),
      quiet: purchase.transferred,
    },
    catalogue,
    ctx,
    arrived,
  );
}

export const releasePlayPurchase = (state: ProfileState, chainId: string, toProfileId: string, ctx: DecideContext): Decision =>
  releaseStoreChain(state, PLAY_STORE, chainId, toProfileId, ctx);
