import { accessLevelMissing, CatalogueState, hasAccessLevel } from '../catalogue/catalogue';
import { DomainError, isDomainError, validationError } from '../shared/domain-error';
import { Iso, toMs } from '../shared/time';
import { accessLevelsAt, accessSources, GRANT_PRODUCT_ID, GRANT_STORE } from './access';
import { DecideContext, Decision, grantAccess, purchaseProfileNotFound, recordTransaction } from './profile.decide';
import { Offer, ProfileEvent, Transaction } from './profile.events';
import { ProfileState } from './profile.state';

/**
 * Adapty's legacy v1 "Prolong/grant a subscription" (contract §2.12), decided with the same
 * functions and events as v2: a grant without a transaction is an AccessGranted; a grant that
 * names a transaction is a TransactionRecorded whose chain gives the access level of the URL.
 */
export interface V1Grant {
  access_level_id: string;
  is_lifetime: boolean | null;
  expires_at: Iso | null;
  duration_days: number | null;
  starts_at: Iso | null;
  vendor_product_id: string | null;
  vendor_transaction_id: string | null;
  vendor_original_transaction_id: string | null;
  store: string | null;
  introductory_offer_type: Offer['type'] | null;
  price: number | null;
  price_locale: string | null;
  is_sandbox: boolean | null;
}

export const V1_DEFAULT_PRODUCT_ID = GRANT_PRODUCT_ID;
export const V1_DEFAULT_STORE = GRANT_STORE;

const DAY_MS = 86_400_000;

export const v1SpanRequired = (): DomainError =>
  validationError('non_field_errors', 'At least one of is_lifetime, expires_at or duration_days must be set.');

/** The catalogue as one decision sees it: this product unlocks this access level (the v1 URL names it). */
export function withProductUnlocking(catalogue: CatalogueState, storeProductId: string, accessLevelId: string | null): CatalogueState {
  if (accessLevelId === null) return catalogue;
  return {
    ...catalogue,
    products: new Map(catalogue.products).set(storeProductId, { access_level_id: accessLevelId, updated_at: '' }),
  };
}

/** Keeps only the webhook effects a v1 change may send (the v1 grant's transaction "generates no profile events"). */
export function keepEffects(events: ProfileEvent[], keep: (effect: string) => boolean): ProfileEvent[] {
  return events.map((e) =>
    e.type === 'TransactionRecorded' ? { ...e, data: { ...e.data, effects: e.data.effects.filter(keep) } } : e,
  );
}

/**
 * Where the granted access ends: null for life. Priority is_lifetime=true, then expires_at, then
 * duration_days. duration_days adds to the access level's current end when it is active now and
 * no starts_at is given ("additional days to a current subscription"), otherwise counts from
 * starts_at or now.
 */
export function v1GrantEnd(state: ProfileState, cmd: V1Grant, now: number): { expires_at: Iso | null } | DomainError {
  if (cmd.is_lifetime === true) return { expires_at: null };
  if (cmd.expires_at !== null) return { expires_at: cmd.expires_at };
  if (cmd.duration_days === null) return v1SpanRequired();
  let base = cmd.starts_at !== null ? toMs(cmd.starts_at) : now;
  if (cmd.starts_at === null) {
    const current = accessLevelsAt(accessSources(state), now).find(
      (s) => s.access_level_id === cmd.access_level_id && s.from <= now && s.expires_at !== null,
    );
    if (current) base = Math.max(now, toMs(current.expires_at!));
  }
  return { expires_at: new Date(base + cmd.duration_days * DAY_MS).toISOString() };
}

/** The transaction a v1 grant records: only when product, transaction id and store are all given. */
export function v1GrantTransaction(cmd: V1Grant, expiresAt: Iso | null, now: Date): Transaction | null {
  if (cmd.vendor_product_id === null || cmd.vendor_transaction_id === null || cmd.store === null) return null;
  const lifetime = expiresAt === null;
  return {
    purchase_type: lifetime ? 'one_time_purchase' : 'subscription',
    store: cmd.store,
    environment: cmd.is_sandbox ? 'Sandbox' : 'Production',
    store_product_id: cmd.vendor_product_id,
    store_transaction_id: cmd.vendor_transaction_id,
    store_original_transaction_id: cmd.vendor_original_transaction_id ?? cmd.vendor_transaction_id,
    is_family_shared: false,
    // v1 sends no country; the currency defaults to USD.
    price: { country: '', currency: (cmd.price_locale ?? 'USD').toUpperCase(), value: cmd.price ?? 0 },
    purchased_at: cmd.starts_at ?? now.toISOString(),
    variation_id: null,
    offer: cmd.introductory_offer_type ? { category: 'introductory', type: cmd.introductory_offer_type, id: null } : null,
    refunded_at: null,
    cancellation_reason: null,
    originally_purchased_at: null,
    expires_at: expiresAt,
    // A server-side grant does not renew by itself, and nobody turned a renewal off.
    renew_status: null,
    renew_status_changed_at: null,
    billing_issue_detected_at: null,
    grace_period_expires_at: null,
  };
}

/**
 * One decision, one append. Without a transaction: grantAccess. With a new transaction:
 * recordTransaction with the product unlocking the URL's access level, and no webhook effects of
 * its own (access_level_updated still follows from the access change). With a transaction
 * already recorded (deduplicated): nothing when that transaction already gives this access
 * level (a retry), otherwise a plain grant so the caller still gets the level asked for.
 */
export function decideV1Grant(state: ProfileState, cmd: V1Grant, catalogue: CatalogueState, ctx: DecideContext): Decision {
  if (cmd.is_lifetime !== true && cmd.expires_at === null && cmd.duration_days === null) return v1SpanRequired();
  if (!state.exists) return purchaseProfileNotFound();
  if (!hasAccessLevel(catalogue, cmd.access_level_id)) return accessLevelMissing(cmd.access_level_id);
  const end = v1GrantEnd(state, cmd, ctx.now.getTime());
  if (isDomainError(end)) return end;
  const grant = () =>
    grantAccess(state, { access_level_id: cmd.access_level_id, starts_at: cmd.starts_at, expires_at: end.expires_at }, catalogue, ctx);

  const t = v1GrantTransaction(cmd, end.expires_at, ctx.now);
  if (t === null) return grant();
  const existing = state.transactions.get(t.store_transaction_id);
  if (existing) {
    const chain = state.chains.get(existing.store_original_transaction_id);
    return chain?.access_level_id === cmd.access_level_id ? [] : grant();
  }
  const decision = recordTransaction(state, t, withProductUnlocking(catalogue, t.store_product_id, cmd.access_level_id), ctx);
  return isDomainError(decision) ? decision : keepEffects(decision, () => false);
}
