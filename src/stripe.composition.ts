import { IntakeMetrics } from './application/shared/store-ports';
import { CreateProfileCommand } from './application/create-profile/create-profile.command';
import { CreateProfileHandler } from './application/create-profile/create-profile.handler';
import { CommandContext } from './application/shared/command-context';
import { RepositoryOptions } from './application/shared/event-sourced-repository';
import { ProfileDecisions } from './application/shared/profile-decisions';
import { CatalogueRepository, ProfileRepository, ReservationRepository } from './application/shared/repositories';
import { StripeCustomers } from './application/stripe/stripe-customers';
import { ProfileOfCustomerUserId, StripeIntake } from './application/stripe/stripe-intake';
import { StripeCustomerRepository, StripeReferenceRepository, StripeSetupRepository } from './application/stripe/stripe-repositories';
import { StripeValidation } from './application/stripe/stripe-validation';
import { LedgerConfig } from './config/config';
import { DomainError } from './domain/shared/domain-error';
import { evolveStripeCustomer, evolveStripeReference, initialStripeCustomer } from './domain/stripe/stripe-customer';
import { evolveStripeSetup, initialStripeSetup } from './domain/stripe/stripe-setup';
import { EventStore } from './event-store/event-store.port';
import { StoreIntakeStats } from './projections/store-intake/store-intake-stats';
import { StoreSecrets } from './projections/store-intake/store-secrets';
import { StripeApiClient } from './stores/stripe/stripe-api';
import { StripeWebhookSignatures } from './stores/stripe/stripe-signature';

export interface StripeParts {
  setups: StripeSetupRepository;
  customers: StripeCustomers;
  intake: StripeIntake;
  validation: StripeValidation;
}

/** The Stripe intake over the ledger's own repositories. */
export function stripeParts(deps: {
  store: EventStore;
  config: LedgerConfig;
  context: CommandContext;
  profiles: ProfileRepository;
  reservations: ReservationRepository;
  catalogues: CatalogueRepository;
  decisions: ProfileDecisions;
  stats: StoreIntakeStats;
  secrets: StoreSecrets;
  metrics: IntakeMetrics | null;
  afterAppend?: RepositoryOptions<unknown, never>['afterAppend'];
}): StripeParts {
  const { store, config, context } = deps;
  const options = <S, E>(initial: () => S, evolve: (s: S, e: E) => S, cacheSize: number) => ({ initial, evolve, afterAppend: deps.afterAppend, cacheSize });
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
  const intake = new StripeIntake(setups, customers, deps.secrets, api, new StripeWebhookSignatures(), profileOf, deps.stats, context, deps.metrics);
  return { setups, customers, intake, validation: new StripeValidation(intake, customers, api, profileOf, context) };
}
