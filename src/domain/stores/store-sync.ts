import { accessLevelOf, CatalogueState } from '../catalogue/catalogue';
import { DecideContext, Decision, effectsOf } from '../profile/profile.decide';
import { ProfileEvent, StoreNotificationRecorded, Transaction } from '../profile/profile.events';
import { applyEvent, copyProfileState, ProfileState } from '../profile/profile.state';

/** A store's word about one purchase, as the owner's history records it (how it reached the profile is added here). */
export type StoreWord = Omit<StoreNotificationRecorded['data'], 'via' | 'recorded_at'>;

/** A transaction as a store's words say it is, and the Adapty events its change means on `state`. */
export interface StoreTransaction {
  transaction: Transaction;
  /** The word whose evidence made this version. */
  notification_id: string;
  effects(state: ProfileState): string[];
}

export interface StorePurchase {
  /** Every word about the purchase, in the store's order (oldest first). */
  words: StoreWord[];
  /** What the store says the transactions are, given the words known so far (a pure function of the set). */
  transactions(known: StoreWord[]): StoreTransaction[];
  /** The purchase came from another profile because someone asked: its history arrives whole and quietly. */
  quiet: boolean;
}

const RENEWAL_EFFECT = /_renewal_(cancelled|reactivated)$|^billing_issue_detected$|^entered_grace_period$/;

/**
 * The Adapty events of a store's change, as for a set-transaction, with what every store shares:
 * renewal changes that concern an older transaction (`latest` false) are history by now, and a
 * transaction newly ended by a pause says so.
 */
export function storeEffects(state: ProfileState, t: Transaction, latest: boolean): string[] {
  const before = state.transactions.get(t.store_transaction_id);
  const effects = effectsOf(state, t).filter((e) => latest || !RENEWAL_EFFECT.test(e));
  if (t.cancellation_reason === 'paused' && before?.cancellation_reason !== 'paused') effects.push('subscription_paused');
  return effects;
}

const sameTransaction = (a: Transaction, b: Transaction): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * Brings a profile's copy of a store purchase to what the store's words say, for every store alike.
 * Each word the profile has not recorded yet is recorded in its history, in the store's order,
 * followed by the transaction changes it makes (a late, older word changes only what it is the newest
 * word on). A purchase that came from another profile (a transfer) arrives quietly: its history is
 * recorded, its transactions follow without purchase webhooks (access_level_updated still goes out).
 * `arrived` is the word that just came in for this profile, if any.
 */
export function syncStorePurchase(state: ProfileState, purchase: StorePurchase, catalogue: CatalogueState, ctx: DecideContext, arrived: string | null): Decision {
  if (!state.exists) return [];
  const pending = purchase.words.filter((w) => !state.store_notifications.has(w.notification_id));
  const quiet = purchase.quiet && !purchase.words.some((w) => state.chains.has(w.original_transaction_id));
  const working = copyProfileState(state);
  const events: ProfileEvent[] = [];
  const push = (e: ProfileEvent) => {
    events.push(e);
    applyEvent(working, e);
  };
  const record = (w: StoreWord, via: StoreNotificationRecorded['data']['via']) =>
    push({ type: 'StoreNotificationRecorded', data: { ...w, via, recorded_at: ctx.now.toISOString() } });
  const reconcile = (known: StoreWord[]) => {
    for (const d of purchase.transactions(known)) {
      const t = d.transaction;
      const previous = working.transactions.get(t.store_transaction_id);
      if (previous && sameTransaction(previous, t)) continue;
      // An id or chain the profile holds as something else (an earlier set-transaction) is left as it is.
      if (previous && (previous.store_original_transaction_id !== t.store_original_transaction_id || previous.purchase_type !== t.purchase_type)) continue;
      const existing = working.chains.get(t.store_original_transaction_id);
      if (existing && existing.current.purchase_type !== t.purchase_type) continue;
      push({
        type: 'TransactionRecorded',
        data: {
          transaction: t,
          access_level_id: accessLevelOf(catalogue, t.store_product_id),
          purchase_id: existing?.purchase_id ?? ctx.newId(),
          effects: quiet ? [] : d.effects(working),
          recorded_at: ctx.now.toISOString(),
          store_notification_id: d.notification_id,
        },
      });
    }
  };
  if (quiet) {
    for (const w of pending) record(w, 'transfer');
    reconcile(purchase.words);
    return events;
  }
  const known = purchase.words.filter((w) => state.store_notifications.has(w.notification_id));
  for (const w of pending) {
    known.push(w);
    record(w, w.notification_id === arrived ? 'notification' : 'claim');
    reconcile(known);
  }
  if (pending.length === 0) reconcile(known);
  return events;
}

/** The purchase belongs to another profile now: this one lets its chain go (its access follows). */
export function releaseStoreChain(state: ProfileState, store: string, originalId: string, toProfileId: string, ctx: DecideContext): Decision {
  const holds = state.chains.has(originalId) || [...state.store_notifications.values()].includes(originalId);
  if (!state.exists || !holds) return [];
  return [{ type: 'StoreChainReleased', data: { store, original_transaction_id: originalId, to_profile_id: toProfileId, released_at: ctx.now.toISOString() } }];
}
