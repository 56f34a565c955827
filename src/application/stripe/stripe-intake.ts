import { createHash } from 'node:crypto';
import { StoreSecrets } from '../../projections/store-intake/store-secrets';
import { customerOf, customerUserIdOf, STRIPE, StripeObject, StripeRecord, stripeId, subscriptionOfInvoice } from '../../domain/stripe/stripe-record';
import { stripeNotConfigured, stripeSetupStreamId } from '../../domain/stripe/stripe-setup';
import { DomainError } from '../../domain/shared/domain-error';
import { CommandContext } from '../shared/command-context';
import { IntakeOutcomes } from '../shared/intake-outcomes';
import { StoreAnswer } from '../shared/store-answer';
import { StripeApi, StripeSecrets, StripeSignatureVerifier } from './stripe-ports';
import { StripeCustomers, StripeOutcome } from './stripe-customers';
import { StripeSetupRepository } from './stripe-repositories';

export interface StripeIntakeResult {
  event_id: string;
  event_type: string;
  /** accepted, duplicate, unattributed (waits for a profile), erased, ignored (a type or object the ledger does not keep). */
  outcome: string;
}

/** The events the ledger keeps (the Stripe table); every other type is answered 200 and changes nothing. */
export const STRIPE_EVENT_TYPES: readonly string[] = [
  'customer.subscription.created',
  'customer.subscription.updated',
  'customer.subscription.deleted',
  'customer.subscription.paused',
  'customer.subscription.resumed',
  'invoice.paid',
  'invoice.payment_succeeded',
  'invoice.payment_failed',
  'charge.refunded',
  'charge.dispute.created',
  'checkout.session.completed',
];

/** Finds (or creates) the profile of a customer_user_id: a web purchase may come before the app has ever seen the user. */
export type ProfileOfCustomerUserId = (appId: string, customerUserId: string) => Promise<string | null>;

export const stripeApiUnavailable = (detail: string): DomainError =>
  new DomainError('store_api_unavailable', null, `Stripe's API could not be read now (${detail}); nothing was recorded, try again.`);

export interface StripeApp {
  secrets: StripeSecrets;
}

/** A read of an object from Stripe's API, as a record: named by its content, so reading the same state twice records it once. */
export function readRecord(object: StripeObject, livemode: boolean, now: Date): StripeRecord {
  const digest = createHash('sha256').update(JSON.stringify(object)).digest('hex').slice(0, 24);
  return { id: `read:${object.id}:${digest}`, created: Math.floor(now.getTime() / 1000), type: 'api.read', object, livemode };
}

/**
 * Stripe's door: a signed event → (with an API key) the subscription or session read again from
 * Stripe → the records in the customer's stream (the evidence) → attribution → the ledger's own
 * transaction events. Recorded, repeated and ignored events are 2xx; a bad or stale signature is 400
 * with nothing recorded; when Stripe's API cannot answer, 503 with nothing recorded (Stripe retries).
 */
export class StripeIntake {
  constructor(
    private readonly setups: StripeSetupRepository,
    private readonly customers: StripeCustomers,
    private readonly secrets: StoreSecrets,
    private readonly api: StripeApi,
    private readonly signatures: StripeSignatureVerifier,
    private readonly profileOf: ProfileOfCustomerUserId,
    private readonly outcomes: IntakeOutcomes,
    private readonly context: CommandContext,
  ) {}

  async app(appId: string): Promise<StripeApp | null> {
    const { state } = await this.setups.load(stripeSetupStreamId(appId));
    const secrets = state.setup === null ? null : ((await this.secrets.get(appId, STRIPE)) as StripeSecrets | null);
    return secrets === null ? null : { secrets };
  }

  async receive(appId: string, rawBody: Buffer | null, signature: string | null): Promise<StripeIntakeResult | DomainError> {
    const app = await this.app(appId);
    if (app === null) {
      this.outcomes.passing('not_configured');
      return stripeNotConfigured();
    }
    const check = rawBody === null || signature === null ? ({ ok: false, detail: 'no Stripe-Signature header or no body' } as const) : this.signatures.verify(rawBody, signature, app.secrets.webhook_secret);
    if (!check.ok) {
      await this.outcomes.count(appId, 'refused_signature');
      return new DomainError('store_webhook_signature_invalid', 'stripe-signature', `The Stripe-Signature does not verify for this app's signing secret: ${check.detail}`);
    }
    const event = check.event;
    const result = (outcome: string): StripeIntakeResult => ({ event_id: event.id, event_type: event.type, outcome });
    if (!STRIPE_EVENT_TYPES.includes(event.type)) return this.counted(appId, result('ignored'));
    const record: StripeRecord = { id: event.id, created: event.created, type: event.type, object: event.object, livemode: event.livemode };
    const key = await this.customerKeyOf(appId, event.object, app);
    if (key === null) return this.counted(appId, result('ignored'));
    const meta = this.context.metadata({ appId, source: 'stripe.webhook', commandId: `stripe:${event.id}` });
    const known = await this.customers.known(appId, key);
    let records = [record];
    if (!known.records.has(event.id)) {
      const reads = await this.reread(app, event.object, event.livemode);
      if (!reads.ok) {
        this.outcomes.passing('unavailable');
        return stripeApiUnavailable(reads.detail);
      }
      records = [record, ...reads.value];
    }
    const named = await this.namedOwner(appId, app, key, records, known.owner !== null);
    if (named instanceof DomainError) {
      this.outcomes.passing('unavailable');
      return named;
    }
    const outcome: StripeOutcome = await this.customers.record(appId, key, records, named, meta);
    return this.counted(appId, result(outcome));
  }

  /** The customer a Stripe object belongs to: its own field, else the customer its payment was first seen with (a dispute names only a charge). */
  private async customerKeyOf(appId: string, o: StripeObject, app: StripeApp): Promise<string | null> {
    const direct = customerOf(o);
    if (direct !== null) return direct;
    if (o.object === 'checkout.session') return o.id ?? null;
    const payments = [stripeId(o.charge), stripeId(o.payment_intent), stripeId(o.invoice), o.object === 'charge' ? (o.id ?? null) : null].filter((x): x is string => x !== null);
    for (const id of payments) {
      const key = await this.customers.customerOfObject(appId, id);
      if (key !== null) return key;
    }
    const charge = stripeId(o.charge);
    if (app.secrets.api_key !== null && charge !== null) {
      const read = await this.api.retrieve(app.secrets.api_key, charge);
      if (read.ok && read.value !== null) return customerOf(read.value) ?? (await this.customers.customerOfObject(appId, stripeId(read.value.payment_intent) ?? ''));
    }
    return null;
  }

  /** With an API key, Stripe's current word on what the event is about: the subscription, or the checkout session with its line items. */
  private async reread(app: StripeApp, o: StripeObject, livemode: boolean): Promise<StoreAnswer<StripeRecord[]>> {
    const key = app.secrets.api_key;
    if (key === null) return { ok: true, value: [] };
    const id =
      o.object === 'subscription' ? o.id : o.object === 'invoice' ? subscriptionOfInvoice(o) : o.object === 'checkout.session' ? (stripeId(o.subscription) ?? o.id) : null;
    if (!id) return { ok: true, value: [] };
    const read = await this.api.retrieve(key, id);
    if (!read.ok) return read;
    return { ok: true, value: read.value === null ? [] : [readRecord(read.value, livemode, this.context.clock.now())] };
  }

  /** metadata.customer_user_id on what arrived, else (with an API key, for a customer nobody owns yet) on the Stripe customer. */
  private async namedOwner(appId: string, app: StripeApp, key: string, records: StripeRecord[], owned: boolean): Promise<{ profileId: string; name: string } | null | DomainError> {
    let name = records.map((r) => customerUserIdOf(r.object)).find((n) => n !== null) ?? null;
    if (name === null && !owned && app.secrets.api_key !== null && key.startsWith('cus_')) {
      const customer = await this.api.retrieve(app.secrets.api_key, key);
      if (!customer.ok) return stripeApiUnavailable(customer.detail);
      name = customer.value === null ? null : customerUserIdOf(customer.value);
    }
    if (name === null) return null;
    const profileId = await this.profileOf(appId, name);
    return profileId === null ? null : { profileId, name };
  }

  private async counted(appId: string, result: StripeIntakeResult): Promise<StripeIntakeResult> {
    await this.outcomes.count(appId, result.outcome);
    return result;
  }

}
