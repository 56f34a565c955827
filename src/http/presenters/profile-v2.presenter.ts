import { hash } from 'node:crypto';
import { AccessSource, accessLevelsAt, isInGracePeriodAt } from '../../domain/profile/access';
import { Transaction } from '../../domain/profile/profile.events';
import { formatApiDate, toMs } from '../../domain/shared/time';
import { ProfileReadModel } from '../../projections/profiles/profile-view';

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
    store_base_plan_id: t.store_base_plan_id ?? null,
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
    store_base_plan_id: t.store_base_plan_id ?? null,
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

/** The next instant after `now` at which anything in the rendering depends on time (a source starts or ends, a grace period ends). */
function nextBoundary(model: ProfileReadModel, now: number): number {
  let next = Infinity;
  const consider = (t: number | null | undefined) => {
    if (t !== null && t !== undefined && t > now && t < next) next = t;
  };
  for (const s of model.sources) {
    consider(s.from);
    consider(s.until);
  }
  for (const sub of model.subscriptions) {
    if (sub.current.grace_period_expires_at) consider(Date.parse(sub.current.grace_period_expires_at));
  }
  return next;
}

/*
 * Renderings kept with the model object they were made from: the application hands out one object
 * per profile revision (its RevisionCache), so a new revision is a new object and the old rendering
 * goes with the old object. A rendering is reused until time crosses one of the model's boundaries.
 */
const renderings = new WeakMap<ProfileReadModel, { rendered: ProfileV2; validUntil: number }>();

/** renderProfileV2, reused for the same model object until the rendering would change. */
export function presentProfileV2(model: ProfileReadModel, now: number): ProfileV2 {
  const hit = renderings.get(model);
  if (hit && now < hit.validUntil && now >= hit.rendered.timestamp) return { ...hit.rendered, timestamp: now };
  const rendered = renderProfileV2(model, now);
  renderings.set(model, { rendered, validUntil: nextBoundary(model, now) });
  return rendered;
}
