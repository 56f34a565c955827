/**
 * Builders for the App Store intake's domain tests (no test-framework globals here, so the file also
 * type-checks in the production build). Apple's payloads are built already decoded (no signatures):
 * times are ms, prices milliunits, storefronts ISO alpha-3, as Apple sends them.
 *
 * given: a chain's notifications, each arriving alone and synced to the owner's profile as it came;
 * when: one more arrives; then: the profile events (history, transaction changes and their effects).
 */
import { CatalogueState } from '../catalogue/catalogue';
import { ProfileEvent, StoreNotificationRecorded, TransactionRecorded } from '../profile/profile.events';
import { foldProfile, ProfileState } from '../profile/profile.state';
import { levelsBefore, webhookEventsFor } from '../webhooks/webhook-events';
import { CATALOGUE, context, day, eventsOf, given, ms, NOW, PROFILE_ID, APP_ID } from '../spec-support';
import { AppStoreChainClaimed, AppStoreChainEvent, AppStoreChainState, AppStoreNotificationReceived, evolveAppStoreChain, initialAppStoreChain } from './app-store-chain';
import { ClaimVia } from '../stores/store-ownership';
import { syncAppStoreChain } from './app-store-sync';
import { AppleEnvironment, AppleNotification, AppleRenewalInfo, AppleTransactionInfo } from './apple-notification';

/** An Apple instant (ms) `n` days (may be fractional or negative) after NOW. */
export const at = (n: number): number => ms(day(n));
export const HOUR = 1 / 24;
export const MINUTE = HOUR / 60;

export const AUTO_RENEWABLE = 'Auto-Renewable Subscription';

/**
 * Apple's transaction info for a paid monthly subscription bought 10 days ago for one month at
 * $9.99 in the US store: what the ledger's spec-support `subscription()` is.
 */
export function appleTransaction(overrides: Partial<AppleTransactionInfo> = {}): AppleTransactionInfo {
  return {
    transactionId: 'tx-1',
    originalTransactionId: 'tx-1',
    productId: 'monthly',
    purchaseDate: at(-10),
    originalPurchaseDate: at(-10),
    expiresDate: at(20),
    type: AUTO_RENEWABLE,
    inAppOwnershipType: 'PURCHASED',
    environment: 'Production',
    storefront: 'USA',
    price: 9990,
    currency: 'USD',
    ...overrides,
  };
}

/** A free trial: introductory offer (offerType 1) with the FREE_TRIAL discount, price 0. */
export const appleTrial = (overrides: Partial<AppleTransactionInfo> = {}): AppleTransactionInfo =>
  appleTransaction({ offerType: 1, offerDiscountType: 'FREE_TRIAL', price: 0, expiresDate: at(-3), ...overrides });

/** A non-consumable bought 5 days ago for $49.99 (no expiresDate): spec-support's `oneTime()`. */
export function appleOneTime(overrides: Partial<AppleTransactionInfo> = {}): AppleTransactionInfo {
  const { expiresDate: _none, ...rest } = appleTransaction({
    transactionId: 'otp-1',
    originalTransactionId: 'otp-1',
    productId: 'lifetime',
    type: 'Non-Consumable',
    purchaseDate: at(-5),
    originalPurchaseDate: at(-5),
    price: 49990,
  });
  return { ...rest, ...overrides };
}

/** Renewal info: renewing into the same product. */
export const appleRenewal = (overrides: Partial<AppleRenewalInfo> = {}): AppleRenewalInfo => ({
  productId: 'monthly',
  autoRenewProductId: 'monthly',
  autoRenewStatus: 1,
  ...overrides,
});

/**
 * A verified notification signed at `signed` (ms). The signed infos inside it are signed at the same
 * instant unless they say otherwise. Its id names type, subtype and instant, so ids are stable.
 */
export function appleNotification(
  type: string,
  subtype: string | null,
  signed: number,
  parts: { transaction?: AppleTransactionInfo | null; renewal?: AppleRenewalInfo | null; id?: string; environment?: AppleEnvironment } = {},
): AppleNotification {
  const environment = parts.environment ?? 'Production';
  const transaction = parts.transaction ? { signedDate: signed, ...parts.transaction } : null;
  const renewal = parts.renewal ? { originalTransactionId: transaction?.originalTransactionId, signedDate: signed, ...parts.renewal } : null;
  return {
    notification_uuid: parts.id ?? `${type}.${subtype ?? '-'}.${new Date(signed).toISOString()}`,
    notification_type: type,
    subtype,
    signed_date: signed,
    environment,
    transaction,
    renewal,
  };
}

// ---- the chain stream ----

export const received = (n: AppleNotification, appId: string = APP_ID): AppStoreNotificationReceived => ({
  type: 'AppStoreNotificationReceived',
  data: {
    app_id: appId,
    original_transaction_id: n.transaction!.originalTransactionId,
    notification: n,
    signed_payload: `signed:${n.notification_uuid}`,
    received_at: NOW.toISOString(),
  },
});

export const claimed = (
  originalTransactionId: string,
  profileId: string = PROFILE_ID,
  previousProfileId: string | null = null,
  via: ClaimVia = 'app_account_token',
  appId: string = APP_ID,
): AppStoreChainClaimed => ({
  type: 'AppStoreChainClaimed',
  data: { app_id: appId, original_transaction_id: originalTransactionId, profile_id: profileId, previous_profile_id: previousProfileId, via, claimed_at: NOW.toISOString() },
});

/** A chain stream folded from its events. */
export const chainOf = (...events: AppStoreChainEvent[]): AppStoreChainState => events.reduce(evolveAppStoreChain, initialAppStoreChain());

/** A chain owned by `owner` (claimed first) that holds these notifications. */
export const ownedChain = (notifications: AppleNotification[], owner: string = PROFILE_ID): AppStoreChainState =>
  chainOf(claimed(notifications[0].transaction!.originalTransactionId, owner), ...notifications.map((n) => received(n)));

// ---- the owner's profile ----

export interface Story {
  profile: ProfileState;
  chain: AppStoreChainState;
  /** Every profile event the arrivals made, in order. */
  events: ProfileEvent[];
}

/** when: `n` arrives: the chain records it and the owner's profile syncs with the chain. */
export function arrive(story: Story, n: AppleNotification, catalogue: CatalogueState = CATALOGUE, now: Date = NOW): Story {
  const chain = story.chain.notifications.has(n.notification_uuid) ? story.chain : evolveAppStoreChain(story.chain, received(n));
  const events = eventsOf(syncAppStoreChain(story.profile, chain, catalogue, context(now), n.notification_uuid));
  return { profile: foldProfile(events, story.profile), chain, events };
}

/** given: these notifications arrived one at a time, in this order, each synced as it came. */
export function arrivedOneByOne(notifications: AppleNotification[], catalogue: CatalogueState = CATALOGUE, profile: ProfileState = given()): Story {
  let story: Story = { profile, chain: chainOf(claimed(notifications[0].transaction!.originalTransactionId)), events: [] };
  const all: ProfileEvent[] = [];
  for (const n of notifications) {
    story = arrive(story, n, catalogue);
    all.push(...story.events);
  }
  return { ...story, events: all };
}

// ---- then ----

const isRecorded = (e: ProfileEvent): e is TransactionRecorded => e.type === 'TransactionRecorded';
const isNotification = (e: ProfileEvent): e is StoreNotificationRecorded => e.type === 'StoreNotificationRecorded';

/** The transaction changes among `events`: which transaction, and its webhook effects. */
export const changes = (events: ProfileEvent[]): { id: string; effects: string[] }[] =>
  events.filter(isRecorded).map((e) => ({ id: e.data.transaction.store_transaction_id, effects: e.data.effects }));

/** The TransactionRecorded events among `events`. */
export const transactionsRecorded = (events: ProfileEvent[]): TransactionRecorded['data'][] => events.filter(isRecorded).map((e) => e.data);

/** The notifications recorded in the history, as `TYPE/SUBTYPE` (`TYPE` alone without a subtype). */
export const history = (events: ProfileEvent[]): string[] =>
  events.filter(isNotification).map((e) => (e.data.subtype === null ? e.data.notification_type : `${e.data.notification_type}/${e.data.subtype}`));

/** The Adapty webhook event types `events` mean, folded one by one from `state`. */
export function webhookTypes(state: ProfileState, events: ProfileEvent[]): string[] {
  let current = state;
  const out: string[] = [];
  for (const e of events) {
    const was = levelsBefore(current, e);
    current = foldProfile([e], current);
    out.push(...webhookEventsFor(was, e, current).map((w) => w.event_type));
  }
  return out;
}
