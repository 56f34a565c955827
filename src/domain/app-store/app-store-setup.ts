import { DomainError, validationError } from '../shared/domain-error';
import { Iso } from '../shared/time';
import { AppleEnvironment, AppleNotification } from './apple-notification';

/**
 * One app's App Store intake: its setup (what a notification must be signed for), the notifications
 * about no transaction (TEST, a renewal-extension summary, …) and the index of chains that wait for an
 * owner. The waiting notifications themselves, with their evidence, are in each chain's stream.
 */
export const appStoreSetupStreamId = (appId: string): string => `app-store-setup-${appId}`;

export const APPLE_ENVIRONMENTS: readonly AppleEnvironment[] = ['Production', 'Sandbox'];

export interface AppStoreSetup {
  bundle_id: string;
  app_apple_id: number | null;
  environments: AppleEnvironment[];
}

export interface AppStoreSetupSaved {
  type: 'AppStoreSetupSaved';
  data: AppStoreSetup & { saved_at: Iso };
}

export interface AppStoreSetupRemoved {
  type: 'AppStoreSetupRemoved';
  data: { removed_at: Iso };
}

/** A verified notification about no transaction: the evidence is kept here. */
export interface AppStoreAppNotificationReceived {
  type: 'AppStoreAppNotificationReceived';
  data: { notification: AppleNotification; summary: Record<string, unknown> | null; signed_payload: string; received_at: Iso };
}

export interface AppStoreChainParked {
  type: 'AppStoreChainParked';
  data: {
    original_transaction_id: string;
    notification_id: string;
    notification_type: string;
    subtype: string | null;
    signed_at: Iso;
    product_id: string;
    environment: AppleEnvironment;
    parked_at: Iso;
  };
}

export interface AppStoreChainUnparked {
  type: 'AppStoreChainUnparked';
  data: { original_transaction_id: string; profile_id: string; unparked_at: Iso };
}

export type AppStoreSetupEvent = AppStoreSetupSaved | AppStoreSetupRemoved | AppStoreAppNotificationReceived | AppStoreChainParked | AppStoreChainUnparked;

export interface UnattributedChain {
  original_transaction_id: string;
  product_id: string;
  environment: AppleEnvironment;
  notification_ids: string[];
  first_signed_at: Iso;
  last_signed_at: Iso;
  last_notification_type: string;
  last_subtype: string | null;
  waiting_since: Iso;
}

export interface AppStoreSetupState {
  setup: (AppStoreSetup & { created_at: Iso; updated_at: Iso }) | null;
  app_notifications: Set<string>;
  last_test_notification_at: Iso | null;
  /** By original transaction id. */
  unattributed: Map<string, UnattributedChain>;
}

export const initialAppStoreSetup = (): AppStoreSetupState => ({
  setup: null,
  app_notifications: new Set(),
  last_test_notification_at: null,
  unattributed: new Map(),
});

export function evolveAppStoreSetup(state: AppStoreSetupState, event: AppStoreSetupEvent): AppStoreSetupState {
  switch (event.type) {
    case 'AppStoreSetupSaved': {
      const { saved_at, ...setup } = event.data;
      return { ...state, setup: { ...setup, created_at: state.setup?.created_at ?? saved_at, updated_at: saved_at } };
    }
    case 'AppStoreSetupRemoved':
      return { ...state, setup: null };
    case 'AppStoreAppNotificationReceived': {
      const n = event.data.notification;
      const test = n.notification_type === 'TEST' ? new Date(n.signed_date).toISOString() : null;
      const last = state.last_test_notification_at;
      return {
        ...state,
        app_notifications: new Set(state.app_notifications).add(n.notification_uuid),
        last_test_notification_at: test !== null && (last === null || test > last) ? test : last,
      };
    }
    case 'AppStoreChainParked': {
      const d = event.data;
      const was = state.unattributed.get(d.original_transaction_id);
      const newest = !was || d.signed_at >= was.last_signed_at;
      const chain: UnattributedChain = {
        original_transaction_id: d.original_transaction_id,
        product_id: newest ? d.product_id : was.product_id,
        environment: d.environment,
        notification_ids: [...(was?.notification_ids ?? []), d.notification_id],
        first_signed_at: was && was.first_signed_at < d.signed_at ? was.first_signed_at : d.signed_at,
        last_signed_at: newest ? d.signed_at : was.last_signed_at,
        last_notification_type: newest ? d.notification_type : was.last_notification_type,
        last_subtype: newest ? d.subtype : was.last_subtype,
        waiting_since: was?.waiting_since ?? d.parked_at,
      };
      return { ...state, unattributed: new Map(state.unattributed).set(d.original_transaction_id, chain) };
    }
    case 'AppStoreChainUnparked': {
      const unattributed = new Map(state.unattributed);
      unattributed.delete(event.data.original_transaction_id);
      return { ...state, unattributed };
    }
  }
}

export const appStoreNotConfigured = (): DomainError =>
  new DomainError('store_not_configured', null, 'The App Store is not set up for this app: PUT /admin/v1/stores/app-store first.');

/** The setup as asked, checked: Production needs the app's Apple id (Apple's verifier requires it there). */
export function saveSetup(state: AppStoreSetupState, input: AppStoreSetup, now: Date): AppStoreSetupEvent[] | DomainError {
  const environments = APPLE_ENVIRONMENTS.filter((e) => input.environments.includes(e));
  if (environments.includes('Production') && input.app_apple_id === null) {
    return validationError('app_apple_id', 'app_apple_id is required to accept Production notifications.');
  }
  const setup: AppStoreSetup = { bundle_id: input.bundle_id, app_apple_id: input.app_apple_id, environments };
  const current = state.setup;
  if (current && current.bundle_id === setup.bundle_id && current.app_apple_id === setup.app_apple_id && current.environments.join() === environments.join()) {
    return [];
  }
  return [{ type: 'AppStoreSetupSaved', data: { ...setup, saved_at: now.toISOString() } }];
}

export function removeSetup(state: AppStoreSetupState, now: Date): AppStoreSetupEvent[] | DomainError {
  if (state.setup === null) return appStoreNotConfigured();
  return [{ type: 'AppStoreSetupRemoved', data: { removed_at: now.toISOString() } }];
}

export function recordAppNotification(
  state: AppStoreSetupState,
  input: { notification: AppleNotification; summary: Record<string, unknown> | null; signedPayload: string },
  now: Date,
): AppStoreSetupEvent[] {
  if (state.app_notifications.has(input.notification.notification_uuid)) return [];
  return [
    {
      type: 'AppStoreAppNotificationReceived',
      data: { notification: input.notification, summary: input.summary, signed_payload: input.signedPayload, received_at: now.toISOString() },
    },
  ];
}

/** A notification about a chain nobody owns yet waits: listed until a profile claims the chain. */
export function parkNotification(state: AppStoreSetupState, n: AppleNotification, now: Date): AppStoreSetupEvent[] {
  const t = n.transaction!;
  if (state.unattributed.get(t.originalTransactionId)?.notification_ids.includes(n.notification_uuid)) return [];
  return [
    {
      type: 'AppStoreChainParked',
      data: {
        original_transaction_id: t.originalTransactionId,
        notification_id: n.notification_uuid,
        notification_type: n.notification_type,
        subtype: n.subtype,
        signed_at: new Date(n.signed_date).toISOString(),
        product_id: t.productId,
        environment: n.environment,
        parked_at: now.toISOString(),
      },
    },
  ];
}

export function unparkChain(state: AppStoreSetupState, originalId: string, profileId: string, now: Date): AppStoreSetupEvent[] {
  if (!state.unattributed.has(originalId)) return [];
  return [{ type: 'AppStoreChainUnparked', data: { original_transaction_id: originalId, profile_id: profileId, unparked_at: now.toISOString() } }];
}
