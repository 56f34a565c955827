import { alpha3ToAlpha2 } from 'i18n-iso-countries';
import { Offer, Transaction } from '../profile/profile.events';
import { Iso } from '../shared/time';
import {
  AppleNotification,
  AppleRenewalInfo,
  AppleTransactionInfo,
  isSubscriptionInfo,
  renewalSignedAt,
  signedOrder,
  transactionSignedAt,
} from './apple-notification';

/**
 * What a chain's notifications say each of its transactions is, as the ledger's own transactions
 * (event-semantics.md's fields). A pure function of the set of notifications, whatever order they
 * came in: each transaction is the newest signed transaction info about it, and what comes from the
 * renewal info (renewal status, billing issue, grace period, why it ended) belongs to the
 * transaction that was in force when that renewal info was signed.
 */
export interface AppleLedgerTransaction {
  transaction: Transaction;
  /** The notification whose signed information made this version. */
  notification_id: string;
  /** The chain's newest transaction: the one renewal changes apply to now. */
  latest: boolean;
  /** It replaced the previous product at once (an upgrade): it starts, it does not renew. */
  started_by_upgrade: boolean;
  /** Family Sharing took it back: access ends, but nobody was refunded. */
  revoked_from_family: boolean;
}

const iso = (ms: number): Iso => new Date(ms).toISOString();

const OFFER_CATEGORIES: ReadonlyMap<number, Offer['category']> = new Map([
  [1, 'introductory'],
  [2, 'promotional'],
  [3, 'offer_code'],
  [4, 'win_back'],
]);

const DISCOUNT_TYPES: ReadonlyMap<string, Offer['type']> = new Map([
  ['FREE_TRIAL', 'free_trial'],
  ['PAY_AS_YOU_GO', 'pay_as_you_go'],
  ['PAY_UP_FRONT', 'pay_up_front'],
]);

/** Apple's expirationIntent → the ledger's cancellation reason. */
const EXPIRATION_INTENTS: ReadonlyMap<number, string> = new Map([
  [1, 'voluntarily_cancelled'],
  [2, 'billing_error'],
  [3, 'price_increase'],
  [4, 'product_was_not_available'],
  [5, 'unknown'],
]);

/** EXPIRED's subtypes → the same reasons. */
const EXPIRED_SUBTYPES: ReadonlyMap<string, string> = new Map([
  ['VOLUNTARY', 'voluntarily_cancelled'],
  ['BILLING_RETRY', 'billing_error'],
  ['PRICE_INCREASE', 'price_increase'],
  ['PRODUCT_NOT_FOR_SALE', 'product_was_not_available'],
]);

export function offerOf(t: AppleTransactionInfo): Offer | null {
  const category = t.offerType === undefined ? undefined : OFFER_CATEGORIES.get(t.offerType);
  if (category === undefined) return null;
  // Payloads before offerDiscountType existed: a free introductory offer is a trial.
  const type =
    (t.offerDiscountType === undefined ? undefined : DISCOUNT_TYPES.get(t.offerDiscountType)) ??
    (category === 'introductory' && (t.price ?? 0) === 0 ? 'free_trial' : 'pay_as_you_go');
  // Every offer but an introductory one carries an id; Apple names offer codes by their reference name.
  const id = t.offerIdentifier ?? (category === 'introductory' ? null : category);
  return { category, type, id };
}

/** Apple's storefront is ISO 3166-1 alpha-3; the ledger keeps alpha-2 (ZZ: unknown). */
export const countryOf = (storefront: string | undefined): string => (storefront && alpha3ToAlpha2(storefront.toUpperCase())) || 'ZZ';

/** Apple's price is in milliunits of `currency`; without one (older payloads) the price is unknown: 0 in XXX. */
function priceOf(t: AppleTransactionInfo, offer: Offer | null, familyShared: boolean) {
  const known = typeof t.price === 'number' && typeof t.currency === 'string' && /^[A-Za-z]{3}$/.test(t.currency);
  const free = familyShared || offer?.type === 'free_trial' || !known;
  return { country: countryOf(t.storefront), currency: known ? t.currency!.toUpperCase() : 'XXX', value: free ? 0 : Math.round(t.price!) / 1000 };
}

interface Version {
  info: AppleTransactionInfo;
  notification: AppleNotification;
}

/** Later signed info wins; ties fall to the notification order (deterministic). */
const newer = (a: Version, b: Version): boolean => {
  const d = transactionSignedAt(a.notification) - transactionSignedAt(b.notification);
  return d > 0 || (d === 0 && signedOrder(a.notification, b.notification) > 0);
};

/** The ledger transaction an info is about: a one-time purchase is one, whatever transactionId a restore gave it. */
const ledgerIdOf = (t: AppleTransactionInfo): string => (isSubscriptionInfo(t) ? t.transactionId : t.originalTransactionId);

function newestVersions(notifications: AppleNotification[]): Version[] {
  const byId = new Map<string, Version>();
  for (const n of notifications) {
    if (!n.transaction) continue;
    const v = { info: n.transaction, notification: n };
    const current = byId.get(ledgerIdOf(n.transaction));
    if (!current || newer(v, current)) byId.set(ledgerIdOf(n.transaction), v);
  }
  return [...byId.values()].sort((a, b) => a.info.purchaseDate - b.info.purchaseDate || (a.info.transactionId < b.info.transactionId ? -1 : 1));
}

/** Renewal changes signed while a transaction was in force: from its purchase to the next one's. */
function renewalFields(t: AppleTransactionInfo, within: AppleNotification[]) {
  const purchase = t.purchaseDate;
  const renewals = within.filter((n) => n.renewal).sort((a, b) => renewalSignedAt(a) - renewalSignedAt(b) || signedOrder(a, b));
  const newest: AppleRenewalInfo | undefined = renewals[renewals.length - 1]?.renewal ?? undefined;
  let renew: boolean | null = null;
  let changedAt: number | null = null;
  for (const n of renewals) {
    const on = n.renewal!.autoRenewStatus === 1;
    if ((renew === null && !on) || (renew !== null && on !== renew)) changedAt = renewalSignedAt(n);
    renew = on;
  }
  const billing = within.filter((n) => n.notification_type === 'DID_FAIL_TO_RENEW' || n.notification_type === 'GRACE_PERIOD_EXPIRED' || n.renewal?.isInBillingRetryPeriod === true);
  const billingAt = billing.length === 0 ? null : Math.max(Math.min(...billing.map((n) => n.signed_date)), purchase + 1);
  const graces = renewals.map((n) => n.renewal!.gracePeriodExpiresDate).filter((g): g is number => typeof g === 'number' && g > 0);
  const grace = billingAt !== null && graces.length > 0 ? Math.max(...graces) : null;
  const expired = within.filter((n) => n.notification_type === 'EXPIRED' && n.subtype !== null && EXPIRED_SUBTYPES.has(n.subtype)).pop();
  const reason =
    (expired ? EXPIRED_SUBTYPES.get(expired.subtype!) : undefined) ??
    (newest?.expirationIntent === undefined ? undefined : EXPIRATION_INTENTS.get(newest.expirationIntent)) ??
    null;
  return {
    renew_status: renew,
    renew_status_changed_at: changedAt !== null && changedAt > purchase ? iso(changedAt) : null,
    billing_issue_detected_at: billingAt === null ? null : iso(billingAt),
    grace_period_expires_at: grace !== null && t.expiresDate !== undefined && grace >= t.expiresDate ? iso(grace) : null,
    cancellation_reason: reason,
  };
}

const NO_RENEWAL = {
  renew_status: null,
  renew_status_changed_at: null,
  billing_issue_detected_at: null,
  grace_period_expires_at: null,
  cancellation_reason: null,
} as const;

function ledgerTransaction(v: Version, renewal: ReturnType<typeof renewalFields> | typeof NO_RENEWAL, endedBy: { at: number; upgraded: boolean } | null): Transaction | null {
  const t = v.info;
  const subscription = isSubscriptionInfo(t);
  if (typeof t.purchaseDate !== 'number' || (subscription && !(typeof t.expiresDate === 'number' && t.expiresDate > t.purchaseDate))) return null;
  const familyShared = t.inAppOwnershipType === 'FAMILY_SHARED';
  const offer = offerOf(t);
  const refundedAt = endedBy !== null && endedBy.at > t.purchaseDate ? endedBy.at : null;
  const original = typeof t.originalPurchaseDate === 'number' ? Math.min(t.originalPurchaseDate, t.purchaseDate) : null;
  return {
    purchase_type: subscription ? 'subscription' : 'one_time_purchase',
    store: 'app_store',
    environment: v.notification.environment,
    store_product_id: t.productId,
    // A one-time purchase is one transaction: a restore repeats its original id.
    store_transaction_id: ledgerIdOf(t),
    store_original_transaction_id: t.originalTransactionId,
    is_family_shared: familyShared,
    price: priceOf(t, offer, familyShared),
    purchased_at: iso(t.purchaseDate),
    variation_id: null,
    offer,
    refunded_at: refundedAt === null ? null : iso(refundedAt),
    cancellation_reason: refundedAt !== null ? (endedBy!.upgraded ? 'upgraded' : 'refund') : renewal.cancellation_reason,
    originally_purchased_at: original === null ? null : iso(original),
    expires_at: subscription ? iso(t.expiresDate!) : null,
    renew_status: renewal.renew_status,
    renew_status_changed_at: renewal.renew_status_changed_at,
    billing_issue_detected_at: renewal.billing_issue_detected_at,
    grace_period_expires_at: renewal.grace_period_expires_at,
  };
}

const mentions = (notifications: AppleNotification[], t: AppleTransactionInfo, test: (n: AppleNotification) => boolean): boolean =>
  notifications.some((n) => n.transaction !== null && ledgerIdOf(n.transaction) === ledgerIdOf(t) && test(n));

export function appleLedgerTransactions(notifications: AppleNotification[]): AppleLedgerTransaction[] {
  const sorted = [...notifications].sort(signedOrder);
  const versions = newestVersions(sorted);
  const periods = versions.filter((v) => isSubscriptionInfo(v.info));
  const out: AppleLedgerTransaction[] = [];
  for (const v of versions) {
    const t = v.info;
    const subscription = isSubscriptionInfo(t);
    const i = periods.indexOf(v);
    const next = subscription ? periods[i + 1] : undefined;
    const byUpgrade = (p: Version | undefined) => p !== undefined && mentions(sorted, p.info, (n) => n.subtype === 'UPGRADE');
    const upgraded = next !== undefined && (t.isUpgraded === true || byUpgrade(next)) && t.expiresDate! > next.info.purchaseDate;
    const endedBy =
      typeof t.revocationDate === 'number'
        ? { at: t.revocationDate, upgraded: t.isUpgraded === true }
        : upgraded
          ? { at: next!.info.purchaseDate, upgraded: true }
          : null;
    const windowEnd = next?.info.purchaseDate ?? Number.POSITIVE_INFINITY;
    const within = sorted.filter((n) => n.signed_date >= t.purchaseDate && n.signed_date < windowEnd);
    const transaction = ledgerTransaction(v, subscription ? renewalFields(t, within) : NO_RENEWAL, endedBy);
    if (!transaction) continue;
    out.push({
      transaction,
      notification_id: v.notification.notification_uuid,
      latest: subscription ? i === periods.length - 1 : true,
      started_by_upgrade: subscription && i > 0 && byUpgrade(v),
      revoked_from_family: mentions(sorted, t, (n) => n.notification_type === 'REVOKE'),
    });
  }
  return out;
}
