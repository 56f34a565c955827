import { Iso, toMs } from '../shared/time';
import { Offer, Environment } from './profile.events';
import { Chain, Grant, isTrial, ProfileState } from './profile.state';

/**
 * One thing that gives an access level for a time span: a subscription chain, a one-time
 * purchase or a grant, with refunds and revocations already applied to its span.
 * Everything time-dependent is kept as instants so the span can be judged at read time.
 */
export interface AccessSource {
  access_level_id: string;
  kind: 'subscription' | 'one_time_purchase' | 'grant';
  store: string;
  store_product_id: string;
  store_transaction_id: string;
  store_original_transaction_id: string;
  offer: Offer | null;
  environment: Environment;
  starts_at: Iso | null;
  purchased_at: Iso;
  originally_purchased_at: Iso;
  /** When access begins (ms). */
  from: number;
  /** When access ends (ms), grace included; null for life. */
  until: number | null;
  expires_at: Iso | null;
  renewal_cancelled_at: Iso | null;
  billing_issue_detected_at: Iso | null;
  grace_period_expires_at: Iso | null;
  cancellation_reason: string | null;
  will_renew: boolean;
  is_trial: boolean;
  /** The instant of the revocation that ends this source early, if one does. */
  revoked_at: Iso | null;
}

export const GRANT_STORE = 'adapty';
export const GRANT_PRODUCT_ID = 'adapty_server_side_product';

const minEnd = (a: number | null, b: number): number => (a === null ? b : Math.min(a, b));

function capByRevocations(state: ProfileState, source: AccessSource, givenSeq: number): AccessSource {
  let until = source.until;
  let revokedAt: Iso | null = null;
  for (const r of state.revocations) {
    if (r.access_level_id !== source.access_level_id || r.seq <= givenSeq) continue;
    const at = toMs(r.revoke_at);
    if (until === null || at < until) {
      until = at;
      revokedAt = r.revoke_at;
    }
  }
  if (until === source.until) return source;
  const expires = until === null ? null : new Date(Math.max(until, source.from)).toISOString();
  return { ...source, until, expires_at: expires, revoked_at: revokedAt };
}

function chainSourceOf(chain: Chain): AccessSource | null {
  if (!chain.access_level_id) return null;
  const t = chain.current;
  const oneTime = t.purchase_type === 'one_time_purchase';
  const inGraceWindow = t.billing_issue_detected_at !== null && t.grace_period_expires_at !== null;
  let until: number | null = oneTime ? null : toMs(t.expires_at!);
  let expires: Iso | null = oneTime ? null : t.expires_at;
  if (inGraceWindow && until !== null && toMs(t.grace_period_expires_at!) > until) {
    until = toMs(t.grace_period_expires_at!);
    expires = t.grace_period_expires_at;
  }
  if (t.refunded_at !== null) {
    // The store took back the period in force: access ends at the refund.
    until = minEnd(until, toMs(t.refunded_at));
    expires = new Date(until).toISOString();
  }
  const renewOff = !oneTime && t.renew_status === false;
  return {
    access_level_id: chain.access_level_id,
    kind: oneTime ? 'one_time_purchase' : 'subscription',
    store: t.store,
    store_product_id: t.store_product_id,
    store_transaction_id: t.store_transaction_id,
    store_original_transaction_id: t.store_original_transaction_id,
    offer: t.offer,
    environment: t.environment,
    starts_at: null,
    purchased_at: t.purchased_at,
    originally_purchased_at: t.originally_purchased_at ?? chain.first_purchased_at,
    from: toMs(chain.first_purchased_at),
    until,
    expires_at: expires,
    renewal_cancelled_at: renewOff ? (t.renew_status_changed_at ?? t.purchased_at) : null,
    billing_issue_detected_at: t.billing_issue_detected_at,
    grace_period_expires_at: inGraceWindow ? t.grace_period_expires_at : null,
    cancellation_reason: t.cancellation_reason,
    will_renew: !oneTime && t.renew_status === true && t.refunded_at === null,
    is_trial: isTrial(t),
    revoked_at: null,
  };
}

function grantSourceOf(g: Grant): AccessSource {
  const start = g.starts_at ?? g.granted_at;
  return {
    access_level_id: g.access_level_id,
    kind: 'grant',
    store: GRANT_STORE,
    store_product_id: GRANT_PRODUCT_ID,
    store_transaction_id: g.grant_id,
    store_original_transaction_id: g.grant_id,
    offer: null,
    environment: 'Production',
    starts_at: g.starts_at,
    purchased_at: start,
    originally_purchased_at: start,
    from: toMs(start),
    until: g.expires_at === null ? null : toMs(g.expires_at),
    expires_at: g.expires_at,
    renewal_cancelled_at: null,
    billing_issue_detected_at: null,
    grace_period_expires_at: null,
    cancellation_reason: null,
    will_renew: false,
    is_trial: false,
    revoked_at: null,
  };
}

/*
 * Chains and grants are never changed once built (a change replaces the entry), so what is derived
 * from one can be kept with it: folding a profile with many grants then costs its new grant, not
 * all of them again. A state's own list is kept with the state's `seq`: applyEvent updates states
 * in place, and every event it folds moves `seq`. Pure memoisation, no behaviour.
 */
const chainSources = new WeakMap<Chain, AccessSource | null>();
const grantSources = new WeakMap<Grant, AccessSource>();
const stateSources = new WeakMap<ProfileState, { seq: number; sources: AccessSource[] }>();

function chainSource(chain: Chain): AccessSource | null {
  let s = chainSources.get(chain);
  if (s === undefined) chainSources.set(chain, (s = chainSourceOf(chain)));
  return s;
}

function grantSource(g: Grant): AccessSource {
  let s = grantSources.get(g);
  if (s === undefined) grantSources.set(g, (s = grantSourceOf(g)));
  return s;
}

/** Every source of every access level, with refunds and revocations applied. Sources already ended are kept. */
export function accessSources(state: ProfileState): AccessSource[] {
  const memo = stateSources.get(state);
  if (memo !== undefined && memo.seq === state.seq) return memo.sources;
  const sources = computeAccessSources(state);
  stateSources.set(state, { seq: state.seq, sources });
  return sources;
}

function computeAccessSources(state: ProfileState): AccessSource[] {
  const sources: AccessSource[] = [];
  for (const chain of state.chains.values()) {
    const s = chainSource(chain);
    if (s) sources.push(capByRevocations(state, s, chain.given_seq));
  }
  for (const g of state.grants) sources.push(capByRevocations(state, grantSource(g), g.given_seq));
  return sources;
}

/** The source gives access at `now`: it has started and not ended. */
export const isActiveAt = (s: AccessSource, now: number): boolean => s.from <= now && (s.until === null || now < s.until);
const isUpcomingAt = (s: AccessSource, now: number): boolean => s.from > now && (s.until === null || s.until > s.from);
const lastsLonger = (a: AccessSource, b: AccessSource): boolean =>
  a.until === null ? b.until !== null : b.until !== null && a.until > b.until;

/**
 * The access levels a profile has at `now`, one per level: the active source that lasts
 * longest, or, when none is active yet, a scheduled one (a grant with a future start).
 * Sources that have ended are not shown: an expired access level is no access.
 */
export function accessLevelsAt(sources: AccessSource[], now: number): AccessSource[] {
  const chosen = new Map<string, { source: AccessSource; active: boolean }>();
  for (const s of sources) {
    const active = isActiveAt(s, now);
    if (!active && !isUpcomingAt(s, now)) continue;
    const best = chosen.get(s.access_level_id);
    if (!best || (active && !best.active) || (active === best.active && lastsLonger(s, best.source))) {
      chosen.set(s.access_level_id, { source: s, active });
    }
  }
  return [...chosen.values()].map((c) => c.source);
}

export const isInGracePeriodAt = (s: AccessSource, now: number): boolean =>
  s.grace_period_expires_at !== null && s.until !== null && now < s.until && s.billing_issue_detected_at !== null;

/** An offer as Adapty's v1 profiles and webhooks name it: an introductory type, or a promotional type and id. */
export function activeOfferTypes(offer: Offer | null) {
  const promo = offer && offer.category !== 'introductory' ? offer : null;
  return {
    active_introductory_offer_type: offer?.category === 'introductory' ? offer.type : null,
    active_promotional_offer_type: promo?.type ?? null,
    active_promotional_offer_id: promo?.id ?? null,
  };
}
