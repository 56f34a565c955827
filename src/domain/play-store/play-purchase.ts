import { DomainError } from '../shared/domain-error';
import { Iso } from '../shared/time';
import { deterministicUuid } from '../shared/uuid';
import { applyClaim, askClaim, Claim, ClaimData, claimData, Ownership, unowned } from '../stores/store-ownership';
import { accountIdOf, PlayRecord } from './play-record';

/**
 * One Google Play purchase token of one app: every record about it (the push and the Play API's
 * answer, the evidence), the ledger chain it belongs to, and who owns it (store-ownership.ts).
 * Stream names hold no store ids.
 */
export const playPurchaseStreamId = (appId: string, purchaseToken: string): string => `play-store-purchase-${deterministicUuid(`${appId}\n${purchaseToken}`)}`;

export interface PlayPurchaseRecorded {
  type: 'PlayPurchaseRecorded';
  data: { app_id: string; purchase_token: string; chain_id: string; record: PlayRecord; received_at: Iso };
}

export interface PlayPurchaseClaimed {
  type: 'PlayPurchaseClaimed';
  data: { app_id: string; purchase_token: string } & ClaimData;
}

/** A newer token names this one as its linkedPurchaseToken: this one ends when that one starts. */
export interface PlayPurchaseReplaced {
  type: 'PlayPurchaseReplaced';
  data: { app_id: string; purchase_token: string; by_purchase_token: string; replaced_at: Iso };
}

/** The ledger acknowledged the purchase to Google (the app asked it to): Google will not refund it for want of one. */
export interface PlayPurchaseAcknowledged {
  type: 'PlayPurchaseAcknowledged';
  data: { app_id: string; purchase_token: string; acknowledged_at: Iso };
}

export type PlayPurchaseEvent = PlayPurchaseRecorded | PlayPurchaseClaimed | PlayPurchaseReplaced | PlayPurchaseAcknowledged;

export interface PlayPurchaseState extends Ownership {
  app_id: string;
  purchase_token: string;
  /** The ledger chain (store_original_transaction_id): fixed by the first record. */
  chain_id: string | null;
  records: Map<string, PlayRecord>;
  replaced: { by: string; at: Iso } | null;
  acknowledged_at: Iso | null;
}

export const initialPlayPurchase = (): PlayPurchaseState => ({ app_id: '', purchase_token: '', ...unowned(), chain_id: null, records: new Map(), replaced: null, acknowledged_at: null });

export function evolvePlayPurchase(state: PlayPurchaseState, event: PlayPurchaseEvent): PlayPurchaseState {
  const { app_id, purchase_token } = event.data;
  switch (event.type) {
    case 'PlayPurchaseRecorded':
      return {
        ...state,
        app_id,
        purchase_token,
        chain_id: state.chain_id ?? event.data.chain_id,
        records: new Map(state.records).set(event.data.record.id, event.data.record),
      };
    case 'PlayPurchaseClaimed':
      return { ...state, app_id, purchase_token, ...applyClaim(state, event.data) };
    case 'PlayPurchaseReplaced':
      return { ...state, app_id, purchase_token, replaced: { by: event.data.by_purchase_token, at: event.data.replaced_at } };
    case 'PlayPurchaseAcknowledged':
      return { ...state, app_id, purchase_token, acknowledged_at: event.data.acknowledged_at };
  }
}

const claimed = (state: PlayPurchaseState, appId: string, token: string, claim: Claim | ClaimData, now: Date): PlayPurchaseClaimed => ({
  type: 'PlayPurchaseClaimed',
  data: { app_id: appId, purchase_token: token, ...('profileId' in claim ? claimData(state, claim, now) : claim) },
});

/**
 * A verified record arrives. A repeat (same id) records nothing. The obfuscated account id, when it
 * names a profile of the app, comes first: it claims the token, from another profile too (the
 * purchase was made by that account), unless the token carried it before (a transfer someone asked
 * for stands). Else the owner of the token this one replaced owns it, if nobody does yet.
 */
export function recordPurchase(
  state: PlayPurchaseState,
  input: { appId: string; token: string; chainId: string; record: PlayRecord; accountOwner: string | null; linkedOwner: string | null },
  now: Date,
): PlayPurchaseEvent[] {
  const { appId, token, record } = input;
  const events: PlayPurchaseEvent[] = [];
  if (!state.records.has(record.id)) {
    events.push({ type: 'PlayPurchaseRecorded', data: { app_id: appId, purchase_token: token, chain_id: state.chain_id ?? input.chainId, record, received_at: now.toISOString() } });
  }
  const account = accountIdOf(record.resource);
  const known = [...state.records.values()].some((r) => account !== null && accountIdOf(r.resource) === account);
  if (input.accountOwner !== null && input.accountOwner !== state.owner && (state.owner === null || !known)) {
    events.push(claimed(state, appId, token, { profileId: input.accountOwner, via: 'account_id' }, now));
  } else if (state.owner === null && input.accountOwner === null && input.linkedOwner !== null) {
    events.push(claimed(state, appId, token, { profileId: input.linkedOwner, via: 'linked_purchase' }, now));
  }
  return events;
}

/** A profile asks for the token (a link): another owner keeps it unless the claim is a transfer. */
export function claimPurchase(
  state: PlayPurchaseState,
  input: { appId: string; token: string; claim: Claim; transfer: boolean },
  now: Date,
): PlayPurchaseEvent[] | DomainError {
  const asked = askClaim(state, input.claim, input.transfer, 'purchase_token', 'The purchase token', now);
  if (asked === null || asked instanceof DomainError) return asked ?? [];
  return [claimed(state, input.appId, input.token, asked, now)];
}

/** The replacing token started at `at`: recorded once (the first replacement Google reports stands). */
export function replacePurchase(state: PlayPurchaseState, input: { appId: string; token: string; by: string; at: Date }): PlayPurchaseEvent[] {
  if (state.replaced !== null || state.records.size === 0) return [];
  return [{ type: 'PlayPurchaseReplaced', data: { app_id: input.appId, purchase_token: input.token, by_purchase_token: input.by, replaced_at: input.at.toISOString() } }];
}

export function acknowledgePurchase(state: PlayPurchaseState, input: { appId: string; token: string }, now: Date): PlayPurchaseEvent[] {
  if (state.acknowledged_at !== null) return [];
  return [{ type: 'PlayPurchaseAcknowledged', data: { app_id: input.appId, purchase_token: input.token, acknowledged_at: now.toISOString() } }];
}
