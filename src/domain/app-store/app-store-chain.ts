import { DomainError } from '../shared/domain-error';
import { Iso } from '../shared/time';
import { deterministicUuid } from '../shared/uuid';
import { AppleNotification } from './apple-notification';

/**
 * One App Store subscription chain (or one-time purchase) of one app: every verified notification
 * about it, with Apple's signed payload as evidence, and who owns it. The stream is the lock on
 * ownership, as a customer_user_id's reservation stream is: claims are appended with the expected
 * revision, so two profiles never own a chain at once. Stream names hold no store ids.
 */
export const appStoreChainStreamId = (appId: string, originalTransactionId: string): string =>
  `app-store-chain-${deterministicUuid(`${appId}\n${originalTransactionId}`)}`;

export type ClaimVia = 'app_account_token' | 'transaction' | 'link' | 'transfer';

export interface AppStoreNotificationReceived {
  type: 'AppStoreNotificationReceived';
  data: { app_id: string; original_transaction_id: string; notification: AppleNotification; signed_payload: string; received_at: Iso };
}

export interface AppStoreChainClaimed {
  type: 'AppStoreChainClaimed';
  data: { app_id: string; original_transaction_id: string; profile_id: string; previous_profile_id: string | null; via: ClaimVia; claimed_at: Iso };
}

export type AppStoreChainEvent = AppStoreNotificationReceived | AppStoreChainClaimed;

export interface AppStoreChainState {
  app_id: string;
  original_transaction_id: string;
  owner: string | null;
  /** Profiles that owned the chain before: each must no longer hold it. */
  former_owners: string[];
  /** The newest claim moved the chain from another profile because someone asked (a link with transfer): its history arrives quietly. */
  transferred: boolean;
  /** By notificationUUID. */
  notifications: Map<string, AppleNotification>;
}

export const initialAppStoreChain = (): AppStoreChainState => ({
  app_id: '',
  original_transaction_id: '',
  owner: null,
  former_owners: [],
  transferred: false,
  notifications: new Map(),
});

export function evolveAppStoreChain(state: AppStoreChainState, event: AppStoreChainEvent): AppStoreChainState {
  const { app_id, original_transaction_id } = event.data;
  switch (event.type) {
    case 'AppStoreNotificationReceived':
      return {
        ...state,
        app_id,
        original_transaction_id,
        notifications: new Map(state.notifications).set(event.data.notification.notification_uuid, event.data.notification),
      };
    case 'AppStoreChainClaimed': {
      const previous = event.data.previous_profile_id;
      const former = previous && !state.former_owners.includes(previous) ? [...state.former_owners, previous] : state.former_owners;
      return {
        ...state,
        app_id,
        original_transaction_id,
        owner: event.data.profile_id,
        former_owners: former.filter((id) => id !== event.data.profile_id),
        transferred: previous !== null && event.data.via === 'transfer',
      };
    }
  }
}

export interface Claim {
  profileId: string;
  via: ClaimVia;
}

function claimed(state: AppStoreChainState, appId: string, originalTransactionId: string, claim: Claim, now: Date): AppStoreChainClaimed {
  return {
    type: 'AppStoreChainClaimed',
    data: {
      app_id: appId,
      original_transaction_id: originalTransactionId,
      profile_id: claim.profileId,
      previous_profile_id: state.owner,
      via: claim.via,
      claimed_at: now.toISOString(),
    },
  };
}

/**
 * A verified notification arrives. A repeat (same notificationUUID) records nothing. The
 * transaction's appAccountToken, when it names a profile of the app, comes first: it claims the
 * chain, from another profile too (the purchase was made by that account).
 */
export function receiveNotification(
  state: AppStoreChainState,
  input: { appId: string; notification: AppleNotification; signedPayload: string; tokenOwner: string | null },
  now: Date,
): AppStoreChainEvent[] {
  const { appId, notification } = input;
  const originalId = notification.transaction!.originalTransactionId;
  const events: AppStoreChainEvent[] = [];
  if (!state.notifications.has(notification.notification_uuid)) {
    events.push({
      type: 'AppStoreNotificationReceived',
      data: { app_id: appId, original_transaction_id: originalId, notification, signed_payload: input.signedPayload, received_at: now.toISOString() },
    });
  }
  // A token the chain has carried before is the buyer's, repeated on every renewal: it does not undo a transfer someone asked for.
  const token = notification.transaction!.appAccountToken;
  const known = [...state.notifications.values()].some((n) => n.transaction?.appAccountToken === token);
  if (input.tokenOwner !== null && input.tokenOwner !== state.owner && (state.owner === null || !known)) {
    events.push(claimed(state, appId, originalId, { profileId: input.tokenOwner, via: 'app_account_token' }, now));
  }
  return events;
}

export const transactionOwnedElsewhere = (originalTransactionId: string, owner: string): DomainError =>
  new DomainError(
    'store_transaction_owned',
    'original_transaction_id',
    `Original transaction ${originalTransactionId} belongs to profile ${owner}; send "transfer": true to move it.`,
  );

/** A profile claims the chain (a link, or a set-transaction). Another owner keeps it unless the claim is a transfer. */
export function claimChain(
  state: AppStoreChainState,
  input: { appId: string; originalTransactionId: string; claim: Claim; transfer: boolean },
  now: Date,
): AppStoreChainEvent[] | DomainError {
  if (state.owner === input.claim.profileId) return [];
  if (state.owner !== null && !input.transfer) return transactionOwnedElsewhere(input.originalTransactionId, state.owner);
  return [claimed(state, input.appId, input.originalTransactionId, input.claim, now)];
}

/** A set-transaction names a chain nobody owns yet: the profile that recorded it owns it. */
export function claimIfUnowned(state: AppStoreChainState, input: { appId: string; originalTransactionId: string; profileId: string }, now: Date): AppStoreChainEvent[] {
  if (state.owner !== null) return [];
  return [claimed(state, input.appId, input.originalTransactionId, { profileId: input.profileId, via: 'transaction' }, now)];
}
