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

/**
 * A profile folded from its stream. Everything keyed by a store- or user-supplied string is a Map.
 * Entries (transactions, chains, grants) are never changed once built — a change replaces the entry —
 * so what is derived from one entry can be kept with it; the containers belong to the state.
 */
export interface ProfileState {
  exists: boolean;
  deleted: boolean;
  app_id: string;
  profile_id: string;
  customer_user_id: string | null;
  created_at: Iso;
  attributes: Attributes;
  custom_attributes: Map<string, string | number>;
  /** Every transaction by store_transaction_id: deduplication and revenue. */
  transactions: Map<string, Transaction>;
  /** By store_original_transaction_id. */
  chains: Map<string, Chain>;
  grants: Grant[];
  revocations: Revocation[];
  total_revenue_usd: number;
  /** Store notifications recorded in this profile's history: notification id → the chain it is about. */
  store_notifications: Map<string, string>;
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
  custom_attributes: new Map(),
  transactions: new Map(),
  chains: new Map(),
  grants: [],
  revocations: [],
  total_revenue_usd: 0,
  store_notifications: new Map(),
  seq: 0,
});

/** Revenue counts what was paid in USD and not refunded; other currencies wait for an FX source. */
export const usdRevenueOf = (t: Transaction): number =>
  t.refunded_at === null && t.price.currency.toUpperCase() === 'USD' && !t.is_family_shared ? t.price.value : 0;

export const isTrial = (t: Transaction): boolean => t.offer?.type === 'free_trial';

function applyCustomAttributes(into: Map<string, string | number>, changes: Record<string, string | number | null>): void {
  // Object.entries lists own keys only: a key such as `__proto__` or `constructor` is data like any other.
  for (const [key, value] of Object.entries(changes)) {
    if (value === null || value === '') into.delete(key);
    else into.set(key, value);
  }
}

const roundCents = (n: number): number => Math.round(n * 1e6) / 1e6;

function recordTransaction(state: ProfileState, data: Extract<ProfileEvent, { type: 'TransactionRecorded' }>['data'], seq: number): void {
  const { transaction: t, access_level_id, purchase_id } = data;
  const previous = state.transactions.get(t.store_transaction_id);
  const revenue = state.total_revenue_usd - (previous ? usdRevenueOf(previous) : 0) + usdRevenueOf(t);
  const chain = state.chains.get(t.store_original_transaction_id);
  let next: Chain;
  if (!chain) {
    next = { original_id: t.store_original_transaction_id, access_level_id, purchase_id, first_purchased_at: t.purchased_at, current: t, given_seq: seq };
  } else if (chain.current.store_transaction_id === t.store_transaction_id) {
    next = { ...chain, current: t, access_level_id };
  } else if (toMs(t.purchased_at) >= toMs(chain.current.purchased_at)) {
    next = { ...chain, current: t, access_level_id, given_seq: seq };
  } else {
    // A late, older transaction is history only: it never rolls access back.
    next = { ...chain, first_purchased_at: toMs(t.purchased_at) < toMs(chain.first_purchased_at) ? t.purchased_at : chain.first_purchased_at };
  }
  state.transactions.set(t.store_transaction_id, t);
  state.chains.set(next.original_id, next);
  state.total_revenue_usd = roundCents(revenue);
}

/** The chain, its transactions and its notifications leave the profile (another profile owns them now). */
function releaseChain(state: ProfileState, originalId: string): void {
  state.chains.delete(originalId);
  for (const [id, t] of state.transactions) {
    if (t.store_original_transaction_id !== originalId) continue;
    state.total_revenue_usd = roundCents(state.total_revenue_usd - usdRevenueOf(t));
    state.transactions.delete(id);
  }
  for (const [id, chain] of state.store_notifications) if (chain === originalId) state.store_notifications.delete(id);
}

/**
 * Folds one event into `state`, which the caller owns: containers are updated in place, so folding
 * a long history costs each event, not the history again. Use `evolve` to keep the state before.
 */
export function applyEvent(state: ProfileState, event: ProfileEvent): ProfileState {
  const seq = state.seq + 1;
  switch (event.type) {
    case 'ProfileCreated': {
      const d = event.data;
      Object.assign(state, initialProfileState(), {
        exists: true,
        app_id: d.app_id,
        profile_id: d.profile_id,
        customer_user_id: d.customer_user_id,
        created_at: d.created_at,
        attributes: { ...d.attributes },
      });
      applyCustomAttributes(state.custom_attributes, d.custom_attributes);
      break;
    }
    case 'CustomerUserIdAttached':
      state.customer_user_id = event.data.customer_user_id;
      break;
    case 'AttributesUpdated':
      state.attributes = { ...state.attributes, ...event.data.attributes };
      applyCustomAttributes(state.custom_attributes, event.data.custom_attributes);
      break;
    case 'TransactionRecorded':
      recordTransaction(state, event.data, seq);
      break;
    case 'AccessGranted':
      state.grants.push({ ...event.data, given_seq: seq });
      break;
    case 'AccessRevoked':
      state.revocations.push({ access_level_id: event.data.access_level_id, revoke_at: event.data.revoke_at, seq });
      break;
    case 'SourceExpired': {
      const d = event.data;
      const until = toMs(d.until);
      if (d.source === 'grant') {
        const i = state.grants.findIndex((g) => g.grant_id === d.id);
        if (i !== -1) state.grants[i] = { ...state.grants[i], expiry_recorded_until: until };
      } else {
        const chain = state.chains.get(d.id);
        if (chain) state.chains.set(d.id, { ...chain, expiry_recorded_until: until });
      }
      break;
    }
    case 'StoreNotificationRecorded':
      state.store_notifications.set(event.data.notification_id, event.data.original_transaction_id);
      break;
    case 'StoreChainReleased':
      releaseChain(state, event.data.original_transaction_id);
      break;
    case 'ProfileDeleted':
      Object.assign(state, initialProfileState(), { deleted: true });
      break;
  }
  state.seq = seq;
  return state;
}

/** A state that shares the (never changed) entries but owns its containers. */
export const copyProfileState = (s: ProfileState): ProfileState => ({
  ...s,
  custom_attributes: new Map(s.custom_attributes),
  transactions: new Map(s.transactions),
  chains: new Map(s.chains),
  grants: [...s.grants],
  revocations: [...s.revocations],
  store_notifications: new Map(s.store_notifications),
});

/** Pure fold step: `state` is left as it was. */
export const evolve = (state: ProfileState, event: ProfileEvent): ProfileState => applyEvent(copyProfileState(state), event);

export const foldProfile = (events: ProfileEvent[], from: ProfileState = initialProfileState()): ProfileState =>
  events.reduce(applyEvent, copyProfileState(from));
