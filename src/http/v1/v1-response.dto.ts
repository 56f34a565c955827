import { AlwaysNull } from '../openapi/error-envelope.dto';
import { ApiProperty, getSchemaPath } from '@nestjs/swagger';
import type { ProfileV1 } from './profile-v1.presenter';

/*
 * The legacy v1 Profile object. Each class `implements` the type the API really renders, so a
 * field added to a response and not here fails to compile.
 */

type AccessLevelV1 = NonNullable<ProfileV1['paid_access_levels']>[string];
type SubscriptionV1 = NonNullable<ProfileV1['subscriptions']>[string];
type NonSubscriptionV1 = NonNullable<ProfileV1['non_subscriptions']>[string][number];

/** Dates are `2020-03-26T16:24:19.497674+0000` (six-digit fraction). */
export class V1AccessLevelDto implements AccessLevelV1 {
  id: string;
  is_active: boolean;
  is_lifetime: boolean;
  expires_at: string | null;
  starts_at: string | null;
  will_renew: boolean;
  vendor_product_id: string;
  @AlwaysNull()
  base_plan_id: null;
  vendor_transaction_id: string;
  vendor_original_transaction_id: string;
  store: string;
  activated_at: string | null;
  renewed_at: string | null;
  unsubscribed_at: string | null;
  billing_issue_detected_at: string | null;
  is_in_grace_period: boolean;
  active_introductory_offer_type: 'free_trial' | 'pay_as_you_go' | 'pay_up_front' | null;
  active_promotional_offer_type: 'free_trial' | 'pay_as_you_go' | 'pay_up_front' | null;
  active_promotional_offer_id: string | null;
  cancellation_reason: string | null;
}

export class V1SubscriptionDto implements SubscriptionV1 {
  is_active: boolean;
  is_lifetime: boolean;
  expires_at: string | null;
  @AlwaysNull()
  starts_at: null;
  will_renew: boolean;
  vendor_product_id: string;
  @AlwaysNull()
  base_plan_id: null;
  vendor_transaction_id: string;
  vendor_original_transaction_id: string;
  store: string;
  activated_at: string | null;
  renewed_at: string | null;
  unsubscribed_at: string | null;
  billing_issue_detected_at: string | null;
  is_in_grace_period: boolean;
  active_introductory_offer_type: 'free_trial' | 'pay_as_you_go' | 'pay_up_front' | null;
  active_promotional_offer_type: 'free_trial' | 'pay_as_you_go' | 'pay_up_front' | null;
  active_promotional_offer_id: string | null;
  cancellation_reason: string | null;
  is_sandbox: boolean;
}

export class V1NonSubscriptionDto implements NonSubscriptionV1 {
  purchase_id: string;
  vendor_product_id: string;
  vendor_transaction_id: string;
  vendor_original_transaction_id: string;
  store: string;
  purchased_at: string | null;
  is_one_time: boolean;
  is_sandbox: boolean;
  is_refund: boolean;
}

const dictOf = (ref: string, description: string) =>
  ApiProperty({ type: 'object', nullable: true, additionalProperties: { $ref: getSchemaPath(ref) }, description });

/** With `?extended=1` (GET) the profile's built-in attributes are added. */
export class V1ProfileDto implements ProfileV1 {
  app_id: string;
  profile_id: string;
  customer_user_id: string | null;
  total_revenue_usd: number;
  @dictOf('V1AccessLevelDto', 'Keyed by access level id; null when there is none')
  paid_access_levels: Record<string, V1AccessLevelDto> | null;
  @dictOf('V1SubscriptionDto', 'Keyed by product id; null when there is none')
  subscriptions: Record<string, V1SubscriptionDto> | null;
  @ApiProperty({
    type: 'object',
    nullable: true,
    additionalProperties: { type: 'array', items: { $ref: getSchemaPath('V1NonSubscriptionDto') } },
    description: 'Purchases keyed by product id; null when there is none',
  })
  non_subscriptions: Record<string, V1NonSubscriptionDto[]> | null;
  @ApiProperty({ type: 'object', additionalProperties: { oneOf: [{ type: 'string' }, { type: 'number' }] } })
  custom_attributes: Record<string, string | number>;
  created_at?: string | null;
  email?: string | null;
  phone_number?: string | null;
  att_status?: number | null;
  first_name?: string | null;
  last_name?: string | null;
  @AlwaysNull()
  username?: null;
  gender?: string | null;
  birthday?: string | null;
  idfa?: string | null;
  idfv?: string | null;
  advertising_id?: string | null;
  @AlwaysNull()
  appsflyer_id?: null;
  @AlwaysNull()
  amplitude_user_id?: null;
  @AlwaysNull()
  amplitude_device_id?: null;
  @AlwaysNull()
  mixpanel_user_id?: null;
  @AlwaysNull()
  appmetrica_profile_id?: null;
  @AlwaysNull()
  appmetrica_device_id?: null;
  @AlwaysNull()
  facebook_anonymous_id?: null;
}

export class V1ProfileResponseDto {
  data: V1ProfileDto;
}

export const V1_RESPONSE_MODELS = [V1AccessLevelDto, V1SubscriptionDto, V1NonSubscriptionDto];
