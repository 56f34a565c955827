import { DomainError } from '../shared/domain-error';
import { Iso } from '../shared/time';
import { deterministicUuid } from '../shared/uuid';
import { applyClaim, askClaim, Claim, ClaimData, claimData, Ownership, unowned } from '../stores/store-ownership';
import { AppleNotification } from './apple-notification';

/**
 * One App Store subscription chain (or one-time purchase) of one app: every verified notification
 * about it, with Apple's signed payload as evidence, and who owns it (store-ownership.ts). Stream
 * names hold no store ids.
 */
export const appStoreChainStreamId = (appId: string, originalTransactionId: string): string =>
  `app-store-chain-${deterministicUuid(`${appId}\n${originalTransactionId}`)}`;

export interface AppStoreNotificationReceived {
  type: 'AppStoreNotificationReceived';
  data: { app_id: string; original_transaction_id: string; notification: AppleNotification; signed_payload: string; received_at: Iso };
}

export interface AppStoreChainClaimed {
  type: 'AppStoreChainClaimed';
  data: { app_id: string; original_transaction_id: string } & ClaimData;
}

export type AppStoreChainEvent = AppStoreNotificationReceived | AppStoreChainClaimed;

export interface AppStoreChainState extends Ownership {
  app_id: string;
  original_transaction_id: string;
  /** By notificationUUID. */
  notifications: Map<string, AppleNotification>;
}

export const initialAppStoreChain = (): AppStoreChainState => ({
  app_id: '',
  original_transaction_id: '',
  ...unowned(),
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
    case 'AppStoreChainClaimed':
      return { ...state, app_id, original_transaction_id, ...applyClaim(state, event.data) };
  }
}

const claimed = (state: AppStoreChainState, appId: string, originalTransactionId: string, claim: Claim | ClaimData, now: Date): AppStoreChainClaimed => ({
  type: 'AppStoreChainClaimed',
  data: { app_id: appId, original_transaction_id: originalTransactionId, ...('profileId' in claim ? claimData(state, claim, now) : claim) },
});

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

/** A profile claims the chain (a link, or a set-transaction). Another owner keeps it unless the claim is a transfer. */
export function claimChain(
  state: AppStoreChainState,
  input: { appId: string; originalTransactionId: string; claim: Claim; transfer: boolean },
  now: Date,
): AppStoreChainEvent[] | DomainError {
  const asked = askClaim(state, input.claim, input.transfer, 'original_transaction_id', `Original transaction ${input.originalTransactionId}`, now);
  if (asked === null || asked instanceof DomainError) return asked ?? [];
  return [claimed(state, input.appId, input.originalTransactionId, asked, now)];
}

/** A set-transaction names a chain nobody owns yet: the profile that recorded it owns it. */
export function claimIfUnowned(state: AppStoreChainState, input: { appId: string; originalTransactionId: string; profileId: string }, now: Date): AppStoreChainEvent[] {
  if (state.owner !== null) return [];
  return [claimed(state, input.appId, input.originalTransactionId, { profileId: input.profileId, via: 'transaction' }, now)];
}
