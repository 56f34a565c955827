import { hash } from 'node:crypto';
import { AccessSource, accessLevelsAt, accessSources, isInGracePeriodAt } from '../../domain/profile/access';
import { Attributes, Transaction } from '../../domain/profile/profile.events';
import { ProfileState } from '../../domain/profile/profile.state';
import { formatApiDate, Iso, toMs } from '../../domain/shared/time';

/**
 * What GET serves, stored per profile. Its size follows what the profile holds now (chains,
 * grants, one-time purchases), not the length of its history, and everything that depends
 * on the time of reading is kept as instants and judged when rendered.
 */
export interface ProfileReadModel {
  app_id: string;
  profile_id: string;
  customer_user_id: string | null;
  created_at: Iso;
  total_revenue_usd: number;
  attributes: Attributes;
  custom_attributes: Array<[string, string | number]>;
  sources: AccessSource[];
  subscriptions: Array<{ current: Transaction; originally_purchased_at: Iso }>;
  non_subscriptions: Array<{ purchase_id: string; transaction: Transaction }>;
}

const untilOf = (s: AccessSource): number => (s.until === null ? Infinity : s.until);

/**
 * Drops sources that can never be the one shown: another source of the same level starts no
 * later and lasts longer (or as long, and comes first, which wins ties). A profile granted the
 * same level a thousand times keeps one source, so GET does not grow with such history.
 */
export function undominatedSources(sources: AccessSource[]): AccessSource[] {
  const keep = new Array<boolean>(sources.length).fill(true);
  const byLevel = new Map<string, number[]>();
  sources.forEach((s, i) => byLevel.set(s.access_level_id, [...(byLevel.get(s.access_level_id) ?? []), i]));
  for (const indexes of byLevel.values()) {
    indexes.sort((a, b) => sources[a].from - sources[b].from || untilOf(sources[b]) - untilOf(sources[a]) || a - b);
    let best = -1;
    for (const i of indexes) {
      if (best !== -1) {
        const [bu, iu] = [untilOf(sources[best]), untilOf(sources[i])];
        if (bu > iu || (bu === iu && best < i)) {
          keep[i] = false;
          continue;
        }
        if (iu > bu || (iu === bu && i < best)) best = i;
      } else best = i;
    }
  }
  return sources.filter((_, i) => keep[i]);
}

export function toReadModel(state: ProfileState): ProfileReadModel {
  const subscriptions: ProfileReadModel['subscriptions'] = [];
  const nonSubscriptions: ProfileReadModel['non_subscriptions'] = [];
  for (const chain of state.chains.values()) {
    if (chain.current.purchase_type === 'subscription') {
      subscriptions.push({
        current: chain.current,
        originally_purchased_at: chain.current.originally_purchased_at ?? chain.first_purchased_at,
      });
    } else {
      nonSubscriptions.push({ purchase_id: chain.purchase_id, transaction: chain.current });
    }
  }
  return {
    app_id: state.app_id,
    profile_id: state.profile_id,
    customer_user_id: state.customer_user_id,
    created_at: state.created_at,
    total_revenue_usd: state.total_revenue_usd,
    attributes: state.attributes,
    custom_attributes: [...state.custom_attributes],
    sources: undominatedSources(accessSources(state)),
    subscriptions,
    non_subscriptions: nonSubscriptions,
  };
}

const offerOut = (t: Transaction) => (t.offer ? { category: t.offer.category, type: t.offer.type, id: t.offer.id } : null);

function accessLevelOut(s: AccessSource, now: number) {
  return {
    access_level_id: s.access_level_id,
    store: s.store,
    store_product_id: s.store_product_id,
    store_base_plan_id: null,
    store_transaction_id: s.store_transaction_id,
    store_original_transaction_id: s.store_original_transaction_id,
    offer: s.offer,
    environment: s.environment,
    starts_at: formatApiDate(s.starts_at),
    purchased_at: formatApiDate(s.purchased_at),
    originally_purchased_at: formatApiDate(s.originally_purchased_at),
    expires_at: formatApiDate(s.expires_at),
    renewal_cancelled_at: formatApiDate(s.renewal_cancelled_at),
    billing_issue_detected_at: formatApiDate(s.billing_issue_detected_at),
    is_in_grace_period: isInGracePeriodAt(s, now),
    cancellation_reason: s.cancellation_reason,
  };
}

function subscriptionOut(sub: ProfileReadModel['subscriptions'][number], now: number) {
  const t = sub.current;
  const inGrace =
    t.billing_issue_detected_at !== null &&
    t.grace_period_expires_at !== null &&
    t.refunded_at === null &&
    now < toMs(t.grace_period_expires_at);
  return {
    store: t.store,
    store_product_id: t.store_product_id,
    store_base_plan_id: null,
    store_transaction_id: t.store_transaction_id,
    store_original_transaction_id: t.store_original_transaction_id,
    offer: offerOut(t),
    environment: t.environment,
    purchased_at: formatApiDate(t.purchased_at),
    originally_purchased_at: formatApiDate(sub.originally_purchased_at),
    expires_at: formatApiDate(t.expires_at),
    renewal_cancelled_at: t.renew_status === false ? formatApiDate(t.renew_status_changed_at ?? t.purchased_at) : null,
    billing_issue_detected_at: formatApiDate(t.billing_issue_detected_at),
    is_in_grace_period: inGrace,
    cancellation_reason: t.cancellation_reason,
  };
}

function nonSubscriptionOut(n: ProfileReadModel['non_subscriptions'][number]) {
  const t = n.transaction;
  return {
    purchase_id: n.purchase_id,
    store: t.store,
    store_product_id: t.store_product_id,
    store_base_plan_id: null,
    store_transaction_id: t.store_transaction_id,
    store_original_transaction_id: t.store_original_transaction_id,
    purchased_at: formatApiDate(t.purchased_at),
    environment: t.environment,
    is_refund: t.refunded_at !== null,
    is_consumable: false,
  };
}

/** The Adapty v2 Profile object as it stands at `now`. */
export function renderProfileV2(model: ProfileReadModel, now: number) {
  const accessLevels = accessLevelsAt(model.sources, now).map((s) => accessLevelOut(s, now));
  const customAttributes = model.custom_attributes.map(([key, value]) => ({ key, value }));
  const segmentHash = hash('sha1', JSON.stringify([model.custom_attributes, accessLevels.map((a) => a.access_level_id)])).slice(0, 16);
  return {
    app_id: model.app_id,
    profile_id: model.profile_id,
    customer_user_id: model.customer_user_id,
    total_revenue_usd: model.total_revenue_usd,
    segment_hash: segmentHash,
    timestamp: now,
    custom_attributes: customAttributes,
    access_levels: accessLevels,
    subscriptions: model.subscriptions.map((s) => subscriptionOut(s, now)),
    non_subscriptions: model.non_subscriptions.map(nonSubscriptionOut),
  };
}

export type ProfileV2 = ReturnType<typeof renderProfileV2>;
