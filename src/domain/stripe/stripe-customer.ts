import { DomainError } from '../shared/domain-error';
import { Iso } from '../shared/time';
import { deterministicUuid } from '../shared/uuid';
import { applyClaim, askClaim, Claim, ClaimData, claimData, Ownership, unowned } from '../stores/store-ownership';
import { customerUserIdOf, StripeRecord } from './stripe-record';

/**
 * One Stripe customer of one app (a checkout without a customer is keyed by its session): every
 * record about its subscriptions and payments (Stripe's events and objects, the evidence) and who
 * owns it (store-ownership.ts). Stream names hold no store ids.
 */
export const stripeCustomerStreamId = (appId: string, customerKey: string): string => `stripe-customer-${deterministicUuid(`${appId}\n${customerKey}`)}`;

/** Which customer an object (a subscription, a payment) belongs to: written once, when the ledger first sees it. */
export const stripeReferenceStreamId = (appId: string, objectId: string): string => `stripe-ref-${deterministicUuid(`${appId}\n${objectId}`)}`;

export interface StripeRecorded {
  type: 'StripeRecorded';
  data: { app_id: string; customer_key: string; record: StripeRecord; received_at: Iso };
}

export interface StripeCustomerClaimed {
  type: 'StripeCustomerClaimed';
  data: { app_id: string; customer_key: string } & ClaimData;
}

export type StripeCustomerEvent = StripeRecorded | StripeCustomerClaimed;

export interface StripeCustomerState extends Ownership {
  app_id: string;
  customer_key: string;
  records: Map<string, StripeRecord>;
}

export const initialStripeCustomer = (): StripeCustomerState => ({ app_id: '', customer_key: '', ...unowned(), records: new Map() });

export function evolveStripeCustomer(state: StripeCustomerState, event: StripeCustomerEvent): StripeCustomerState {
  const { app_id, customer_key } = event.data;
  switch (event.type) {
    case 'StripeRecorded':
      return { ...state, app_id, customer_key, records: new Map(state.records).set(event.data.record.id, event.data.record) };
    case 'StripeCustomerClaimed':
      return { ...state, app_id, customer_key, ...applyClaim(state, event.data) };
  }
}

const claimed = (state: StripeCustomerState, appId: string, key: string, claim: Claim | ClaimData, now: Date): StripeCustomerClaimed => ({
  type: 'StripeCustomerClaimed',
  data: { app_id: appId, customer_key: key, ...('profileId' in claim ? claimData(state, claim, now) : claim) },
});

/**
 * A verified record arrives; a repeat (same id) records nothing. `metadata.customer_user_id` naming a
 * profile of the app claims the customer, from another profile too, unless an earlier record carried
 * the same name (a transfer someone asked for stands).
 */
export function recordStripe(
  state: StripeCustomerState,
  input: { appId: string; key: string; records: StripeRecord[]; namedOwner: { profileId: string; name: string } | null },
  now: Date,
): StripeCustomerEvent[] {
  const { appId, key } = input;
  const events: StripeCustomerEvent[] = input.records
    .filter((r) => !state.records.has(r.id))
    .map((record) => ({ type: 'StripeRecorded', data: { app_id: appId, customer_key: key, record, received_at: now.toISOString() } }));
  const named = input.namedOwner;
  const known = named !== null && [...state.records.values()].some((r) => customerUserIdOf(r.object) === named.name);
  if (named !== null && named.profileId !== state.owner && (state.owner === null || !known)) {
    events.push(claimed(state, appId, key, { profileId: named.profileId, via: 'metadata' }, now));
  }
  return events;
}

/** A profile asks for the customer (a link, or a validation call): another owner keeps it unless the claim is a transfer. */
export function claimStripeCustomer(state: StripeCustomerState, input: { appId: string; key: string; claim: Claim; transfer: boolean }, now: Date): StripeCustomerEvent[] | DomainError {
  const asked = askClaim(state, input.claim, input.transfer, 'customer_id', `Stripe customer ${input.key}`, now);
  if (asked === null || asked instanceof DomainError) return asked ?? [];
  return [claimed(state, input.appId, input.key, asked, now)];
}

export interface StripeReferenced {
  type: 'StripeReferenced';
  data: { object_id: string; customer_key: string };
}

/** The first customer an object was seen with is its customer. */
export const referenceStripe = (state: { customer_key: string | null }, objectId: string, customerKey: string): StripeReferenced[] =>
  state.customer_key !== null ? [] : [{ type: 'StripeReferenced', data: { object_id: objectId, customer_key: customerKey } }];

export const evolveStripeReference = (_state: { customer_key: string | null }, event: StripeReferenced): { customer_key: string | null } => ({
  customer_key: _state.customer_key ?? event.data.customer_key,
});
