import { claimStripeCustomer, recordStripe, referenceStripe, stripeCustomerStreamId, StripeCustomerState, stripeReferenceStreamId } from '../../domain/stripe/stripe-customer';
import { parkStripeCustomer, stripeSetupStreamId, unparkStripeCustomer } from '../../domain/stripe/stripe-setup';
import { releaseStripeCustomer, syncStripeCustomer } from '../../domain/stripe/stripe-sync';
import { chainOfRecord } from '../../domain/stripe/stripe-mapping';
import { referencesOf, StripeRecord, subscriptionOfInvoice } from '../../domain/stripe/stripe-record';
import { profileStreamId } from '../../domain/profile/profile.events';
import { DomainError, profileNotFound } from '../../domain/shared/domain-error';
import { CommandContext } from '../shared/command-context';
import { EventMetadata } from '../shared/event-sourced-repository';
import { ProfileDecisions } from '../shared/profile-decisions';
import { ProfileRef } from '../shared/profile-ref';
import { CatalogueRepository, ProfileRepository } from '../shared/repositories';
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

/**
 * Who owns which Stripe customer, and keeping the owner's profile in step with it. The customer's
 * stream decides ownership; every change of it is followed by the same idempotent settling step (the
 * former owners let its chains go, the owner records what it has not yet), so a step cut short by a
 * crash is completed by Stripe's retry, the next event or a link.
 */
export class StripeCustomers {
  constructor(
    private readonly customers: StripeCustomerRepository,
    private readonly references: StripeReferenceRepository,
    private readonly setups: StripeSetupRepository,
    private readonly profiles: ProfileRepository,
    private readonly catalogues: CatalogueRepository,
    private readonly decisions: ProfileDecisions,
    private readonly context: CommandContext,
  ) {}

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
        const park = { key, recordId: r.id, eventType: r.type, subscriptionId: r.object.object === 'subscription' ? (r.object.id ?? null) : r.object.object === 'invoice' ? subscriptionOfInvoice(r.object) : null, created: r.created };
        await this.setups.execute(stripeSetupStreamId(appId), (s) => parkStripeCustomer(s, park, now), meta);
      }
      return fresh.length === 0 ? 'duplicate' : 'unattributed';
    }
    await this.settle(appId, customer, meta, arrived);
    if (result.before.owner === null) await this.unpark(appId, customer, meta);
    return records.some((r) => r.id === arrived && result.before.records.has(r.id)) ? 'duplicate' : 'accepted';
  }

  /** A profile claims a customer (a link, or a validation call), moving it from another profile only when asked. */
  async claim(appId: string, key: string, ref: ProfileRef, transfer: boolean, source: string): Promise<StripeLinkResult | DomainError> {
    const owned = await this.decisions.owned(ref);
    if (!owned) return profileNotFound();
    const profileId = owned.profileId;
    const meta = this.context.metadata({ appId, source });
    const now = this.context.clock.now();
    const claim = { profileId, via: transfer ? ('transfer' as const) : ('link' as const) };
    const result = await this.customers.execute(stripeCustomerStreamId(appId, key), (s) => claimStripeCustomer(s, { appId, key, claim, transfer }, now), meta);
    if (!result.ok) return 'deleted' in result ? stripeCustomerErased() : result.error;
    const customer = { ...result.state, app_id: appId, customer_key: key };
    const applied = await this.settle(appId, customer, meta, null);
    await this.unpark(appId, customer, meta);
    const previous = result.before.owner !== profileId ? result.before.owner : null;
    return { customer_id: key, profile_id: profileId, previous_profile_id: previous, transferred: previous !== null, events_applied: applied };
  }

  /** Erasure: the customers a deleted profile owned go with it (their evidence names the customer). */
  async forget(appId: string, profileId: string, keys: Iterable<string>): Promise<void> {
    for (const key of new Set(keys)) {
      const streamId = stripeCustomerStreamId(appId, key);
      const { state } = await this.customers.load(streamId);
      if (state.owner === profileId) await this.customers.erase(streamId);
    }
  }

  private async settle(appId: string, customer: StripeCustomerState, meta: EventMetadata, arrived: string | null): Promise<number> {
    const owner = customer.owner!;
    const ctx = this.context.decide();
    const chains = [...customer.records.values()].map(chainOfRecord);
    for (const former of customer.former_owners) {
      await this.profiles.execute(profileStreamId(former), (s) => (s.exists && s.app_id === appId ? releaseStripeCustomer(s, chains, owner, ctx) : []), meta);
    }
    const catalogue = await this.catalogues.catalogue(appId);
    const result = await this.profiles.execute(profileStreamId(owner), (s) => (s.exists && s.app_id === appId ? syncStripeCustomer(s, customer, catalogue, ctx, arrived) : []), meta);
    return result.ok ? result.state.store_notifications.size - result.before.store_notifications.size : 0;
  }

  private async unpark(appId: string, customer: StripeCustomerState, meta: EventMetadata): Promise<void> {
    const now = this.context.clock.now();
    await this.setups.execute(stripeSetupStreamId(appId), (s) => unparkStripeCustomer(s, customer.customer_key, customer.owner!, now), meta);
  }
}
