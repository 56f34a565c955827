import { accessLevelOf, CatalogueState } from '../catalogue/catalogue';
import { DecideContext, Decision, effectsOf } from '../profile/profile.decide';
import { ProfileEvent, StoreNotificationRecorded, Transaction } from '../profile/profile.events';
import { applyEvent, copyProfileState, isTrial, ProfileState } from '../profile/profile.state';
import { AppStoreChainState } from './app-store-chain';
import { AppleLedgerTransaction, appleLedgerTransactions } from './apple-mapping';
import { AppleNotification, signedOrder } from './apple-notification';

export const APP_STORE = 'app_store';

function recorded(n: AppleNotification, originalId: string, via: StoreNotificationRecorded['data']['via'], now: Date): StoreNotificationRecorded {
  return {
    type: 'StoreNotificationRecorded',
    data: {
      store: APP_STORE,
      original_transaction_id: originalId,
      notification_id: n.notification_uuid,
      notification_type: n.notification_type,
      subtype: n.subtype,
      signed_at: new Date(n.signed_date).toISOString(),
      environment: n.environment,
      transaction: n.transaction,
      renewal: n.renewal,
      via,
      recorded_at: now.toISOString(),
    },
  };
}

const RENEWAL_EFFECT = /_renewal_(cancelled|reactivated)$|^billing_issue_detected$|^entered_grace_period$/;

/** The generic effects of a change, with the App Store table's exceptions. */
function appleEffects(state: ProfileState, d: AppleLedgerTransaction): string[] {
  const t = d.transaction;
  const isNew = !state.transactions.has(t.store_transaction_id);
  let effects = effectsOf(state, t);
  if (d.started_by_upgrade && isNew) {
    // An upgrade starts the new product at once (the old one is refunded): it is not a renewal.
    const started = isTrial(t) ? 'trial_started' : 'subscription_started';
    effects = effects.map((e) => (e === 'subscription_renewed' || e === 'trial_converted' ? started : e));
  }
  // Renewal changes signed while an older transaction was in force are history by now.
  if (!d.latest) effects = effects.filter((e) => !RENEWAL_EFFECT.test(e));
  if (d.revoked_from_family) effects = effects.filter((e) => !e.endsWith('_refunded'));
  return effects;
}

const sameTransaction = (a: Transaction, b: Transaction): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * Brings a profile's copy of an App Store chain to what the chain's notifications say. Each
 * notification the profile has not recorded yet is recorded in its history, in signed order, followed
 * by the transaction changes it makes (a late, older one changes only what it is the newest word on).
 * A chain that came from another profile (a transfer) arrives whole and quietly: its history is
 * recorded, its transactions follow without purchase webhooks (access_level_updated still goes out).
 * `arrived` is the notification that just came in for this profile, if any.
 */
export function syncAppStoreChain(
  state: ProfileState,
  chain: AppStoreChainState,
  catalogue: CatalogueState,
  ctx: DecideContext,
  arrived: string | null = null,
): Decision {
  if (!state.exists) return [];
  const originalId = chain.original_transaction_id;
  const all = [...chain.notifications.values()].sort(signedOrder);
  const pending = all.filter((n) => !state.store_notifications.has(n.notification_uuid));
  const quiet = chain.transferred && !state.chains.has(originalId);
  const working = copyProfileState(state);
  const events: ProfileEvent[] = [];
  const push = (e: ProfileEvent) => {
    events.push(e);
    applyEvent(working, e);
  };
  const reconcile = (notifications: AppleNotification[]) => {
    for (const d of appleLedgerTransactions(notifications)) {
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
          effects: quiet ? [] : appleEffects(working, d),
          recorded_at: ctx.now.toISOString(),
          store_notification_id: d.notification_id,
        },
      });
    }
  };
  if (quiet) {
    for (const n of pending) push(recorded(n, originalId, 'transfer', ctx.now));
    reconcile(all);
    return events;
  }
  const known = all.filter((n) => state.store_notifications.has(n.notification_uuid));
  for (const n of pending) {
    known.push(n);
    push(recorded(n, originalId, n.notification_uuid === arrived ? 'notification' : 'claim', ctx.now));
    reconcile(known);
  }
  if (pending.length === 0) reconcile(known);
  return events;
}

/** The chain belongs to another profile now: this one lets it go (its access follows). */
export function releaseStoreChain(state: ProfileState, originalId: string, toProfileId: string, ctx: DecideContext): Decision {
  const holds = state.chains.has(originalId) || [...state.store_notifications.values()].includes(originalId);
  if (!state.exists || !holds) return [];
  return [{ type: 'StoreChainReleased', data: { store: APP_STORE, original_transaction_id: originalId, to_profile_id: toProfileId, released_at: ctx.now.toISOString() } }];
}
