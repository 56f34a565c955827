import { DomainError, validationError } from '../shared/domain-error';
import { Environment } from '../profile/profile.events';
import { WEBHOOK_EVENT_TYPES } from './webhook-events';

/**
 * The handshake sent when an endpoint is saved: `empty` POSTs `{}` and accepts any 2xx (Adapty's
 * current form); `adapty_check` POSTs `{"adapty_check": x}` and wants `{"adapty_check_response": x}`
 * back (Adapty's older form); `none` sends nothing.
 */
export const VERIFICATION_MODES = ['empty', 'adapty_check', 'none'] as const;
export type VerificationMode = (typeof VERIFICATION_MODES)[number];
/** Endpoints created before the choice existed load with it. */
export const DEFAULT_VERIFICATION: VerificationMode = 'empty';

/** A subscriber's endpoint, kept as events in the app's `webhook-endpoints-<app>` stream. */
export interface WebhookEndpoint {
  id: string;
  url: string;
  verification: VerificationMode;
  authorization: string | null;
  event_types: string[] | null;
  environment: Environment | null;
  enabled: boolean;
  secret: string;
  created_at: string;
  disabled_reason: string | null;
}

export type EndpointEvent =
  | { type: 'WebhookEndpointCreated'; data: Omit<WebhookEndpoint, 'enabled' | 'disabled_reason' | 'verification'> & { verification?: VerificationMode } }
  | { type: 'WebhookEndpointUpdated'; data: { id: string } & EndpointChanges }
  | { type: 'WebhookEndpointSecretRotated'; data: { id: string; secret: string } }
  | { type: 'WebhookEndpointDisabled'; data: { id: string; reason: string } }
  | { type: 'WebhookEndpointDeleted'; data: { id: string } };

/** What a PATCH may change. */
export interface EndpointChanges {
  url?: string;
  verification?: VerificationMode;
  authorization?: string | null;
  event_types?: string[] | null;
  environment?: Environment | null;
  enabled?: boolean;
}

export const ENDPOINT_EVENT_TYPES: ReadonlySet<string> = new Set([
  'WebhookEndpointCreated',
  'WebhookEndpointUpdated',
  'WebhookEndpointSecretRotated',
  'WebhookEndpointDisabled',
  'WebhookEndpointDeleted',
]);

export type EndpointsState = Record<string, WebhookEndpoint>;

export const endpointsStreamId = (appId: string): string => `webhook-endpoints-${appId}`;

export function evolveEndpoints(state: EndpointsState, event: EndpointEvent): EndpointsState {
  switch (event.type) {
    case 'WebhookEndpointCreated':
      return {
        ...state,
        [event.data.id]: { ...event.data, verification: event.data.verification ?? DEFAULT_VERIFICATION, enabled: true, disabled_reason: null },
      };
    case 'WebhookEndpointUpdated': {
      const current = state[event.data.id];
      if (!current) return state;
      const { id: _id, ...changes } = event.data;
      const enabling = changes.enabled === true;
      return { ...state, [event.data.id]: { ...current, ...changes, disabled_reason: enabling ? null : current.disabled_reason } };
    }
    case 'WebhookEndpointSecretRotated': {
      const current = state[event.data.id];
      return current ? { ...state, [event.data.id]: { ...current, secret: event.data.secret } } : state;
    }
    case 'WebhookEndpointDisabled': {
      const current = state[event.data.id];
      return current ? { ...state, [event.data.id]: { ...current, enabled: false, disabled_reason: event.data.reason } } : state;
    }
    case 'WebhookEndpointDeleted': {
      const next = { ...state };
      delete next[event.data.id];
      return next;
    }
  }
}

export const endpointNotFound = (): DomainError => new DomainError('webhook_endpoint_does_not_exist', null, 'Webhook endpoint not found');

export const webhookUrlNotAllowed = (reason: string): DomainError => new DomainError('webhook_url_not_allowed', 'url', `Webhook URL not allowed: ${reason}`);

export const webhookVerificationFailed = (reason: string): DomainError =>
  new DomainError('webhook_verification_failed', 'url', `Endpoint verification failed: ${reason}`);

/** A changed URL or handshake form is verified again before it is saved. */
export const needsVerification = (current: WebhookEndpoint, changes: EndpointChanges): boolean =>
  (changes.url !== undefined && changes.url !== current.url) ||
  (changes.verification !== undefined && changes.verification !== current.verification);

export function checkEventTypes(types: string[] | null | undefined): DomainError | null {
  if (types === null || types === undefined) return null;
  const unknown = types.filter((t) => !(WEBHOOK_EVENT_TYPES as readonly string[]).includes(t));
  return unknown.length ? validationError('event_types', `Unknown event types: ${unknown.join(', ')}.`) : null;
}

/** Whether an event of this type and environment goes to this endpoint. */
export const endpointWants = (e: WebhookEndpoint, eventType: string, environment: Environment): boolean =>
  e.enabled && (e.event_types === null || e.event_types.includes(eventType)) && (e.environment === null || e.environment === environment);
