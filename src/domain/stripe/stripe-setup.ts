import { DomainError } from '../shared/domain-error';
import { Iso } from '../shared/time';

/**
 * One app's Stripe intake: its setup (never its secrets: the webhook signing secret and the API key
 * are kept outside the log) and the index of customers whose records wait for an owner.
 */
export const stripeSetupStreamId = (appId: string): string => `stripe-setup-${appId}`;

export interface StripeSetupSaved {
  type: 'StripeSetupSaved';
  /** secrets_rotated: the signing secret or the API key changed (what they are is never written here). */
  data: { api_key_configured: boolean; secrets_rotated: boolean; saved_at: Iso };
}

export interface StripeSetupRemoved {
  type: 'StripeSetupRemoved';
  data: { removed_at: Iso };
}

export interface StripeCustomerParked {
  type: 'StripeCustomerParked';
  data: { customer_key: string; record_id: string; event_type: string; subscription_id: string | null; created: Iso; parked_at: Iso };
}

export interface StripeCustomerUnparked {
  type: 'StripeCustomerUnparked';
  data: { customer_key: string; profile_id: string; unparked_at: Iso };
}

export type StripeSetupEvent = StripeSetupSaved | StripeSetupRemoved | StripeCustomerParked | StripeCustomerUnparked;

export interface UnattributedCustomer {
  customer_key: string;
  subscription_ids: string[];
  record_ids: string[];
  last_event_type: string;
  last_created: Iso;
  waiting_since: Iso;
}

export interface StripeSetupState {
  setup: { api_key_configured: boolean; created_at: Iso; updated_at: Iso } | null;
  unattributed: Map<string, UnattributedCustomer>;
}

export const initialStripeSetup = (): StripeSetupState => ({ setup: null, unattributed: new Map() });

export function evolveStripeSetup(state: StripeSetupState, event: StripeSetupEvent): StripeSetupState {
  switch (event.type) {
    case 'StripeSetupSaved':
      return { ...state, setup: { api_key_configured: event.data.api_key_configured, created_at: state.setup?.created_at ?? event.data.saved_at, updated_at: event.data.saved_at } };
    case 'StripeSetupRemoved':
      return { ...state, setup: null };
    case 'StripeCustomerParked': {
      const d = event.data;
      const was = state.unattributed.get(d.customer_key);
      const newest = !was || d.created >= was.last_created;
      const subs = was?.subscription_ids ?? [];
      const entry: UnattributedCustomer = {
        customer_key: d.customer_key,
        subscription_ids: d.subscription_id !== null && !subs.includes(d.subscription_id) ? [...subs, d.subscription_id] : subs,
        record_ids: [...(was?.record_ids ?? []), d.record_id],
        last_event_type: newest ? d.event_type : was.last_event_type,
        last_created: newest ? d.created : was.last_created,
        waiting_since: was?.waiting_since ?? d.parked_at,
      };
      return { ...state, unattributed: new Map(state.unattributed).set(d.customer_key, entry) };
    }
    case 'StripeCustomerUnparked': {
      const unattributed = new Map(state.unattributed);
      unattributed.delete(event.data.customer_key);
      return { ...state, unattributed };
    }
  }
}

export const stripeNotConfigured = (): DomainError => new DomainError('store_not_configured', null, 'Stripe is not set up for this app: PUT /admin/v1/stores/stripe first.');

export function saveStripeSetup(state: StripeSetupState, input: { apiKeyConfigured: boolean; secretsRotated: boolean }, now: Date): StripeSetupEvent[] {
  if (state.setup && state.setup.api_key_configured === input.apiKeyConfigured && !input.secretsRotated) return [];
  return [{ type: 'StripeSetupSaved', data: { api_key_configured: input.apiKeyConfigured, secrets_rotated: state.setup !== null && input.secretsRotated, saved_at: now.toISOString() } }];
}

export function removeStripeSetup(state: StripeSetupState, now: Date): StripeSetupEvent[] | DomainError {
  if (state.setup === null) return stripeNotConfigured();
  return [{ type: 'StripeSetupRemoved', data: { removed_at: now.toISOString() } }];
}

export function parkStripeCustomer(
  state: StripeSetupState,
  input: { key: string; recordId: string; eventType: string; subscriptionId: string | null; created: number },
  now: Date,
): StripeSetupEvent[] {
  if (state.unattributed.get(input.key)?.record_ids.includes(input.recordId)) return [];
  return [
    {
      type: 'StripeCustomerParked',
      data: {
        customer_key: input.key,
        record_id: input.recordId,
        event_type: input.eventType,
        subscription_id: input.subscriptionId,
        created: new Date(input.created * 1000).toISOString(),
        parked_at: now.toISOString(),
      },
    },
  ];
}

export function unparkStripeCustomer(state: StripeSetupState, key: string, profileId: string, now: Date): StripeSetupEvent[] {
  if (!state.unattributed.has(key)) return [];
  return [{ type: 'StripeCustomerUnparked', data: { customer_key: key, profile_id: profileId, unparked_at: now.toISOString() } }];
}
