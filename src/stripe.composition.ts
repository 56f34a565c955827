import { CreateProfileCommand } from './application/create-profile/create-profile.command';
import { CreateProfileHandler } from './application/create-profile/create-profile.handler';
import { StripeCustomers } from './application/stripe/stripe-customers';
import { ProfileOfCustomerUserId, StripeIntake } from './application/stripe/stripe-intake';
import { StripeCustomerRepository, StripeReferenceRepository, StripeSetupRepository } from './application/stripe/stripe-repositories';
import { StripeValidation } from './application/stripe/stripe-validation';
import { DomainError } from './domain/shared/domain-error';
import { evolveStripeCustomer, evolveStripeReference, initialStripeCustomer } from './domain/stripe/stripe-customer';
import { evolveStripeSetup, initialStripeSetup } from './domain/stripe/stripe-setup';
import { STRIPE } from './domain/stripe/stripe-record';
import { outcomesOf, StoreIntakeDeps, streamOptions } from './store-intake.composition';
import { StripeApiClient } from './stores/stripe/stripe-api';
import { StripeWebhookSignatures } from './stores/stripe/stripe-signature';

export interface StripeParts {
  setups: StripeSetupRepository;
  customers: StripeCustomers;
  intake: StripeIntake;
  validation: StripeValidation;
}

/** The Stripe intake over the ledger's own repositories. */
export function stripeParts(deps: StoreIntakeDeps): StripeParts {
  const { store, config, context } = deps;
  const options = streamOptions(deps);
  const setups = new StripeSetupRepository(store, context.clock, options(initialStripeSetup, evolveStripeSetup, 1_000));
  const customerStreams = new StripeCustomerRepository(store, context.clock, options(initialStripeCustomer, evolveStripeCustomer, 10_000));
  const references = new StripeReferenceRepository(store, context.clock, options(() => ({ customer_key: null }), evolveStripeReference, 10_000));
  const customers = new StripeCustomers(customerStreams, references, setups, deps.profiles, deps.catalogues, deps.decisions, context);
  const creator = new CreateProfileHandler(deps.profiles, deps.reservations, deps.decisions, context);
  // A web purchase may come before the app has ever seen the user: its customer_user_id gets a profile.
  const profileOf: ProfileOfCustomerUserId = async (appId, customerUserId) => {
    const created = await creator.execute(new CreateProfileCommand({ appId, customerUserId }, {}, {}, 'stripe.customer_user_id'));
    return created instanceof DomainError ? null : created.model.profile_id;
  };
  const api = new StripeApiClient(config.stripeApiBaseUrl);
  const intake = new StripeIntake(setups, customers, deps.secrets, api, new StripeWebhookSignatures(), profileOf, outcomesOf(deps, STRIPE), context);
  return { setups, customers, intake, validation: new StripeValidation(intake, customers, api, profileOf, context) };
}
