import { stripeLedgerTransactions } from './stripe-mapping';
import { majorUnits, StripeObject, StripeRecord } from './stripe-record';

const T0 = Date.parse('2026-03-01T00:00:00Z') / 1000;
const D = 86_400;
const iso = (s: number) => new Date(s * 1000).toISOString();
let n = 0;
const rec = (type: string, object: StripeObject, created: number): StripeRecord => ({ id: `evt_${++n}`, created, type, object, livemode: true });

const sub = (o: { status?: string; cancel?: boolean; start?: number; end?: number; trialEnd?: number; endedAt?: number; legacy?: boolean } = {}): StripeObject => {
  const period = { current_period_start: o.start ?? T0, current_period_end: o.end ?? T0 + 30 * D };
  return {
    id: 'sub_1',
    object: 'subscription',
    customer: 'cus_1',
    status: o.status ?? 'active',
    cancel_at_period_end: o.cancel ?? false,
    cancel_at: null,
    canceled_at: o.cancel ? T0 + 5 * D : null,
    ended_at: o.endedAt ?? null,
    trial_end: o.trialEnd ?? null,
    latest_invoice: 'in_1',
    ...(o.legacy ? period : {}),
    items: { data: [{ ...(o.legacy ? {} : period), price: { product: 'prod_a', unit_amount: 500, currency: 'eur' } }] },
  };
};

/** An invoice in the newer shape (parent.subscription_details), or the older one (subscription, payment_intent). */
const invoice = (id: string, start: number, end: number, o: { legacy?: boolean; paid?: number; pi?: string; lines?: StripeObject[] } = {}): StripeObject => ({
  id,
  object: 'invoice',
  customer: 'cus_1',
  status: 'paid',
  amount_paid: o.paid ?? 500,
  currency: 'eur',
  ...(o.legacy ? { subscription: 'sub_1', payment_intent: o.pi ?? null } : { parent: { subscription_details: { subscription: 'sub_1' } }, payments: { data: o.pi ? [{ payment: { payment_intent: o.pi } }] : [] } }),
  lines: { data: o.lines ?? [{ amount: o.paid ?? 500, period: { start, end }, pricing: { price_details: { product: 'prod_a' } } }] },
});

const map = (records: StripeRecord[]) => stripeLedgerTransactions(records).map((d) => d.transaction);

describe('Stripe mapping (given a customer’s records, then its transactions)', () => {
  it('each paid invoice is a period of the subscription; the amount in major units of its currency', () => {
    const t = map([rec('customer.subscription.created', sub(), T0), rec('invoice.paid', invoice('in_1', T0, T0 + 30 * D), T0 + 1), rec('invoice.paid', invoice('in_2', T0 + 30 * D, T0 + 60 * D), T0 + 30 * D)]);
    expect(t.map((x) => [x.store_transaction_id, x.purchased_at, x.expires_at, x.price.value, x.price.currency])).toEqual([
      ['in_1', iso(T0), iso(T0 + 30 * D), 5, 'EUR'],
      ['in_2', iso(T0 + 30 * D), iso(T0 + 60 * D), 5, 'EUR'],
    ]);
    expect(t[1]).toMatchObject({ store_original_transaction_id: 'sub_1', store_product_id: 'prod_a', renew_status: true, environment: 'Production' });
  });

  it('reads the older API shape alike (periods on the subscription, invoice.subscription, invoice.payment_intent)', () => {
    const older = map([rec('customer.subscription.created', sub({ legacy: true }), T0), rec('invoice.paid', invoice('in_1', T0, T0 + 30 * D, { legacy: true }), T0 + 1)]);
    const newer = map([rec('customer.subscription.created', sub(), T0), rec('invoice.paid', invoice('in_1', T0, T0 + 30 * D), T0 + 1)]);
    expect(older).toEqual(newer);
  });

  it('a subscription Stripe says is active counts before its invoice arrives; events in any order give the same transactions', () => {
    expect(map([rec('customer.subscription.created', sub(), T0)])).toEqual([expect.objectContaining({ store_transaction_id: 'in_1', expires_at: iso(T0 + 30 * D) })]);
    const a = rec('customer.subscription.updated', sub({ cancel: true }), T0 + 5 * D);
    const b = rec('customer.subscription.updated', sub(), T0 + 2 * D);
    const c = rec('invoice.paid', invoice('in_1', T0, T0 + 30 * D), T0 + 1);
    const expected = map([c, b, a]);
    expect(map([a, b, c])).toEqual(expected);
    expect(expected[0]).toMatchObject({ renew_status: false, renew_status_changed_at: iso(T0 + 5 * D) });
  });

  it('a full refund or a dispute of an invoice’s payment refunds that period; a partial refund does not', () => {
    const base = [rec('invoice.paid', invoice('in_1', T0, T0 + 30 * D, { pi: 'pi_1' }), T0 + 1)];
    const refund = (amountRefunded: number) => rec('charge.refunded', { id: 'ch_1', object: 'charge', payment_intent: 'pi_1', amount: 500, amount_refunded: amountRefunded, refunded: amountRefunded === 500 }, T0 + 2 * D);
    expect(map([...base, refund(500)])[0]).toMatchObject({ refunded_at: iso(T0 + 2 * D), cancellation_reason: 'refund' });
    expect(map([...base, refund(100)])[0].refunded_at).toBeNull();
    expect(map([...base, rec('charge.dispute.created', { id: 'dp_1', object: 'dispute', payment_intent: 'pi_1', created: T0 + 3 * D }, T0 + 3 * D)])[0].refunded_at).toBe(iso(T0 + 3 * D));
  });

  it('a trial is a free trial; a cancellation now ends at ended_at; a failed payment is a billing issue', () => {
    expect(map([rec('customer.subscription.created', sub({ status: 'trialing', trialEnd: T0 + 30 * D }), T0)])[0]).toMatchObject({ offer: { type: 'free_trial' }, price: { value: 0 } });
    // Only the invoice seen: a free first invoice is the trial's; a free renewal is not.
    const freeFirst = { ...invoice('in_1', T0, T0 + 7 * D, { paid: 0 }), billing_reason: 'subscription_create' };
    expect(map([rec('invoice.paid', freeFirst, T0)])[0].offer).toEqual({ category: 'introductory', type: 'free_trial', id: null });
    expect(map([rec('invoice.paid', { ...freeFirst, billing_reason: 'subscription_cycle' }, T0)])[0].offer).toBeNull();
    const ended = map([rec('invoice.paid', invoice('in_1', T0, T0 + 30 * D), T0 + 1), rec('customer.subscription.deleted', sub({ status: 'canceled', endedAt: T0 + 3 * D }), T0 + 3 * D)]);
    expect(ended[0]).toMatchObject({ expires_at: iso(T0 + 3 * D), renew_status: false, cancellation_reason: 'voluntarily_cancelled' });
    const failed = map([rec('invoice.paid', invoice('in_1', T0, T0 + 30 * D), T0 + 1), rec('customer.subscription.created', sub(), T0), rec('invoice.payment_failed', { ...invoice('in_2', T0 + 30 * D, T0 + 60 * D, { paid: 0 }), status: 'open' }, T0 + 30 * D)]);
    expect(failed).toHaveLength(1);
    expect(failed[0].billing_issue_detected_at).toBe(iso(T0 + 30 * D));
    // A renewal Stripe could not charge grants nothing until it is paid (no grace).
    const overdue = map([rec('invoice.paid', invoice('in_1', T0, T0 + 30 * D), T0 + 1), rec('customer.subscription.updated', { ...sub({ status: 'past_due', start: T0 + 30 * D, end: T0 + 60 * D }), latest_invoice: 'in_2' }, T0 + 30 * D)]);
    expect(overdue.map((t) => t.store_transaction_id)).toEqual(['in_1']);
    expect(overdue[0].billing_issue_detected_at).toBe(iso(T0 + 30 * D));
  });

  it('a plan change billed at once ends the old period where the new one starts (the proration credit is not a period)', () => {
    const change = invoice('in_2', T0 + 10 * D, T0 + 30 * D, {
      lines: [
        { amount: -300, period: { start: T0 + 10 * D, end: T0 + 30 * D }, pricing: { price_details: { product: 'prod_a' } } },
        { amount: 700, period: { start: T0 + 10 * D, end: T0 + 30 * D }, pricing: { price_details: { product: 'prod_b' } } },
      ],
    });
    const t = map([rec('invoice.paid', invoice('in_1', T0, T0 + 30 * D), T0 + 1), rec('invoice.paid', change, T0 + 10 * D)]);
    expect(t[0]).toMatchObject({ expires_at: iso(T0 + 10 * D), cancellation_reason: 'upgraded' });
    expect(t[1]).toMatchObject({ store_product_id: 'prod_b', purchased_at: iso(T0 + 10 * D) });
  });

  it('converts minor units per currency', () => {
    expect([majorUnits(999, 'usd'), majorUnits(500, 'JPY'), majorUnits(1234, 'kwd')]).toEqual([9.99, 500, 1.234]);
  });
});
