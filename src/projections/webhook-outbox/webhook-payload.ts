import { accessLevelsAt, accessSources } from '../../domain/profile/access';
import { ProfileState } from '../../domain/profile/profile.state';
import { toMs } from '../../domain/shared/time';
import { formatWebhookDate, WebhookEvent } from '../../domain/webhooks/webhook-events';

export interface WebhookPayload {
  profile_id: string;
  customer_user_id: string | null;
  profile_install_datetime: string | null;
  email: string | null;
  event_type: string;
  event_datetime: string | null;
  event_properties: Record<string, unknown>;
  event_api_version: 1;
  user_attributes: Record<string, string | number>;
  integration_ids: null;
  /** Ours: strictly increases across one profile's webhook events, in commit order. */
  profile_sequence: number;
}

/** Webhook events one domain event may mean, at most: profile_sequence leaves room for this many per revision. */
export const WEBHOOK_EVENTS_PER_REVISION = 10_000;

/**
 * profile_sequence of the `index`-th webhook event of the event at `revision` of a profile's stream:
 * derived from the stream, so it needs no stored counter and a rebuild gives the same numbers.
 */
export function profileSequence(revision: bigint, index: number): number {
  if (index >= WEBHOOK_EVENTS_PER_REVISION - 1) throw new Error(`more than ${WEBHOOK_EVENTS_PER_REVISION - 1} webhook events from one event`);
  return Number(revision) * WEBHOOK_EVENTS_PER_REVISION + index + 1;
}

/** Adapty's webhook body (§6.5) for one webhook event of a profile in `state` (the state right after the event). */
export function webhookPayload(state: ProfileState, w: WebhookEvent, profileEventId: string, sequence: number): WebhookPayload {
  const at = toMs(w.event_datetime);
  const active = state.exists ? accessLevelsAt(accessSources(state), at).some((s) => s.from <= at) : false;
  return {
    profile_id: state.profile_id,
    customer_user_id: state.customer_user_id,
    profile_install_datetime: formatWebhookDate(state.created_at),
    email: typeof state.attributes.email === 'string' ? state.attributes.email : null,
    event_type: w.event_type,
    event_datetime: formatWebhookDate(w.event_datetime),
    event_properties: {
      ...w.event_properties,
      profile_event_id: profileEventId,
      profile_id: state.profile_id,
      event_datetime: formatWebhookDate(w.event_datetime),
      environment: w.environment,
      profile_total_revenue_usd: state.total_revenue_usd,
      profile_has_access_level: active,
      profile_country: typeof state.attributes.ip_country === 'string' ? state.attributes.ip_country : null,
    },
    event_api_version: 1,
    user_attributes: Object.fromEntries(state.custom_attributes),
    integration_ids: null,
    profile_sequence: sequence,
  };
}
