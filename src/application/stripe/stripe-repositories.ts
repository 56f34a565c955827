import { StripeCustomerEvent, StripeCustomerState, StripeReferenced } from '../../domain/stripe/stripe-customer';
import { StripeSetupEvent, StripeSetupState } from '../../domain/stripe/stripe-setup';
import { EventSourcedRepository } from '../shared/event-sourced-repository';

/** One stream per app: its Stripe setup (no secrets) and the customers waiting for an owner. */
export class StripeSetupRepository extends EventSourcedRepository<StripeSetupState, StripeSetupEvent> {}

/** One stream per (app, customer): its records (the evidence) and its owner. */
export class StripeCustomerRepository extends EventSourcedRepository<StripeCustomerState, StripeCustomerEvent> {}

/** One stream per (app, Stripe object id): the customer it belongs to. */
export class StripeReferenceRepository extends EventSourcedRepository<{ customer_key: string | null }, StripeReferenced> {}
