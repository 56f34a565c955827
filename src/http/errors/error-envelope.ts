import { DomainError } from '../../domain/shared/domain-error';

/** Adapty's error body: `{"errors":[{"source":…,"errors":[…]}],"error_code":…,"status_code":…}`. */
export interface ErrorEnvelope {
  errors: Array<{ source: string | null; errors: string[] }>;
  error_code: string;
  status_code: number;
}

/** The one place where an error code gets its HTTP status. */
const STATUS_BY_CODE = new Map<string, number | ((e: DomainError) => number)>(Object.entries({
  // 404 on profile endpoints, 400 (source non_field_errors) on purchase and access endpoints.
  profile_does_not_exist: (e) => (e.source === 'non_field_errors' ? 400 : 404),
  paid_access_level_does_not_exist: 400,
  profile_paid_access_level_does_not_exist: 400,
  revocation_date_more_than_expiration_date: 400,
  value_error: 400,
  validation_error: 400,
  store_transaction_id_error: 400,
  one_time_purchase_trial_error: 400,
  missing_offer_id: 400,
  free_trial_price_error: 400,
  family_share_price_error: 400,
  refund_fields_error: 400,
  refund_date_error: 400,
  expires_date_error: 400,
  originally_purchased_date_error: 400,
  renew_status_changed_date_error: 400,
  billing_issue_detected_at_date_comparison_error: 400,
  grace_period_billing_error: 400,
  grace_period_expires_date_error: 400,
  customer_user_id_taken: 400,
  webhook_verification_failed: 400,
  webhook_url_not_allowed: 400,
  webhook_endpoint_does_not_exist: 404,
  webhook_delivery_does_not_exist: 404,
  store_not_configured: 404,
  store_notification_malformed: 400,
  store_signature_invalid: 401,
  store_app_mismatch: 403,
  store_environment_refused: 403,
  store_verification_unavailable: 503,
  store_api_unavailable: 503,
  store_webhook_signature_invalid: 400,
  stripe_api_key_not_found: 400,
  invalid_stripe_credentials_or_purchase_not_found: 400,
  store_transaction_owned: 409,
  store_transaction_erased: 410,
  store_transaction_does_not_exist: 404,
  not_authenticated: 401,
  not_found: 404,
  bad_request: 400,
  stream_unavailable: 503,
  read_model_unavailable: 503,
  request_timeout: 408,
  request_header_fields_too_large: 431,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal_error: 500,
}));

export function statusOf(error: DomainError): number {
  const entry = STATUS_BY_CODE.get(error.code);
  if (entry === undefined) throw new Error(`No HTTP status mapped for error code ${error.code}`);
  return typeof entry === 'number' ? entry : entry(error);
}

export function envelopeOf(error: DomainError, extra: DomainError[] = []): ErrorEnvelope {
  return {
    errors: [error, ...extra].map((e) => ({ source: e.source, errors: [e.message] })),
    error_code: error.code,
    status_code: statusOf(error),
  };
}

export const MAPPED_ERROR_CODES = [...STATUS_BY_CODE.keys()];
