import { Environment } from '../profile/profile.events';

export const STRIPE = 'stripe';

/** A Stripe API object, as Stripe names its fields (API versions before and after 2025-03 both read). */
export type StripeObject = Record<string, unknown> & { id?: string; object?: string };

/**
 * One word of Stripe's, kept as evidence: an event (its `data.object` at `created`), or an object read
 * from Stripe's API (a re-read before applying an event, or a validation call's import).
 */
export interface StripeRecord {
  /** The event id (`evt_…`); a read: `read:<object id>:<digest>`. */
  id: string;
  /** Stripe's `created` of the event (seconds); a read: when it was read. */
  created: number;
  /** The event type (`invoice.paid`, …); a read: `api.read`. */
  type: string;
  object: StripeObject;
  livemode: boolean;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const idOf = (v: unknown): string | null => str(v) ?? (v !== null && typeof v === 'object' ? str((v as StripeObject).id) : null);
const obj = (v: unknown): StripeObject | null => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as StripeObject) : null);
/** Own fields only (never the prototype's), along a fixed path. */
const dig = (v: unknown, ...path: string[]): unknown => path.reduce<unknown>((o, k) => (obj(o) ? Object.getOwnPropertyDescriptor(o, k)?.value : undefined), v);

export const stripeId = idOf;
export const field = dig;

/** The customer an object belongs to (a checkout session without one is its own key). */
export const customerOf = (o: StripeObject): string | null => idOf(o.customer);

/** The subscription an invoice bills (newer API: parent.subscription_details; older: subscription). */
export function subscriptionOfInvoice(invoice: StripeObject): string | null {
  const line = obj((dig(invoice, 'lines', 'data') as unknown[] | undefined)?.[0]);
  return (
    idOf(dig(invoice, 'parent', 'subscription_details', 'subscription')) ??
    idOf(invoice.subscription) ??
    idOf(dig(line, 'parent', 'subscription_item_details', 'subscription')) ??
    idOf(line?.subscription)
  );
}

/** The payment intents and charges that paid an invoice (older API: fields; newer: invoice.payments). */
export function paymentsOfInvoice(invoice: StripeObject): string[] {
  const out = [idOf(invoice.payment_intent), idOf(invoice.charge)];
  for (const p of (dig(invoice, 'payments', 'data') as unknown[] | undefined) ?? []) {
    out.push(idOf(dig(p, 'payment', 'payment_intent')), idOf(dig(p, 'payment', 'charge')));
  }
  return out.filter((x): x is string => x !== null);
}

/** The ids a record lets the ledger find its customer by: the object, its subscription, its payments. */
export function referencesOf(o: StripeObject): string[] {
  const refs = [str(o.id)];
  if (o.object === 'invoice') refs.push(subscriptionOfInvoice(o), ...paymentsOfInvoice(o));
  if (o.object === 'checkout.session') refs.push(idOf(o.subscription), idOf(o.payment_intent));
  if (o.object === 'charge') refs.push(idOf(o.payment_intent));
  return [...new Set(refs.filter((x): x is string => x !== null))];
}

/** `metadata.customer_user_id` (Adapty's Stripe convention) on the object, its subscription details or its customer, when expanded. */
export function customerUserIdOf(o: StripeObject): string | null {
  return (
    str(dig(o, 'metadata', 'customer_user_id')) ??
    str(dig(o, 'subscription_details', 'metadata', 'customer_user_id')) ??
    str(dig(o, 'parent', 'subscription_details', 'metadata', 'customer_user_id')) ??
    str(dig(o, 'customer', 'metadata', 'customer_user_id')) ??
    str(o.client_reference_id)
  );
}

export const environmentOf = (r: StripeRecord): Environment => (r.livemode ? 'Production' : 'Sandbox');

/** Currencies whose amounts Stripe gives in whole units (its zero-decimal list); the rest in hundredths. */
const ZERO_DECIMAL = new Set(['bif', 'clp', 'djf', 'gnf', 'jpy', 'kmf', 'krw', 'mga', 'pyg', 'rwf', 'ugx', 'vnd', 'vuv', 'xaf', 'xof', 'xpf']);
/** Stripe's three-decimal currencies are charged in thousandths. */
const THREE_DECIMAL = new Set(['bhd', 'jod', 'kwd', 'omr', 'tnd']);

export function majorUnits(minor: number, currency: string): number {
  const c = currency.toLowerCase();
  const digits = ZERO_DECIMAL.has(c) ? 0 : THREE_DECIMAL.has(c) ? 3 : 2;
  return Math.round(minor) / 10 ** digits;
}

/** Newest first wins: Stripe's `created`, then the record id (any arrival order folds the same). */
export const recordOrder = (a: StripeRecord, b: StripeRecord): number => a.created - b.created || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
