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

/** By endpoint id: a Map, so an id such as `constructor` or `__proto__` is an id like any other. */
export type EndpointsState = ReadonlyMap<string, WebhookEndpoint>;

export const initialEndpoints = (): EndpointsState => new Map();

export const endpointsStreamId = (appId: string): string => `webhook-endpoints-${appId}`;

/**
 * An event about an endpoint the state does not hold changes nothing: the deciders never emit
 * one, but a log may already hold such events (written before they were refused).
 */
export function evolveEndpoints(state: EndpointsState, event: EndpointEvent): EndpointsState {
  const id = event.data.id;
  if (event.type === 'WebhookEndpointCreated') {
    return new Map(state).set(id, { ...event.data, verification: event.data.verification ?? DEFAULT_VERIFICATION, enabled: true, disabled_reason: null });
  }
  const current = state.get(id);
  if (!current) return state;
  switch (event.type) {
    case 'WebhookEndpointUpdated': {
      const { id: _id, ...changes } = event.data;
      const enabling = changes.enabled === true;
      return new Map(state).set(id, { ...current, ...changes, disabled_reason: enabling ? null : current.disabled_reason });
    }
    case 'WebhookEndpointSecretRotated':
      return new Map(state).set(id, { ...current, secret: event.data.secret });
    case 'WebhookEndpointDisabled':
      return new Map(state).set(id, { ...current, enabled: false, disabled_reason: event.data.reason });
    case 'WebhookEndpointDeleted': {
      const next = new Map(state);
      next.delete(id);
      return next;
    }
  }
}

export const endpointNotFound = (): DomainError => new DomainError('webhook_endpoint_does_not_exist', null, 'Webhook endpoint not found');

/** Deciders: an id the state does not hold is a 404, never an event. */
export const updateEndpoint = (state: EndpointsState, id: string, changes: EndpointChanges): EndpointEvent[] | DomainError =>
  state.has(id) ? [{ type: 'WebhookEndpointUpdated', data: { id, ...changes } }] : endpointNotFound();

export const deleteEndpoint = (state: EndpointsState, id: string): EndpointEvent[] | DomainError =>
  state.has(id) ? [{ type: 'WebhookEndpointDeleted', data: { id } }] : endpointNotFound();

export const rotateEndpointSecret = (state: EndpointsState, id: string, secret: string): EndpointEvent[] | DomainError =>
  state.has(id) ? [{ type: 'WebhookEndpointSecretRotated', data: { id, secret } }] : endpointNotFound();

/** The subscriber asked us to stop (410 Gone): once, while the endpoint is there and enabled. */
export const disableEndpoint = (state: EndpointsState, id: string, reason: string): EndpointEvent[] =>
  state.get(id)?.enabled ? [{ type: 'WebhookEndpointDisabled', data: { id, reason } }] : [];

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
