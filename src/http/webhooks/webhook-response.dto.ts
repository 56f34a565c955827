import type { WebhookEndpoint } from '../../domain/webhooks/webhook-endpoint';
import type { DeliveryView } from '../../projections/read-model-store.port';

/** A subscriber's endpoint. `secret` signs deliveries (Standard Webhooks); `authorization` is sent as is. */
export class WebhookEndpointDto implements WebhookEndpoint {
  id: string;
  url: string;
  /** The handshake sent when the endpoint is saved: `empty` (POST `{}`, Adapty's current form), `adapty_check` (the older form) or `none` */
  verification: 'empty' | 'adapty_check' | 'none';
  authorization: string | null;
  /** null: every event type */
  event_types: string[] | null;
  /** null: both environments */
  environment: 'Sandbox' | 'Production' | null;
  enabled: boolean;
  /** `whsec_…`: verify the `webhook-signature` header with it */
  secret: string;
  created_at: string;
  disabled_reason: string | null;
}

export class WebhookDeliveryDto implements DeliveryView {
  /** The `webhook-id` header, stable across retries */
  id: string;
  endpoint_id: string;
  profile_id: string;
  profile_sequence: number;
  event_type: string;
  /** `rejected`: the endpoint answered 3xx–404, which ends a delivery (Adapty's rule); `failed`: attempts used up */
  status: 'pending' | 'delivered' | 'rejected' | 'failed';
  attempts: number;
  last_response_status: number | null;
  /** The start of the last non-2xx answer's body */
  last_response_excerpt: string | null;
  last_error: string | null;
  last_attempt_at: string | null;
  next_attempt_at: string | null;
  delivered_at: string | null;
  created_at: string;
}

export class WebhookEndpointResponseDto {
  data: WebhookEndpointDto;
}

export class WebhookEndpointListDto {
  data: WebhookEndpointDto[];
}

export class WebhookDeliveryResponseDto {
  data: WebhookDeliveryDto;
}

export class WebhookDeliveryListDto {
  data: WebhookDeliveryDto[];
}

export class WebhookDeliveryPageDto {
  data: WebhookDeliveryDto[];
  /** Pass as `cursor` for the next (older) page; null on the last page */
  next_cursor: string | null;
}
