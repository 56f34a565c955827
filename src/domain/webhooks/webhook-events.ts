import { AccessSource, accessLevelsAt, accessSources, activeOfferTypes, isActiveAt, isInGracePeriodAt } from '../profile/access';
import { Environment, ProfileEvent, Transaction } from '../profile/profile.events';
import { isTrial, ProfileState } from '../profile/profile.state';
import { formatMicrosDate, Iso, toMs } from '../shared/time';

/** One Adapty webhook event, before it is addressed to endpoints. */
export interface WebhookEvent {
  event_type: string;
  event_datetime: Iso;
  environment: Environment;
  event_properties: Record<string, unknown>;
}

export const WEBHOOK_EVENT_TYPES = [
  'subscription_started',
  'subscription_renewed',
  'subscription_renewal_cancelled',
  'subscription_renewal_reactivated',
  'subscription_expired',
  'subscription_paused',
  'trial_started',
  'trial_converted',
  'trial_renewal_cancelled',
  'trial_renewal_reactivated',
  'trial_expired',
  'entered_grace_period',
  'billing_issue_detected',
  'subscription_refunded',
  'non_subscription_purchase',
  'non_subscription_purchase_refunded',
  'access_level_updated',
] as const;

/** Webhook style: `2020-07-10T15:00:00.000000+0000`. */
export const formatWebhookDate = formatMicrosDate;

const DAY = 86_400_000;

function transactionProperties(t: Transaction, state: ProfileState): Record<string, unknown> {
  const chainTransactions = [...state.transactions.values()].filter(
    (x) => x.store_original_transaction_id === t.store_original_transaction_id && x.price.value > 0 && x.refunded_at === null,
  );
  const offer = t.offer;
  return {
    store: t.store,
    environment: t.environment,
    vendor_product_id: t.store_product_id,
    transaction_id: t.store_transaction_id,
    original_transaction_id: t.store_original_transaction_id,
    purchase_date: formatWebhookDate(t.purchased_at),
    original_purchase_date: formatWebhookDate(t.originally_purchased_at ?? t.purchased_at),
    subscription_expires_at: formatWebhookDate(t.expires_at),
    price_local: t.price.value,
    price_usd: t.price.currency === 'USD' ? t.price.value : null,
    currency: t.price.currency,
    store_country: t.price.country,
    consecutive_payments: chainTransactions.length,
    store_offer_category: offer ? (offer.category === 'win_back' ? 'winback' : offer.category) : null,
    store_offer_discount_type: offer?.type ?? null,
    promotional_offer_id: offer?.id ?? null,
    variation_id: t.variation_id,
    is_family_shared: t.is_family_shared,
    trial_duration:
      isTrial(t) && t.expires_at ? `${Math.round((toMs(t.expires_at) - toMs(t.purchased_at)) / DAY)} days` : null,
  };
}

function accessLevelProperties(s: AccessSource, active: boolean, at: number, state: ProfileState): Record<string, unknown> {
  const chain = s.kind === 'grant' ? undefined : state.chains.get(s.store_original_transaction_id);
  return {
    access_level_id: s.access_level_id,
    is_active: active,
    is_lifetime: s.until === null,
    expires_at: formatWebhookDate(s.expires_at),
    starts_at: formatWebhookDate(s.starts_at),
    activated_at: formatWebhookDate(s.originally_purchased_at),
    renewed_at: s.purchased_at !== s.originally_purchased_at ? formatWebhookDate(s.purchased_at) : null,
    will_renew: active && s.will_renew,
    is_in_grace_period: isInGracePeriodAt(s, at),
    is_refund: chain?.current.refunded_at != null,
    billing_issue_detected_at: formatWebhookDate(s.billing_issue_detected_at),
    cancellation_reason: s.cancellation_reason,
    vendor_product_id: s.store_product_id,
    store: s.store,
    transaction_id: s.store_transaction_id,
    original_transaction_id: s.store_original_transaction_id,
    purchase_date: formatWebhookDate(s.purchased_at),
    original_purchase_date: formatWebhookDate(s.originally_purchased_at),
    subscription_expires_at: formatWebhookDate(s.expires_at),
    environment: s.environment,
    ...activeOfferTypes(s.offer),
  };
}

const levelsAt = (state: ProfileState, at: number): Map<string, AccessSource> =>
  new Map(state.exists ? accessLevelsAt(accessSources(state), at).map((s) => [s.access_level_id, s]) : []);

/** The source a level last had, ended or not: what an access_level_updated with is_active false describes. */
function lastSourceOf(state: ProfileState, level: string): AccessSource | undefined {
  let best: AccessSource | undefined;
  for (const s of accessSources(state)) {
    if (s.access_level_id !== level) continue;
    if (!best || (s.until ?? Infinity) > (best.until ?? Infinity)) best = s;
  }
  return best;
}

/** access_level_updated for every level whose effective state differs between before (`was`) and after, at one instant. */
function accessLevelChanges(was: Map<string, AccessSource>, after: ProfileState, at: number, datetime: Iso): WebhookEvent[] {
  const now = levelsAt(after, at);
  const out: WebhookEvent[] = [];
  for (const level of new Set([...was.keys(), ...now.keys()])) {
    const a = was.get(level);
    const b = now.get(level);
    const key = (s?: AccessSource) => (s ? JSON.stringify([accessLevelProperties(s, isActiveAt(s, at), at, after), isActiveAt(s, at)]) : '');
    if (key(a) === key(b)) continue;
    const source = b ?? lastSourceOf(after, level) ?? a!;
    const active = b ? isActiveAt(b, at) : false;
    out.push({
      event_type: 'access_level_updated',
      event_datetime: datetime,
      environment: source.environment,
      event_properties: accessLevelProperties(source, active, at, after),
    });
  }
  return out;
}

function transactionEventTime(effect: string, t: Transaction, recordedAt: Iso): Iso {
  if (effect.endsWith('_cancelled') || effect.endsWith('_reactivated')) return t.renew_status_changed_at ?? recordedAt;
  if (effect === 'billing_issue_detected' || effect === 'entered_grace_period') return t.billing_issue_detected_at ?? recordedAt;
  if (effect.endsWith('_refunded')) return t.refunded_at ?? recordedAt;
  // A pause begins when the period it follows ends.
  if (effect === 'subscription_paused') return t.expires_at ?? recordedAt;
  return t.purchased_at;
}

/** The instant at which an event's access change is judged, or null when it cannot change access by itself. */
function judgedAt(event: ProfileEvent): Iso | null {
  switch (event.type) {
    case 'TransactionRecorded':
      return event.data.recorded_at;
    case 'AccessGranted':
      return event.data.granted_at;
    case 'AccessRevoked':
      return event.data.revoked_at;
    case 'StoreChainReleased':
      return event.data.released_at;
    default:
      return null;
  }
}

/**
 * What a profile had, before `event`, at the instant the event is judged: taken before folding it,
 * so the fold may update the state in place (the projector's folds do).
 */
export function levelsBefore(state: ProfileState, event: ProfileEvent): Map<string, AccessSource> {
  const at = judgedAt(event);
  return at === null ? new Map() : levelsAt(state, toMs(at));
}

/**
 * The Adapty webhook events one domain event means, judged on what the profile had before it
 * (`was`, from levelsBefore) and its state after, at the instant the event itself names (pure: the
 * outbox projection and any replay agree).
 */
export function webhookEventsFor(was: Map<string, AccessSource>, event: ProfileEvent, after: ProfileState): WebhookEvent[] {
  switch (event.type) {
    case 'TransactionRecorded': {
      const recordedAt = event.data.recorded_at;
      const at = toMs(recordedAt);
      const t = event.data.transaction;
      const own = event.data.effects.map(
        (effect): WebhookEvent => ({
          event_type: effect,
          event_datetime: transactionEventTime(effect, t, recordedAt),
          environment: t.environment,
          event_properties: {
            ...transactionProperties(t, after),
            cancellation_reason: /cancelled|refunded/.test(effect) ? (t.cancellation_reason ?? 'voluntarily_cancelled') : t.cancellation_reason,
          },
        }),
      );
      return [...own, ...accessLevelChanges(was, after, at, recordedAt)];
    }
    case 'AccessGranted':
      return accessLevelChanges(was, after, toMs(event.data.granted_at), event.data.granted_at);
    case 'AccessRevoked':
      return accessLevelChanges(was, after, toMs(event.data.revoked_at), event.data.revoked_at);
    case 'StoreChainReleased':
      return accessLevelChanges(was, after, toMs(event.data.released_at), event.data.released_at);
    case 'SourceExpired': {
      const d = event.data;
      const until = toMs(d.until);
      const out: WebhookEvent[] = [];
      const chain = d.source === 'chain' ? after.chains.get(d.id) : undefined;
      if (chain && chain.current.purchase_type === 'subscription') {
        out.push({
          event_type: d.is_trial ? 'trial_expired' : 'subscription_expired',
          event_datetime: d.until,
          environment: chain.current.environment,
          event_properties: { ...transactionProperties(chain.current, after), cancellation_reason: d.cancellation_reason },
        });
      }
      if (d.access_level_id && !levelsAt(after, until).has(d.access_level_id)) {
        const source = lastSourceOf(after, d.access_level_id);
        if (source) {
          out.push({
            event_type: 'access_level_updated',
            event_datetime: d.until,
            environment: source.environment,
            event_properties: accessLevelProperties(source, false, until, after),
          });
        }
      }
      return out;
    }
    default:
      return [];
  }
}
