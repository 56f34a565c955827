import {
  claimStripeCustomer,
  recordStripe,
  referenceStripe,
  StripeCustomerEvent,
  stripeCustomerStreamId,
  StripeCustomerState,
  stripeReferenceStreamId,
} from '../../domain/stripe/stripe-customer';
import { parkStripeCustomer, StripeSetupEvent, stripeSetupStreamId, StripeSetupState, unparkStripeCustomer } from '../../domain/stripe/stripe-setup';
import { releaseStripeCustomer, syncStripeCustomer } from '../../domain/stripe/stripe-sync';
import { chainOfRecord } from '../../domain/stripe/stripe-mapping';
import { referencesOf, StripeRecord, subscriptionOfInvoice } from '../../domain/stripe/stripe-record';
import { DomainError } from '../../domain/shared/domain-error';
import { CommandContext } from '../shared/command-context';
import { EventMetadata } from '../shared/event-sourced-repository';
import { ProfileDecisions } from '../shared/profile-decisions';
import { ProfileRef } from '../shared/profile-ref';
import { CatalogueRepository, ProfileRepository } from '../shared/repositories';
import { StorePurchaseOwners, StorePurchaseRules } from '../shared/store-purchase-owners';
import { StripeCustomerRepository, StripeReferenceRepository, StripeSetupRepository } from './stripe-repositories';

export type StripeOutcome = 'accepted' | 'duplicate' | 'unattributed' | 'erased';

export interface StripeLinkResult {
  customer_id: string;
  profile_id: string;
  previous_profile_id: string | null;
  transferred: boolean;
  events_applied: number;
}

export const stripeCustomerErased = (): DomainError =>
  new DomainError('store_transaction_erased', 'customer_id', 'The Stripe customer belonged to an erased profile; it cannot be claimed again.');

/** How Stripe customers are owned and followed (store-purchase-owners.ts). */
const RULES: StorePurchaseRules<StripeCustomerState, StripeCustomerEvent, StripeSetupState, StripeSetupEvent> = {
  purchaseStreamId: stripeCustomerStreamId,
  setupStreamId: stripeSetupStreamId,
  named: (state, appId, key) => ({ ...state, app_id: appId, customer_key: key }),
  claim: (state, input, now) => claimStripeCustomer(state, input, now),
  erased: stripeCustomerErased,
  release: (profile, customer, to, ctx) => releaseStripeCustomer(profile, [...customer.records.values()].map(chainOfRecord), to, ctx),
  sync: syncStripeCustomer,
  unpark: unparkStripeCustomer,
};

/** Stripe's customers: their records (with an index of the objects they own) and who owns them. */
export class StripeCustomers {
  private readonly owners: StorePurchaseOwners<StripeCustomerState, StripeCustomerEvent, StripeSetupState, StripeSetupEvent>;

  constructor(
    private readonly customers: StripeCustomerRepository,
    private readonly references: StripeReferenceRepository,
    private readonly setups: StripeSetupRepository,
    profiles: ProfileRepository,
    catalogues: CatalogueRepository,
    decisions: ProfileDecisions,
    private readonly context: CommandContext,
  ) {
    this.owners = new StorePurchaseOwners(customers, setups, profiles, catalogues, decisions, context, RULES);
  }

  async known(appId: string, key: string): Promise<StripeCustomerState> {
    return (await this.customers.load(stripeCustomerStreamId(appId, key))).state;
  }

  /** The customer an object (subscription, payment intent, charge, invoice) was first seen with. */
  async customerOfObject(appId: string, objectId: string): Promise<string | null> {
    return (await this.references.load(stripeReferenceStreamId(appId, objectId))).state.customer_key;
  }

  /** Records about one customer; `namedOwner`: the profile metadata.customer_user_id names. */
  async record(appId: string, key: string, records: StripeRecord[], namedOwner: { profileId: string; name: string } | null, meta: EventMetadata): Promise<StripeOutcome> {
    const now = this.context.clock.now();
    const result = await this.customers.execute(stripeCustomerStreamId(appId, key), (s) => recordStripe(s, { appId, key, records, namedOwner }, now), meta);
    if (!result.ok) {
      if ('deleted' in result) return 'erased';
      throw new Error(result.error.message);
    }
    const fresh = records.filter((r) => !result.before.records.has(r.id));
    for (const id of new Set(fresh.flatMap((r) => referencesOf(r.object)))) {
      await this.references.execute(stripeReferenceStreamId(appId, id), (s) => referenceStripe(s, id, key), meta);
    }
    const customer = result.state;
    const arrived = records[0]?.id ?? null;
    if (customer.owner === null) {
      for (const r of fresh) {
        const subscription = r.object.object === 'subscription' ? (r.object.id ?? null) : r.object.object === 'invoice' ? subscriptionOfInvoice(r.object) : null;
        const park = { key, recordId: r.id, eventType: r.type, subscriptionId: subscription, created: r.created };
        await this.setups.execute(stripeSetupStreamId(appId), (s) => parkStripeCustomer(s, park, now), meta);
      }
      return fresh.length === 0 ? 'duplicate' : 'unattributed';
    }
    await this.owners.settle(appId, customer, meta, arrived);
    if (result.before.owner === null) await this.owners.unpark(appId, key, customer.owner, meta);
    return records.some((r) => r.id === arrived && result.before.records.has(r.id)) ? 'duplicate' : 'accepted';
  }

  /** A profile claims a customer (a link, or a validation call), moving it from another profile only when asked. */
  async claim(appId: string, key: string, ref: ProfileRef, transfer: boolean, source: string): Promise<StripeLinkResult | DomainError> {
    const claimed = await this.owners.claim(appId, key, ref, transfer, source);
    if (claimed instanceof DomainError) return claimed;
    const { applied, ...rest } = claimed;
    return { customer_id: key, ...rest, events_applied: applied };
  }

  forget(appId: string, profileId: string, keys: Iterable<string>): Promise<void> {
    return this.owners.forget(appId, profileId, keys);
  }
}
