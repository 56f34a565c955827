import { applyDecorators, HttpStatus } from '@nestjs/common';
import { ApiHeader, ApiResponse } from '@nestjs/swagger';
import { ErrorEnvelopeDto } from './error-envelope.dto';

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid request (validation_error and the domain codes): the envelope lists each field at fault',
  401: 'not_authenticated: no key, or an unknown key (store notifications: store_signature_invalid)',
  403: 'store_app_mismatch, store_environment_refused: a store notification for another app or environment',
  409: 'store_transaction_owned: another profile owns that store transaction',
  410: 'store_transaction_erased: the store purchase belonged to an erased profile',
  503: 'read_model_unavailable, stream_unavailable, store_verification_unavailable, store_api_unavailable: try again',
  404: 'Not found (profile_does_not_exist, webhook_endpoint_does_not_exist, not_found, …)',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited (RATE_LIMIT_PER_MINUTE): retry after `Retry-After` seconds',
  500: 'internal_error',
};

/** Error answers of an operation, each in Adapty's envelope. */
export const ApiErrors = (...statuses: number[]) =>
  applyDecorators(...statuses.map((status) => ApiResponse({ status, description: DESCRIPTIONS[status] ?? HttpStatus[status], type: ErrorEnvelopeDto })));

/** What every keyed API operation can answer besides its own outcomes. */
export const ApiKeyedErrors = () => ApiErrors(401, 429, 500);

/** v2's profile headers: one of them names the profile a request is about. */
export const ApiProfileHeaders = () =>
  applyDecorators(
    ApiHeader({ name: 'adapty-customer-user-id', required: false, description: 'Your own id of the user (1 to 255 characters)' }),
    ApiHeader({ name: 'adapty-profile-id', required: false, description: "The ledger's profile id (a UUID); wins over adapty-customer-user-id" }),
  );
