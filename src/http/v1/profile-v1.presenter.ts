import { AccessSource, accessLevelsAt, activeOfferTypes, isActiveAt, isInGracePeriodAt } from '../../domain/profile/access';
import { Transaction } from '../../domain/profile/profile.events';
import { formatMicrosDate, Iso, toMs } from '../../domain/shared/time';
import { ProfileReadModel } from '../../projections/profiles/profile-view';

/** Adapty v1 style: `2020-03-26T16:24:19.497674+0000` (6-digit fraction, `+0000`). */
export const formatV1Date = formatMicrosDate;

export interface V1RenderOptions {
  /** `?extended`: adds created_at and the built-in attributes (GET only). */
  extended?: boolean;
}

/**
 * One source per access level: the one v2 shows (active, or else scheduled), or else, unlike v2,
 * the one that ended last, shown with is_active false (v1 clients read `paid_access_levels.x.is_active`).
 */
function sourcesPerLevel(sources: AccessSource[], now: number): AccessSource[] {
  const chosen = new Map(accessLevelsAt(sources, now).map((s) => [s.access_level_id, s]));
  const ended = new Map<string, AccessSource>();
  for (const s of sources) {
    if (chosen.has(s.access_level_id) || s.until === null) continue;
    const best = ended.get(s.access_level_id);
    if (!best || s.until >= best.until!) ended.set(s.access_level_id, s);
  }
  return [...chosen.values(), ...ended.values()].sort((a, b) => (a.access_level_id < b.access_level_id ? -1 : 1));
}

/** When access was ended early: a renewal turned off, or a revocation that is what ends this source. */
function unsubscribedAt(s: AccessSource): Iso | null {
  return s.renewal_cancelled_at ?? s.revoked_at;
}

function accessLevelV1(s: AccessSource, now: number) {
  const active = isActiveAt(s, now);
  const unsubscribed = unsubscribedAt(s);
  const revoked = s.renewal_cancelled_at === null && unsubscribed !== null;
  return {
    id: s.access_level_id,
    is_active: active,
    is_lifetime: s.until === null,
    expires_at: formatV1Date(s.expires_at),
    starts_at: formatV1Date(s.starts_at),
    will_renew: active && s.will_renew,
    vendor_product_id: s.store_product_id,
    base_plan_id: null,
    vendor_transaction_id: s.store_transaction_id,
    vendor_original_transaction_id: s.store_original_transaction_id,
    store: s.store,
    activated_at: formatV1Date(s.originally_purchased_at),
    renewed_at: s.purchased_at !== s.originally_purchased_at ? formatV1Date(s.purchased_at) : null,
    unsubscribed_at: formatV1Date(unsubscribed),
    billing_issue_detected_at: formatV1Date(s.billing_issue_detected_at),
    is_in_grace_period: isInGracePeriodAt(s, now),
    ...activeOfferTypes(s.offer),
    cancellation_reason: s.cancellation_reason ?? (revoked ? 'adapty_revoked' : null),
  };
}

function subscriptionV1(sub: ProfileReadModel['subscriptions'][number], now: number) {
  const t = sub.current;
  const graceEnd =
    t.billing_issue_detected_at !== null && t.grace_period_expires_at !== null ? toMs(t.grace_period_expires_at) : null;
  let until = Math.max(toMs(t.expires_at!), graceEnd ?? -Infinity);
  if (t.refunded_at !== null) until = Math.min(until, toMs(t.refunded_at));
  const active = toMs(t.purchased_at) <= now && now < until;
  return {
    is_active: active,
    is_lifetime: false,
    expires_at: formatV1Date(t.expires_at),
    starts_at: null,
    will_renew: active && t.renew_status === true,
    vendor_product_id: t.store_product_id,
    base_plan_id: null,
    vendor_transaction_id: t.store_transaction_id,
    vendor_original_transaction_id: t.store_original_transaction_id,
    store: t.store,
    activated_at: formatV1Date(sub.originally_purchased_at),
    renewed_at: t.purchased_at !== sub.originally_purchased_at ? formatV1Date(t.purchased_at) : null,
    unsubscribed_at: t.renew_status === false ? formatV1Date(t.renew_status_changed_at ?? t.purchased_at) : null,
    billing_issue_detected_at: formatV1Date(t.billing_issue_detected_at),
    is_in_grace_period: graceEnd !== null && t.refunded_at === null && now < graceEnd,
    ...activeOfferTypes(t.offer),
    cancellation_reason: t.cancellation_reason,
    is_sandbox: t.environment === 'Sandbox',
  };
}

function nonSubscriptionV1(n: ProfileReadModel['non_subscriptions'][number]) {
  const t: Transaction = n.transaction;
  return {
    purchase_id: n.purchase_id,
    vendor_product_id: t.store_product_id,
    vendor_transaction_id: t.store_transaction_id,
    vendor_original_transaction_id: t.store_original_transaction_id,
    store: t.store,
    purchased_at: formatV1Date(t.purchased_at),
    // Adapty: true for a purchase processed once (a consumable); the ledger's one-time purchases unlock access for life.
    is_one_time: false,
    is_sandbox: t.environment === 'Sandbox',
    is_refund: t.refunded_at !== null,
  };
}

const stringOrNull = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function extendedFields(model: ProfileReadModel) {
  const a = model.attributes;
  const meta = a.installation_meta !== null && typeof a.installation_meta === 'object' ? (a.installation_meta as Record<string, unknown>) : {};
  return {
    created_at: formatV1Date(model.created_at),
    email: stringOrNull(a.email),
    phone_number: stringOrNull(a.phone_number),
    att_status: typeof a.att_status === 'number' ? a.att_status : null,
    first_name: stringOrNull(a.first_name),
    last_name: stringOrNull(a.last_name),
    username: null,
    gender: stringOrNull(a.gender),
    birthday: stringOrNull(a.birthday),
    idfa: stringOrNull(meta.idfa),
    idfv: stringOrNull(meta.idfv),
    advertising_id: stringOrNull(meta.advertising_id),
    // Integration identifiers are not kept by this ledger.
    appsflyer_id: null,
    amplitude_user_id: null,
    amplitude_device_id: null,
    mixpanel_user_id: null,
    appmetrica_profile_id: null,
    appmetrica_device_id: null,
    facebook_anonymous_id: null,
  };
}

/** Empty dictionaries are null, as in Adapty's v1 examples (`"non_subscriptions": null`). */
const dictOrNull = <T>(entries: Array<[string, T]>): Record<string, T> | null =>
  entries.length === 0 ? null : Object.fromEntries(entries);

/**
 * The Adapty v1 Profile object (contract §3.5) from the same read model v2 GET serves, as it
 * stands at `now`: access levels are a dict keyed by id with is_active judged now,
 * subscriptions a dict keyed by product, non-subscriptions a dict of arrays, custom attributes a dict.
 */
export function renderProfileV1(model: ProfileReadModel, now: number, options: V1RenderOptions = {}) {
  const levels = sourcesPerLevel(model.sources, now).map((s): [string, ReturnType<typeof accessLevelV1>] => [s.access_level_id, accessLevelV1(s, now)]);
  // Two chains of one product: the one bought last is the product's subscription.
  const byProduct = new Map<string, ProfileReadModel['subscriptions'][number]>();
  for (const sub of model.subscriptions) {
    const other = byProduct.get(sub.current.store_product_id);
    if (!other || toMs(sub.current.purchased_at) >= toMs(other.current.purchased_at)) byProduct.set(sub.current.store_product_id, sub);
  }
  const nonSubscriptions = new Map<string, Array<ReturnType<typeof nonSubscriptionV1>>>();
  const purchases = [...model.non_subscriptions].sort((a, b) => toMs(a.transaction.purchased_at) - toMs(b.transaction.purchased_at));
  for (const n of purchases) {
    const list = nonSubscriptions.get(n.transaction.store_product_id) ?? [];
    list.push(nonSubscriptionV1(n));
    nonSubscriptions.set(n.transaction.store_product_id, list);
  }
  return {
    app_id: model.app_id,
    profile_id: model.profile_id,
    customer_user_id: model.customer_user_id,
    total_revenue_usd: model.total_revenue_usd,
    paid_access_levels: dictOrNull(levels),
    subscriptions: dictOrNull([...byProduct.entries()].map(([id, sub]) => [id, subscriptionV1(sub, now)])),
    non_subscriptions: dictOrNull([...nonSubscriptions.entries()]),
    custom_attributes: Object.fromEntries(model.custom_attributes),
    ...(options.extended ? extendedFields(model) : {}),
  };
}

export type ProfileV1 = ReturnType<typeof renderProfileV1>;
