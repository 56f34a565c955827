import { Iso, toMs } from '../shared/time';
import { Attributes, ProfileEvent, Transaction } from './profile.events';

/** One subscription over time (all transactions sharing an original id), or one one-time purchase. */
export interface Chain {
  original_id: string;
  access_level_id: string | null;
  purchase_id: string;
  first_purchased_at: Iso;
  current: Transaction;
  /** Sequence of the event that put `current` in force: revocations only cap sources given before them. */
  given_seq: number;
  /** The end (ms) whose expiry is already recorded: a renewal moves the end, making a new expiry due. */
  expiry_recorded_until?: number;
}

export interface Grant {
  grant_id: string;
  access_level_id: string;
  starts_at: Iso | null;
  expires_at: Iso | null;
  granted_at: Iso;
  given_seq: number;
  expiry_recorded_until?: number;
}

export interface Revocation {
  access_level_id: string;
  revoke_at: Iso;
  seq: number;
}

export interface ProfileState {
  exists: boolean;
  deleted: boolean;
  app_id: string;
  profile_id: string;
  customer_user_id: string | null;
  created_at: Iso;
  attributes: Attributes;
  custom_attributes: Record<string, string | number>;
  /** Every transaction by store_transaction_id: deduplication and revenue. */
  transactions: Record<string, Transaction>;
  chains: Record<string, Chain>;
  grants: Grant[];
  revocations: Revocation[];
  total_revenue_usd: number;
  /** Number of events folded so far. */
  seq: number;
}

export const initialProfileState = (): ProfileState => ({
  exists: false,
  deleted: false,
  app_id: '',
  profile_id: '',
  customer_user_id: null,
  created_at: '',
  attributes: {},
  custom_attributes: {},
  transactions: {},
  chains: {},
  grants: [],
  revocations: [],
  total_revenue_usd: 0,
  seq: 0,
});

/** Revenue counts what was paid in USD and not refunded; other currencies wait for an FX source. */
export const usdRevenueOf = (t: Transaction): number =>
  t.refunded_at === null && t.price.currency.toUpperCase() === 'USD' && !t.is_family_shared ? t.price.value : 0;

export const isTrial = (t: Transaction): boolean => t.offer?.type === 'free_trial';

/** Looks a store-supplied id up as an own key only: ids such as `toString` or `constructor` must not hit Object.prototype. */
export const ownEntry = <T>(record: Record<string, T>, key: string): T | undefined =>
  Object.hasOwn(record, key) ? record[key] : undefined;

function applyCustomAttributes(current: Record<string, string | number>, changes: Record<string, string | number | null>) {
  const next: Record<string, string | number> = Object.assign(Object.create(null), current);
  for (const [key, value] of Object.entries(changes)) {
    if (value === null || value === '') delete next[key];
    else next[key] = value;
  }
  return next;
}

const roundCents = (n: number): number => Math.round(n * 1e6) / 1e6;

export function evolve(state: ProfileState, event: ProfileEvent): ProfileState {
  const seq = state.seq + 1;
  switch (event.type) {
    case 'ProfileCreated': {
      const d = event.data;
      return {
        ...initialProfileState(),
        exists: true,
        app_id: d.app_id,
        profile_id: d.profile_id,
        customer_user_id: d.customer_user_id,
        created_at: d.created_at,
        attributes: { ...d.attributes },
        custom_attributes: applyCustomAttributes({}, d.custom_attributes),
        seq,
      };
    }
    case 'CustomerUserIdAttached':
      return { ...state, customer_user_id: event.data.customer_user_id, seq };
    case 'AttributesUpdated':
      return {
        ...state,
        attributes: { ...state.attributes, ...event.data.attributes },
        custom_attributes: applyCustomAttributes(state.custom_attributes, event.data.custom_attributes),
        seq,
      };
    case 'TransactionRecorded': {
      const { transaction: t, access_level_id, purchase_id } = event.data;
      const previous = ownEntry(state.transactions, t.store_transaction_id);
      const revenue = state.total_revenue_usd - (previous ? usdRevenueOf(previous) : 0) + usdRevenueOf(t);
      const chain = ownEntry(state.chains, t.store_original_transaction_id);
      let nextChain: Chain;
      if (!chain) {
        nextChain = {
          original_id: t.store_original_transaction_id,
          access_level_id,
          purchase_id,
          first_purchased_at: t.purchased_at,
          current: t,
          given_seq: seq,
        };
      } else if (chain.current.store_transaction_id === t.store_transaction_id) {
        nextChain = { ...chain, current: t, access_level_id };
      } else if (toMs(t.purchased_at) >= toMs(chain.current.purchased_at)) {
        nextChain = { ...chain, current: t, access_level_id, given_seq: seq };
      } else {
        // A late, older transaction is history only: it never rolls access back.
        nextChain = {
          ...chain,
          first_purchased_at: toMs(t.purchased_at) < toMs(chain.first_purchased_at) ? t.purchased_at : chain.first_purchased_at,
        };
      }
      return {
        ...state,
        transactions: { ...state.transactions, [t.store_transaction_id]: t },
        chains: { ...state.chains, [nextChain.original_id]: nextChain },
        total_revenue_usd: roundCents(revenue),
        seq,
      };
    }
    case 'AccessGranted': {
      const d = event.data;
      return {
        ...state,
        grants: [...state.grants, { ...d, given_seq: seq }],
        seq,
      };
    }
    case 'AccessRevoked':
      return {
        ...state,
        revocations: [...state.revocations, { access_level_id: event.data.access_level_id, revoke_at: event.data.revoke_at, seq }],
        seq,
      };
    case 'SourceExpired': {
      const d = event.data;
      const until = toMs(d.until);
      if (d.source === 'grant') {
        return { ...state, grants: state.grants.map((g) => (g.grant_id === d.id ? { ...g, expiry_recorded_until: until } : g)), seq };
      }
      const chain = state.chains[d.id];
      return chain ? { ...state, chains: { ...state.chains, [d.id]: { ...chain, expiry_recorded_until: until } }, seq } : { ...state, seq };
    }
    case 'ProfileDeleted':
      return { ...initialProfileState(), deleted: true, seq };
  }
}

export const foldProfile = (events: ProfileEvent[], from: ProfileState = initialProfileState()): ProfileState =>
  events.reduce(evolve, from);
