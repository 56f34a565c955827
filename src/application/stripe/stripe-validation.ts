import { customerOf, StripeObject, StripeRecord } from '../../domain/stripe/stripe-record';
import { DomainError } from '../../domain/shared/domain-error';
import { CommandContext } from '../shared/command-context';
import { StripeApi } from './stripe-ports';
import { StripeCustomers } from './stripe-customers';
import { ProfileOfCustomerUserId, readRecord, stripeApiUnavailable, StripeIntake } from './stripe-intake';

export const stripeApiKeyNotFound = (): DomainError =>
  new DomainError('stripe_api_key_not_found', 'stripe_token', 'Validating a Stripe purchase needs the app\'s Stripe API key: PUT /admin/v1/stores/stripe with "api_key" (a restricted key with read access).');

const notFound = (token: string): DomainError =>
  new DomainError('invalid_stripe_credentials_or_purchase_not_found', 'stripe_token', `Stripe does not know ${token} for this app's API key.`);

/**
 * Adapty's Stripe validation (§2.6): the subscription, payment intent or checkout session is read
 * from Stripe with the app's key (a subscription with every invoice), recorded as the customer's
 * records, and the customer goes to the profile of the customer_user_id (created if missing; moved
 * from another profile, as Adapty moves a history to the profile that restored last).
 */
export class StripeValidation {
  constructor(
    private readonly intake: StripeIntake,
    private readonly customers: StripeCustomers,
    private readonly api: StripeApi,
    private readonly profileOf: ProfileOfCustomerUserId,
    private readonly context: CommandContext,
  ) {}

  async validate(appId: string, customerUserId: string, token: string): Promise<null | DomainError> {
    const app = await this.intake.app(appId);
    const apiKey = app?.secrets.api_key ?? null;
    if (apiKey === null) return stripeApiKeyNotFound();
    const read = await this.api.retrieve(apiKey, token);
    if (!read.ok) return /answered 40[134]/.test(read.detail) ? notFound(token) : stripeApiUnavailable(read.detail);
    if (read.value === null) return notFound(token);
    const objects: StripeObject[] = [read.value];
    if (read.value.object === 'subscription') {
      const invoices = await this.api.invoices(apiKey, token);
      if (!invoices.ok) return stripeApiUnavailable(invoices.detail);
      objects.push(...invoices.value);
    }
    const now = this.context.clock.now();
    const livemode = read.value.livemode !== false;
    const records: StripeRecord[] = objects.map((o) => readRecord(o, livemode, now));
    const key = customerOf(read.value) ?? read.value.id!;
    const profileId = await this.profileOf(appId, customerUserId);
    if (profileId === null) return new DomainError('profile_does_not_exist', 'customer_user_id', 'The profile could not be created.');
    const meta = this.context.metadata({ appId, source: 'v1.stripe_validate', commandId: `stripe-validate:${records.map((r) => r.id).join(',')}:${customerUserId}` });
    const outcome = await this.customers.record(appId, key, records, null, meta);
    if (outcome === 'erased') return new DomainError('store_transaction_erased', 'stripe_token', 'The Stripe customer belonged to an erased profile; it cannot be claimed again.');
    const claimed = await this.customers.claim(appId, key, { appId, profileId }, true, 'v1.stripe_validate');
    return claimed instanceof DomainError ? claimed : null;
  }
}
