import { AlwaysNull } from '../openapi/error-envelope.dto';
import { ApiProperty } from '@nestjs/swagger';
import type { HistoryEntry } from '../../application/profile-history/profile-history.query';
import type { ProfileV2 } from '../presenters/profile-v2.presenter';

/*
 * Response shapes for the OpenAPI document. Each class `implements` the type the API really
 * renders, so a field added to a response and not here fails to compile.
 */

type AccessLevel = ProfileV2['access_levels'][number];
type Subscription = ProfileV2['subscriptions'][number];
type NonSubscription = ProfileV2['non_subscriptions'][number];

export class ProfileOfferDto implements NonNullable<AccessLevel['offer']> {
  category: 'introductory' | 'promotional' | 'offer_code' | 'win_back';
  type: 'free_trial' | 'pay_as_you_go' | 'pay_up_front';
  id: string | null;
}

export class CustomAttributeDto {
  key: string;
  @ApiProperty({ oneOf: [{ type: 'string' }, { type: 'number' }] })
  value: string | number;
}

/** An access level the profile has now (or a scheduled one: see `starts_at`). */
export class AccessLevelDto implements AccessLevel {
  access_level_id: string;
  store: string;
  store_product_id: string;
  @AlwaysNull()
  store_base_plan_id: null;
  store_transaction_id: string;
  store_original_transaction_id: string;
  offer: ProfileOfferDto | null;
  environment: 'Sandbox' | 'Production';
  /** Dates are ISO 8601 with an offset, e.g. `2026-03-03T14:00:00+00:00` */
  starts_at: string | null;
  purchased_at: string | null;
  originally_purchased_at: string | null;
  /** null: for life */
  expires_at: string | null;
  renewal_cancelled_at: string | null;
  billing_issue_detected_at: string | null;
  is_in_grace_period: boolean;
  cancellation_reason: string | null;
}

export class SubscriptionDto implements Subscription {
  store: string;
  store_product_id: string;
  @AlwaysNull()
  store_base_plan_id: null;
  store_transaction_id: string;
  store_original_transaction_id: string;
  offer: ProfileOfferDto | null;
  environment: 'Sandbox' | 'Production';
  purchased_at: string | null;
  originally_purchased_at: string | null;
  expires_at: string | null;
  renewal_cancelled_at: string | null;
  billing_issue_detected_at: string | null;
  is_in_grace_period: boolean;
  cancellation_reason: string | null;
}

export class NonSubscriptionDto implements NonSubscription {
  purchase_id: string;
  store: string;
  store_product_id: string;
  @AlwaysNull()
  store_base_plan_id: null;
  store_transaction_id: string;
  store_original_transaction_id: string;
  purchased_at: string | null;
  environment: 'Sandbox' | 'Production';
  is_refund: boolean;
  is_consumable: boolean;
}

/** Adapty's v2 Profile object, as it stands at the time of the request. */
export class ProfileDto implements ProfileV2 {
  app_id: string;
  profile_id: string;
  customer_user_id: string | null;
  /** Sum of non-refunded USD prices (other currencies are kept, not converted) */
  total_revenue_usd: number;
  segment_hash: string;
  /** Time of the answer, milliseconds since the epoch */
  timestamp: number;
  custom_attributes: CustomAttributeDto[];
  access_levels: AccessLevelDto[];
  subscriptions: SubscriptionDto[];
  non_subscriptions: NonSubscriptionDto[];
}

export class ProfileResponseDto {
  data: ProfileDto;
}

export class EventSourceDto {
  source: string | null;
  app_id: string | null;
}

/** One event of the profile's stream, in commit order. */
export class HistoryEntryDto implements HistoryEntry {
  event_id: string;
  /** The event type, e.g. AccessGranted, TransactionRecorded, SourceExpired */
  type: string;
  revision: number;
  recorded_at: string;
  @ApiProperty({ type: 'object', additionalProperties: true })
  data: Record<string, unknown>;
  source: EventSourceDto;
}

export class HistoryPageDto {
  data: HistoryEntryDto[];
  /** Pass as `cursor` for the next page; null on the last one */
  next_cursor: string | null;
}
