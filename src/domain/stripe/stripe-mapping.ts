import { Offer, Transaction } from '../profile/profile.events';
import { Iso } from '../shared/time';
import { customerOf, environmentOf, field, majorUnits, paymentsOfInvoice, recordOrder, StripeObject, StripeRecord, stripeId, subscriptionOfInvoice } from './stripe-record';

/**
 * What a Stripe customer's records say each of its transactions is, as the ledger's own transactions
 * (event-semantics.md's fields), a pure function of the set of records, whatever order they came in:
 * each object is its newest record (Stripe's `created`). A subscription is a chain; each paid invoice
 * is a transaction (one billing period); a one-time payment (a checkout session in payment mode, a
 * payment intent) is its own chain. Refunds and disputes end the payment they name.
 */
export interface StripeLedgerTransaction {
  transaction: Transaction;
  record_id: string;
  /** The chain's newest transaction: the one renewal changes apply to now. */
  latest: boolean;
}

const iso = (s: number): Iso => new Date(s * 1000).toISOString();
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const list = (v: unknown): StripeObject[] => (Array.isArray(v) ? (v.filter((x) => x !== null && typeof x === 'object') as StripeObject[]) : []);

interface Versioned {
  object: StripeObject;
  record: StripeRecord;
  /** Every record of the object, oldest first. */
  history: StripeRecord[];
}

/** The newest record of each object, by id and kind. */
function newest(records: StripeRecord[], kind: string): Map<string, Versioned> {
  const out = new Map<string, Versioned>();
  for (const r of [...records].sort(recordOrder)) {
    const o = r.object;
    if (o.object !== kind || typeof o.id !== 'string') continue;
    const was = out.get(o.id);
    out.set(o.id, { object: o, record: r, history: [...(was?.history ?? []), r] });
  }
  return out;
}

/** When each payment (payment intent or charge id) was refunded in full or disputed, and by which record. */
function refunds(records: StripeRecord[]): Map<string, { at: number; record: string }> {
  const out = new Map<string, { at: number; record: string }>();
  const mark = (ids: Array<string | null>, at: number, record: string) => {
    for (const id of ids) if (id !== null && (!out.has(id) || out.get(id)!.at > at)) out.set(id, { at, record });
  };
  for (const r of [...records].sort(recordOrder)) {
    const o = r.object;
    if (o.object === 'charge' && (o.refunded === true || (num(o.amount_refunded) ?? 0) >= (num(o.amount) ?? Infinity))) {
      const at = Math.max(0, ...list(field(o, 'refunds', 'data')).map((x) => num(x.created) ?? 0)) || r.created;
      mark([stripeId(o.id), stripeId(o.payment_intent), stripeId(o.invoice)], at, r.id);
    }
    if (o.object === 'dispute') mark([stripeId(o.charge), stripeId(o.payment_intent)], num(o.created) ?? r.created, r.id);
  }
  return out;
}

/** The line of an invoice that bills the subscription's period (the longest reaching furthest; a proration's credit is not it). */
function periodOf(invoice: StripeObject): { start: number; end: number; line: StripeObject | null } | null {
  let best: { start: number; end: number; line: StripeObject } | null = null;
  for (const line of list(field(invoice, 'lines', 'data'))) {
    if ((num(line.amount) ?? 0) < 0) continue;
    const start = num(field(line, 'period', 'start'));
    const end = num(field(line, 'period', 'end'));
    if (start === null || end === null || end <= start) continue;
    if (!best || end > best.end || (end === best.end && start < best.start)) best = { start, end, line };
  }
  return best;
}

const productOfLine = (line: StripeObject | null): string | null =>
  stripeId(field(line, 'pricing', 'price_details', 'product')) ?? stripeId(field(line, 'price', 'product')) ?? stripeId(field(line, 'plan', 'product'));

const itemOf = (sub: StripeObject): StripeObject | null => list(field(sub, 'items', 'data'))[0] ?? null;

/** A subscription's current period: on its item (API 2025-03 and later) or on itself (before). */
function currentPeriod(sub: StripeObject): { start: number; end: number } | null {
  const item = itemOf(sub);
  const start = num(item?.current_period_start) ?? num(sub.current_period_start);
  const end = num(item?.current_period_end) ?? num(sub.current_period_end);
  return start !== null && end !== null && end > start ? { start, end } : null;
}

const CANCELLATION_REASONS: ReadonlyMap<string, string> = new Map([
  ['cancellation_requested', 'voluntarily_cancelled'],
  ['payment_failed', 'billing_error'],
  ['payment_disputed', 'refund'],
]);

/** States in which Stripe's current period is in force before its invoice is seen; past_due and unpaid wait for a payment. */
const PAID_STATES = new Set(['active', 'trialing', 'canceled', 'paused']);

function renewalOf(sub: Versioned, invoiceRecords: StripeRecord[], purchased: number) {
  const renewing = (o: StripeObject) => o.status !== 'canceled' && o.cancel_at_period_end !== true && o.cancel_at == null;
  let renew: boolean | null = null;
  let changedAt: number | null = null;
  for (const r of sub.history) {
    const on = renewing(r.object);
    if ((renew === null && !on) || (renew !== null && on !== renew)) changedAt = num(r.object.canceled_at) ?? r.created;
    renew = on;
  }
  const failed = invoiceRecords.filter((r) => r.type === 'invoice.payment_failed' && r.created > purchased).map((r) => r.created);
  const overdue = sub.history.filter((r) => (r.object.status === 'past_due' || r.object.status === 'unpaid') && r.created > purchased).map((r) => r.created);
  const billing = [...failed, ...overdue];
  return { renew, changedAt: changedAt !== null && changedAt > purchased ? changedAt : null, billingAt: billing.length > 0 ? Math.min(...billing) : null };
}

function subscriptionTransactions(records: StripeRecord[], paid: Map<string, { at: number; record: string }>): StripeLedgerTransaction[] {
  const subs = newest(records, 'subscription');
  const invoices = newest(records, 'invoice');
  const out: StripeLedgerTransaction[] = [];
  const subscriptionIds = new Set([...subs.keys(), ...[...invoices.values()].map((v) => subscriptionOfInvoice(v.object)).filter((x): x is string => x !== null)]);
  for (const subId of subscriptionIds) {
    const sub = subs.get(subId) ?? null;
    const s = sub?.object ?? null;
    interface Period {
      id: string;
      start: number;
      end: number;
      product: string | null;
      amount: number | null;
      currency: string | null;
      record: StripeRecord;
      payments: string[];
      country: string | null;
      /** The subscription's first invoice. */
      first: boolean;
    }
    const periods: Period[] = [];
    const invoiceRecords: StripeRecord[] = [];
    for (const v of invoices.values()) {
      if (subscriptionOfInvoice(v.object) !== subId) continue;
      invoiceRecords.push(...v.history);
      const i = v.object;
      const isPaid = i.status === 'paid' || v.history.some((r) => r.type === 'invoice.paid' || r.type === 'invoice.payment_succeeded');
      const period = periodOf(i);
      if (!isPaid || !period) continue;
      periods.push({
        id: i.id!,
        start: period.start,
        end: period.end,
        product: productOfLine(period.line),
        amount: num(i.amount_paid),
        currency: typeof i.currency === 'string' ? i.currency : null,
        record: v.record,
        payments: [i.id!, ...paymentsOfInvoice(i)],
        country: (field(i, 'customer_address', 'country') as string | undefined) ?? null,
        first: i.billing_reason === 'subscription_create',
      });
    }
    // A subscription Stripe says is in force whose invoice the ledger has not seen paid yet (events come in any order).
    const current = s ? currentPeriod(s) : null;
    // The subscription's newest invoice as any of its records named it (an event may leave it out).
    const latestInvoice = sub ? ([...sub.history].reverse().map((r) => stripeId(r.object.latest_invoice)).find((id) => id !== null) ?? null) : null;
    if (s && current && PAID_STATES.has(String(s.status)) && !periods.some((p) => p.end >= current.end)) {
      const price = field(itemOf(s), 'price') as StripeObject | undefined;
      periods.push({
        id: latestInvoice ?? `${subId}:${current.start}`,
        start: current.start,
        end: current.end,
        product: stripeId(price?.product) ?? stripeId(field(itemOf(s), 'plan', 'product')),
        amount: s.status === 'trialing' ? 0 : num(price?.unit_amount),
        currency: typeof price?.currency === 'string' ? price.currency : null,
        record: sub!.record,
        payments: latestInvoice ? [latestInvoice] : [],
        country: null,
        first: false,
      });
    }
    periods.sort((a, b) => a.start - b.start || a.end - b.end || (a.id < b.id ? -1 : 1));
    const trialEnd = s ? num(s.trial_end) : null;
    const originally = periods[0]?.start ?? null;
    periods.forEach((p, i) => {
      const next = periods[i + 1];
      const latest = i === periods.length - 1;
      let expires = p.end;
      let reason: string | null = null;
      // A change of plan billed at once (a proration invoice) starts the new period now: the old one ends there.
      if (next && next.start < p.end && next.start > p.start) {
        expires = next.start;
        reason = 'upgraded';
      }
      const refund = p.payments.map((id) => paid.get(id)).filter((x) => x !== undefined).sort((a, b) => a!.at - b!.at)[0];
      const refunded = refund && refund.at > p.start ? refund.at : null;
      const renewal = latest && sub ? renewalOf(sub, invoiceRecords, p.start) : { renew: null, changedAt: null, billingAt: null };
      if (latest && s) {
        const ended = num(s.ended_at);
        if (s.status === 'canceled' && ended !== null && ended < expires && ended > p.start) expires = ended;
        if (s.status === 'canceled') reason ??= CANCELLATION_REASONS.get(String(field(s, 'cancellation_details', 'reason'))) ?? 'voluntarily_cancelled';
        if (s.status === 'paused') {
          const pausedAt = sub!.history.find((r) => r.object.status === 'paused')!.created;
          if (pausedAt < expires && pausedAt > p.start) expires = pausedAt;
          reason = 'paused';
        }
      }
      // A free period within the trial; with no subscription seen yet, a free first invoice is the trial's.
      const trial = p.amount === 0 && (trialEnd !== null ? trialEnd >= p.end : s === null && p.first);
      const offer: Offer | null = trial ? { category: 'introductory', type: 'free_trial', id: null } : null;
      const currency = (p.currency ?? 'xxx').toUpperCase();
      out.push({
        transaction: {
          purchase_type: 'subscription',
          store: 'stripe',
          environment: environmentOf(p.record),
          store_product_id: p.product ?? 'unknown',
          store_transaction_id: p.id,
          store_original_transaction_id: subId,
          is_family_shared: false,
          price: { country: (p.country ?? 'ZZ').toUpperCase(), currency, value: trial || p.amount === null || p.currency === null ? 0 : majorUnits(p.amount, p.currency) },
          purchased_at: iso(p.start),
          variation_id: null,
          offer,
          refunded_at: refunded === null ? null : iso(refunded),
          cancellation_reason: refunded !== null ? 'refund' : reason,
          originally_purchased_at: originally !== null ? iso(originally) : null,
          expires_at: iso(expires),
          renew_status: latest ? renewal.renew : null,
          renew_status_changed_at: renewal.changedAt === null ? null : iso(renewal.changedAt),
          billing_issue_detected_at: renewal.billingAt === null ? null : iso(renewal.billingAt),
          grace_period_expires_at: null,
        },
        record_id: refunded !== null ? refund!.record : p.record.id,
        latest,
      });
    });
  }
  return out;
}

/** One-time payments: a paid checkout session in payment mode, or a succeeded payment intent (a validation call's import). */
function oneTimeTransactions(records: StripeRecord[], paid: Map<string, { at: number; record: string }>): StripeLedgerTransaction[] {
  const out = new Map<string, StripeLedgerTransaction>();
  const add = (id: string, o: StripeObject, r: StripeRecord, product: string | null, amount: number | null, currency: string | null, created: number) => {
    if (out.has(id)) return;
    const refund = paid.get(id);
    out.set(id, {
      transaction: {
        purchase_type: 'one_time_purchase',
        store: 'stripe',
        environment: environmentOf(r),
        store_product_id: product ?? 'unknown',
        store_transaction_id: id,
        store_original_transaction_id: id,
        is_family_shared: false,
        price: { country: ((field(o, 'customer_details', 'address', 'country') as string | undefined) ?? 'ZZ').toUpperCase(), currency: (currency ?? 'xxx').toUpperCase(), value: amount === null || currency === null ? 0 : majorUnits(amount, currency) },
        purchased_at: iso(created),
        variation_id: null,
        offer: null,
        refunded_at: refund && refund.at > created ? iso(refund.at) : null,
        cancellation_reason: refund && refund.at > created ? 'refund' : null,
        originally_purchased_at: null,
        expires_at: null,
        renew_status: null,
        renew_status_changed_at: null,
        billing_issue_detected_at: null,
        grace_period_expires_at: null,
      },
      record_id: refund && refund.at > created ? refund.record : r.id,
      latest: true,
    });
  };
  for (const v of newest(records, 'checkout.session').values()) {
    const o = v.object;
    if (o.mode !== 'payment' || o.payment_status !== 'paid') continue;
    const line = list(field(o, 'line_items', 'data'))[0] ?? null;
    const product = (field(o, 'metadata', 'product_id') as string | undefined) ?? stripeId(field(line, 'price', 'product'));
    add(stripeId(o.payment_intent) ?? o.id!, o, v.record, product, num(o.amount_total), typeof o.currency === 'string' ? o.currency : null, num(o.created) ?? v.record.created);
  }
  for (const v of newest(records, 'payment_intent').values()) {
    const o = v.object;
    if (o.status !== 'succeeded' || stripeId(o.invoice) !== null) continue;
    add(o.id!, o, v.record, (field(o, 'metadata', 'product_id') as string | undefined) ?? null, num(o.amount_received) ?? num(o.amount), typeof o.currency === 'string' ? o.currency : null, num(o.created) ?? v.record.created);
  }
  return [...out.values()];
}

export function stripeLedgerTransactions(records: StripeRecord[]): StripeLedgerTransaction[] {
  const paid = refunds(records);
  return [...subscriptionTransactions(records, paid), ...oneTimeTransactions(records, paid)];
}

/** The chain a record is about, as the profile's history files it: its subscription, its payment, else the object itself. */
export function chainOfRecord(r: StripeRecord): string {
  const o = r.object;
  if (o.object === 'subscription') return o.id ?? 'unknown';
  if (o.object === 'invoice') return subscriptionOfInvoice(o) ?? o.id ?? 'unknown';
  if (o.object === 'checkout.session') return stripeId(o.subscription) ?? stripeId(o.payment_intent) ?? o.id ?? 'unknown';
  if (o.object === 'charge' || o.object === 'dispute') return stripeId(o.payment_intent) ?? stripeId(o.charge) ?? o.id ?? 'unknown';
  return o.id ?? customerOf(o) ?? 'unknown';
}
