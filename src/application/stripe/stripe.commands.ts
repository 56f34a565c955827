import { ProfileRef } from '../shared/profile-ref';

export class SaveStripeSetupCommand {
  constructor(
    readonly appId: string,
    readonly webhookSecret: string,
    readonly apiKey: string | null,
  ) {}
}

export class RemoveStripeSetupCommand {
  constructor(readonly appId: string) {}
}

export class GetStripeSetupQuery {
  constructor(readonly appId: string) {}
}

/** Stripe's POST: the raw body (its signature is over the bytes) and the Stripe-Signature header. */
export class ReceiveStripeWebhookCommand {
  constructor(
    readonly appId: string,
    readonly rawBody: Buffer | null,
    readonly signature: string | null,
  ) {}
}

/** A profile claims a Stripe customer, named by its id or by one of its subscriptions. */
export class LinkStripeCustomerCommand {
  constructor(
    readonly ref: ProfileRef,
    readonly customerOrSubscriptionId: string,
    readonly transfer: boolean,
  ) {}
}

export class ListUnattributedStripeCustomersQuery {
  constructor(
    readonly appId: string,
    readonly limit: number,
    readonly offset: number,
  ) {}
}

/** Adapty's §2.6: import a subscription, payment intent or checkout session to a customer_user_id's profile. */
export class ValidateStripePurchaseCommand {
  constructor(
    readonly appId: string,
    readonly customerUserId: string,
    readonly stripeToken: string,
  ) {}
}
