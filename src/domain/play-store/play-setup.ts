import { Environment } from '../profile/profile.events';
import { DomainError } from '../shared/domain-error';
import { Iso } from '../shared/time';
import { DeveloperNotification } from './play-notification';

/**
 * One app's Google Play intake: its setup (never its secrets: the service-account key and the push
 * token are kept outside the log), the test notifications, and the index of purchase tokens that
 * wait for an owner. The waiting records themselves, with their evidence, are in each token's stream.
 */
export const playStoreSetupStreamId = (appId: string): string => `play-store-setup-${appId}`;

export type PushAuth = 'oidc' | 'token';

export interface PlayStoreSetup {
  package_name: string;
  /** The service account's client_email and private_key_id: which key is in use, not the key. */
  service_account_email: string;
  service_account_key_id: string | null;
  push_auth: PushAuth;
  push_audience: string | null;
  push_service_account_email: string | null;
  /** Acknowledge new purchases (Google refunds what is not acknowledged within 3 days). */
  acknowledge: boolean;
}

export interface PlayStoreSetupSaved {
  type: 'PlayStoreSetupSaved';
  /** secrets_rotated: the key or the push token changed (what they are is never written here). */
  data: PlayStoreSetup & { secrets_rotated: boolean; saved_at: Iso };
}

export interface PlayStoreSetupRemoved {
  type: 'PlayStoreSetupRemoved';
  data: { removed_at: Iso };
}

export interface PlayStoreTestReceived {
  type: 'PlayStoreTestReceived';
  data: { message_id: string; notification: DeveloperNotification; received_at: Iso };
}

export interface PlayPurchaseParked {
  type: 'PlayPurchaseParked';
  data: { purchase_token: string; record_id: string; notification_type: string; event_at: Iso; product_id: string | null; environment: Environment; parked_at: Iso };
}

export interface PlayPurchaseUnparked {
  type: 'PlayPurchaseUnparked';
  data: { purchase_token: string; profile_id: string; unparked_at: Iso };
}

export type PlayStoreSetupEvent = PlayStoreSetupSaved | PlayStoreSetupRemoved | PlayStoreTestReceived | PlayPurchaseParked | PlayPurchaseUnparked;

export interface UnattributedPurchase {
  purchase_token: string;
  product_id: string | null;
  environment: Environment;
  record_ids: string[];
  first_event_at: Iso;
  last_event_at: Iso;
  last_notification_type: string;
  waiting_since: Iso;
}

export interface PlayStoreSetupState {
  setup: (PlayStoreSetup & { created_at: Iso; updated_at: Iso }) | null;
  tests: Set<string>;
  last_test_notification_at: Iso | null;
  /** By purchase token. */
  unattributed: Map<string, UnattributedPurchase>;
}

export const initialPlayStoreSetup = (): PlayStoreSetupState => ({ setup: null, tests: new Set(), last_test_notification_at: null, unattributed: new Map() });

export function evolvePlayStoreSetup(state: PlayStoreSetupState, event: PlayStoreSetupEvent): PlayStoreSetupState {
  switch (event.type) {
    case 'PlayStoreSetupSaved': {
      const { saved_at, secrets_rotated: _rotated, ...setup } = event.data;
      return { ...state, setup: { ...setup, created_at: state.setup?.created_at ?? saved_at, updated_at: saved_at } };
    }
    case 'PlayStoreSetupRemoved':
      return { ...state, setup: null };
    case 'PlayStoreTestReceived': {
      const at = new Date(Number(event.data.notification.eventTimeMillis)).toISOString();
      const last = state.last_test_notification_at;
      return { ...state, tests: new Set(state.tests).add(event.data.message_id), last_test_notification_at: last === null || at > last ? at : last };
    }
    case 'PlayPurchaseParked': {
      const d = event.data;
      const was = state.unattributed.get(d.purchase_token);
      const newest = !was || d.event_at >= was.last_event_at;
      const entry: UnattributedPurchase = {
        purchase_token: d.purchase_token,
        product_id: (newest ? d.product_id : was.product_id) ?? was?.product_id ?? null,
        environment: d.environment,
        record_ids: [...(was?.record_ids ?? []), d.record_id],
        first_event_at: was && was.first_event_at < d.event_at ? was.first_event_at : d.event_at,
        last_event_at: newest ? d.event_at : was.last_event_at,
        last_notification_type: newest ? d.notification_type : was.last_notification_type,
        waiting_since: was?.waiting_since ?? d.parked_at,
      };
      return { ...state, unattributed: new Map(state.unattributed).set(d.purchase_token, entry) };
    }
    case 'PlayPurchaseUnparked': {
      const unattributed = new Map(state.unattributed);
      unattributed.delete(event.data.purchase_token);
      return { ...state, unattributed };
    }
  }
}

export const playStoreNotConfigured = (): DomainError =>
  new DomainError('store_not_configured', null, 'Google Play is not set up for this app: PUT /admin/v1/stores/play-store first.');

const sameSetup = (a: PlayStoreSetup, b: PlayStoreSetup): boolean =>
  (Object.keys(b) as Array<keyof PlayStoreSetup>).every((k) => a[k] === b[k]);

/** The setup as asked; `secretsRotated` says whether the key or push token differ from those kept (the application compares them). */
export function savePlaySetup(state: PlayStoreSetupState, input: { setup: PlayStoreSetup; secretsRotated: boolean }, now: Date): PlayStoreSetupEvent[] {
  if (state.setup && sameSetup(state.setup, input.setup) && !input.secretsRotated) return [];
  return [{ type: 'PlayStoreSetupSaved', data: { ...input.setup, secrets_rotated: state.setup !== null && input.secretsRotated, saved_at: now.toISOString() } }];
}

export function removePlaySetup(state: PlayStoreSetupState, now: Date): PlayStoreSetupEvent[] | DomainError {
  if (state.setup === null) return playStoreNotConfigured();
  return [{ type: 'PlayStoreSetupRemoved', data: { removed_at: now.toISOString() } }];
}

export function recordTest(state: PlayStoreSetupState, input: { messageId: string; notification: DeveloperNotification }, now: Date): PlayStoreSetupEvent[] {
  if (state.tests.has(input.messageId)) return [];
  return [{ type: 'PlayStoreTestReceived', data: { message_id: input.messageId, notification: input.notification, received_at: now.toISOString() } }];
}

/** A record about a token nobody owns yet waits: listed until a profile claims the token. */
export function parkPurchase(
  state: PlayStoreSetupState,
  input: { token: string; recordId: string; notificationType: string; eventAt: number; productId: string | null; environment: Environment },
  now: Date,
): PlayStoreSetupEvent[] {
  if (state.unattributed.get(input.token)?.record_ids.includes(input.recordId)) return [];
  return [
    {
      type: 'PlayPurchaseParked',
      data: {
        purchase_token: input.token,
        record_id: input.recordId,
        notification_type: input.notificationType,
        event_at: new Date(input.eventAt).toISOString(),
        product_id: input.productId,
        environment: input.environment,
        parked_at: now.toISOString(),
      },
    },
  ];
}

export function unparkPurchase(state: PlayStoreSetupState, token: string, profileId: string, now: Date): PlayStoreSetupEvent[] {
  if (!state.unattributed.has(token)) return [];
  return [{ type: 'PlayPurchaseUnparked', data: { purchase_token: token, profile_id: profileId, unparked_at: now.toISOString() } }];
}
