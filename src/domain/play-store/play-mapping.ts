import { Offer, Transaction } from '../profile/profile.events';
import { Iso } from '../shared/time';
import { PARTIAL_REFUND, SUBSCRIPTION_REVOKED } from './play-notification';
import { environmentOf, orderIdOf, PlayLineItem, PlayMoney, PlayProductPurchase, PlayRecord, PlaySubscriptionV2, recordOrder } from './play-record';

/**
 * What a purchase token's records say each of its orders is, as the ledger's own transactions
 * (event-semantics.md's fields): a pure function of the set of records, whatever order they came
 * in. A subscription's order is one billing period (`GPA.…`, `GPA.…..0`, `GPA.…..1`); its fields are
 * the newest read that shows it, and what happened while it was in force (a billing issue, a
 * cancellation, a revocation) comes from the reads of that order.
 */
export interface PlayLedgerTransaction {
  transaction: Transaction;
  notification_id: string;
  /** The token's newest order: the one renewal changes apply to now. */
  latest: boolean;
}

export interface PlayPurchaseFacts {
  /** The ledger chain the token belongs to (its own first order, or the chain of the token it replaced). */
  chainId: string;
  records: PlayRecord[];
  /** A newer token replaced this one (an upgrade, downgrade or resubscription) at this instant. */
  replacedAt: number | null;
}

const iso = (ms: number): Iso => new Date(ms).toISOString();
const ms = (time: string | undefined): number | null => {
  const t = time === undefined ? Number.NaN : Date.parse(time);
  return Number.isNaN(t) ? null : t;
};

/** Access continues from one order to the next unless the older one ended in a hold, a pause or an expiry. */
const BROKEN = new Set(['SUBSCRIPTION_STATE_ON_HOLD', 'SUBSCRIPTION_STATE_PAUSED', 'SUBSCRIPTION_STATE_EXPIRED']);
const BILLING = new Set(['SUBSCRIPTION_STATE_IN_GRACE_PERIOD', 'SUBSCRIPTION_STATE_ON_HOLD']);
const BILLING_NOTICES = new Set(['SUBSCRIPTION_ON_HOLD', 'SUBSCRIPTION_IN_GRACE_PERIOD']);

interface Read {
  record: PlayRecord;
  s: PlaySubscriptionV2;
  li: PlayLineItem;
  order: string;
  state: string;
}

/** `..N` orders come after the first one, in N's order. */
const orderIndex = (order: string): number => {
  const m = /\.\.(\d+)$/.exec(order);
  return m ? Number(m[1]) : -1;
};

function moneyValue(m: PlayMoney | undefined): { currency: string; value: number } | null {
  if (!m || typeof m.currencyCode !== 'string' || !/^[A-Za-z]{3}$/.test(m.currencyCode)) return null;
  const value = Number(m.units ?? 0) + (m.nanos ?? 0) / 1e9;
  return Number.isFinite(value) && value >= 0 ? { currency: m.currencyCode.toUpperCase(), value: Math.round(value * 1e6) / 1e6 } : null;
}

/** The offer phase of the period (newer answers say it); a free trial is a trial, an introductory price an introductory offer. */
function offerOf(li: PlayLineItem): Offer | null {
  const id = li.offerDetails?.offerId ?? null;
  if (li.offerPhase?.freeTrial) return { category: 'introductory', type: 'free_trial', id };
  if (li.offerPhase?.introductoryPrice) return { category: 'introductory', type: 'pay_as_you_go', id };
  return null;
}

function cancellationOf(s: PlaySubscriptionV2): string | null {
  const c = s.canceledStateContext;
  if (!c) return s.subscriptionState === 'SUBSCRIPTION_STATE_ON_HOLD' ? 'billing_error' : null;
  if (c.replacementCancellation) return 'new_subscription_replace';
  if (c.developerInitiatedCancellation) return 'cancelled_by_developer';
  if (c.systemInitiatedCancellation) return 'billing_error';
  return 'voluntarily_cancelled';
}

/** Refunds by order: Google's voided purchases (full ones: a quantity-based partial refund leaves access). */
function refundsOf(records: PlayRecord[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of records) {
    const v = r.notification?.voidedPurchaseNotification;
    const listed = r.resource?.kind === 'voided_purchase' ? r.resource.value : null;
    const order = v?.orderId ?? listed?.orderId;
    if (!order || v?.refundType === PARTIAL_REFUND) continue;
    const at = r.event_time;
    out.set(order, Math.min(out.get(order) ?? at, at));
  }
  return out;
}

function subscriptionReads(sorted: PlayRecord[]): Read[] {
  const reads: Read[] = [];
  for (const record of sorted) {
    if (record.resource?.kind !== 'subscriptionsv2') continue;
    const s = record.resource.value;
    const li = s.lineItems?.[0];
    const order = orderIdOf(s);
    if (!li || !order || s.subscriptionState === 'SUBSCRIPTION_STATE_PENDING' || s.subscriptionState === 'SUBSCRIPTION_STATE_PENDING_PURCHASE_CANCELED') continue;
    reads.push({ record, s, li, order, state: s.subscriptionState ?? '' });
  }
  return reads;
}

/** Renewal status, when it last changed, and the billing issue, from the reads of one order in store order. */
function renewalOf(reads: Read[], purchased: number) {
  let renew: boolean | null = null;
  let changedAt: number | null = null;
  for (const r of reads) {
    if (!r.li.autoRenewingPlan) continue;
    const on = r.li.autoRenewingPlan.autoRenewEnabled === true;
    if ((renew === null && !on) || (renew !== null && on !== renew)) changedAt = r.record.event_time;
    renew = on;
  }
  const newest = reads[reads.length - 1];
  const cancelTime = ms(newest.s.canceledStateContext?.userInitiatedCancellation?.cancelTime);
  if (renew === false && cancelTime !== null) changedAt = cancelTime;
  const billing = reads.find((r) => BILLING.has(r.state) || BILLING_NOTICES.has(r.record.notification_type));
  const graces = reads.filter((r) => r.state === 'SUBSCRIPTION_STATE_IN_GRACE_PERIOD').map((r) => ms(r.li.expiryTime) ?? 0);
  // An account hold ends the grace period: Google stopped waiting then.
  const hold = reads.find((r) => r.state === 'SUBSCRIPTION_STATE_ON_HOLD')?.record.event_time ?? Infinity;
  return {
    renew,
    changedAt: changedAt !== null && changedAt > purchased ? changedAt : null,
    billingAt: billing ? Math.max(billing.record.event_time, purchased + 1) : null,
    graceEnd: billing && graces.length > 0 ? Math.min(Math.max(...graces), hold) : null,
  };
}

function subscriptionTransactions(facts: PlayPurchaseFacts, sorted: PlayRecord[], refunds: Map<string, number>): PlayLedgerTransaction[] {
  const byOrder = new Map<string, Read[]>();
  for (const r of subscriptionReads(sorted)) byOrder.set(r.order, [...(byOrder.get(r.order) ?? []), r]);
  const orders = [...byOrder.keys()].sort((a, b) => orderIndex(a) - orderIndex(b) || byOrder.get(a)![0].record.event_time - byOrder.get(b)![0].record.event_time);
  const out: PlayLedgerTransaction[] = [];
  const sandbox = sorted.some((r) => environmentOf(r.resource) === 'Sandbox');
  let previous: { purchased: number; expires: number; state: string } | null = null;
  orders.forEach((order, i) => {
    const reads = byOrder.get(order)!;
    const first = reads[0];
    const newest = reads[reads.length - 1];
    const start = ms(newest.s.startTime);
    const earliest = first.record.event_time;
    let purchased = orderIndex(order) < 0 ? (start ?? earliest) : earliest;
    // A renewal is paid when the period before it ends: Google may say so a little later.
    if (orderIndex(order) >= 0 && previous && !BROKEN.has(previous.state) && previous.expires < purchased) purchased = Math.max(previous.expires, previous.purchased + 1);
    let expires = ms(newest.li.expiryTime);
    const latest = i === orders.length - 1;
    const replaced = latest && facts.replacedAt !== null && facts.replacedAt > purchased ? facts.replacedAt : null;
    if (replaced !== null && expires !== null) expires = Math.min(expires, replaced);
    if (expires === null || expires <= purchased) return;
    const renewal = renewalOf(reads, purchased);
    const revoked = reads.find((r) => r.record.notification?.subscriptionNotification?.notificationType === SUBSCRIPTION_REVOKED)?.record.event_time;
    const refundedAt = Math.min(revoked ?? Infinity, refunds.get(order) ?? Infinity);
    const refunded = Number.isFinite(refundedAt) && refundedAt > purchased ? refundedAt : null;
    const ended = BROKEN.has(newest.state) || newest.state === 'SUBSCRIPTION_STATE_CANCELED';
    const reason =
      refunded !== null ? 'refund' : replaced !== null ? 'new_subscription_replace' : newest.state === 'SUBSCRIPTION_STATE_PAUSED' ? 'paused' : ended ? cancellationOf(newest.s) : null;
    const offer = offerOf(first.li.offerPhase ? first.li : newest.li);
    const money = moneyValue(newest.li.autoRenewingPlan?.recurringPrice);
    out.push({
      transaction: {
        purchase_type: 'subscription',
        store: 'play_store',
        environment: sandbox ? 'Sandbox' : 'Production',
        store_product_id: newest.li.productId ?? first.record.product_id ?? 'unknown',
        store_transaction_id: order,
        store_original_transaction_id: facts.chainId,
        is_family_shared: false,
        price: {
          country: (newest.s.regionCode ?? 'ZZ').toUpperCase(),
          currency: money?.currency ?? 'XXX',
          value: offer?.type === 'free_trial' || !money ? 0 : money.value,
        },
        purchased_at: iso(purchased),
        variation_id: null,
        offer,
        refunded_at: refunded === null ? null : iso(refunded),
        cancellation_reason: reason,
        originally_purchased_at: start !== null && start <= purchased ? iso(start) : null,
        expires_at: iso(expires),
        renew_status: replaced !== null ? false : renewal.renew,
        renew_status_changed_at: renewal.changedAt === null ? null : iso(renewal.changedAt),
        billing_issue_detected_at: renewal.billingAt === null ? null : iso(renewal.billingAt),
        grace_period_expires_at: renewal.graceEnd !== null && renewal.graceEnd >= expires ? iso(renewal.graceEnd) : null,
        store_base_plan_id: newest.li.offerDetails?.basePlanId ?? null,
      },
      notification_id: newest.record.id,
      latest,
    });
    previous = { purchased, expires, state: newest.state };
  });
  return out;
}

type ProductRead = PlayRecord & { resource: { kind: 'product'; value: PlayProductPurchase } };

/** A one-time product: bought once (purchaseState 0), refunded when Google later says cancelled (1) or voids it. */
function productTransactions(facts: PlayPurchaseFacts, sorted: PlayRecord[], refunds: Map<string, number>): PlayLedgerTransaction[] {
  const reads = sorted.filter((r): r is ProductRead => r.resource?.kind === 'product');
  const bought = reads.findIndex((r) => (r.resource.value.purchaseState ?? 0) === 0);
  if (bought < 0) return [];
  const p = reads[bought].resource.value;
  const purchased = Number(p.purchaseTimeMillis) || reads[bought].event_time;
  const order = p.orderId || facts.chainId;
  const cancelled = reads.slice(bought + 1).find((r) => r.resource.value.purchaseState === 1)?.event_time;
  const refundedAt = Math.min(cancelled ?? Infinity, refunds.get(order) ?? Infinity);
  const refunded = Number.isFinite(refundedAt) ? Math.max(refundedAt, purchased + 1) : null;
  return [
    {
      transaction: {
        purchase_type: 'one_time_purchase',
        store: 'play_store',
        environment: environmentOf(reads[bought].resource),
        store_product_id: reads[bought].product_id ?? 'unknown',
        store_transaction_id: order,
        store_original_transaction_id: facts.chainId,
        is_family_shared: false,
        // products.get says no price: it is unknown (0 in XXX), as for any store that does not say.
        price: { country: (p.regionCode ?? 'ZZ').toUpperCase(), currency: 'XXX', value: 0 },
        purchased_at: iso(purchased),
        variation_id: null,
        offer: null,
        refunded_at: refunded === null ? null : iso(refunded),
        cancellation_reason: refunded === null ? null : 'refund',
        originally_purchased_at: null,
        expires_at: null,
        renew_status: null,
        renew_status_changed_at: null,
        billing_issue_detected_at: null,
        grace_period_expires_at: null,
      },
      notification_id: (refunded === null ? reads[bought] : sorted[sorted.length - 1]).id,
      latest: true,
    },
  ];
}

export function playLedgerTransactions(facts: PlayPurchaseFacts): PlayLedgerTransaction[] {
  const sorted = [...facts.records].sort(recordOrder);
  const refunds = refundsOf(sorted);
  return [...subscriptionTransactions(facts, sorted, refunds), ...productTransactions(facts, sorted, refunds)];
}
