import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsNotEmpty,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { IsInstant } from '../validation/is-instant';

export const CANCELLATION_REASONS = [
  'billing_error',
  'cancelled_by_developer',
  'new_subscription_replace',
  'price_increase',
  'product_was_not_available',
  'refund',
  'unknown',
  'upgraded',
  'voluntarily_cancelled',
  'adapty_revoked',
] as const;

export class PriceDto {
  @IsString() @Length(2, 2) country: string;
  @IsString() @Length(3, 3) currency: string;
  @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(0) @Max(1e9) value: number;
}

export class OfferDto {
  @IsIn(['introductory', 'promotional', 'offer_code', 'win_back']) category: 'introductory' | 'promotional' | 'offer_code' | 'win_back';
  @IsIn(['free_trial', 'pay_as_you_go', 'pay_up_front']) type: 'free_trial' | 'pay_as_you_go' | 'pay_up_front';
  @IsOptional() @IsString() @MaxLength(255) id?: string | null;
}

const isSubscription = (o: SetTransactionDto) => o.purchase_type === 'subscription';

/** Adapty's TransactionDTORequest: one body for both purchase types, told apart by purchase_type. */
export class SetTransactionDto {
  @IsIn(['one_time_purchase', 'subscription']) purchase_type: 'one_time_purchase' | 'subscription';
  @IsString() @IsNotEmpty() @MaxLength(100) store: string;
  @IsOptional() @IsIn(['Production', 'Sandbox']) environment?: 'Production' | 'Sandbox' | null;
  @IsString() @IsNotEmpty() @MaxLength(255) store_product_id: string;
  @IsString()
  @IsNotEmpty()
  @MaxLength(50, { message: 'store_transaction_id must be at most 50 characters: trim or hash longer ids.' })
  store_transaction_id: string;
  @IsString() @IsNotEmpty() @MaxLength(255) store_original_transaction_id: string;
  @IsOptional() @IsBoolean() is_family_shared?: boolean | null;
  @IsObject() @ValidateNested() @Type(() => PriceDto) price: PriceDto;
  @IsInstant() purchased_at: string;
  @IsOptional() @IsString() @MaxLength(255) variation_id?: string | null;
  @IsOptional() @IsObject() @ValidateNested() @Type(() => OfferDto) offer?: OfferDto | null;
  @IsOptional() @IsInstant() refunded_at?: string | null;
  @IsOptional() @IsIn(CANCELLATION_REASONS) cancellation_reason?: string | null;

  @ValidateIf(isSubscription) @IsInstant() originally_purchased_at?: string;
  @ValidateIf(isSubscription) @IsInstant() expires_at?: string;
  @ValidateIf(isSubscription) @IsBoolean() renew_status?: boolean;
  @IsOptional() @IsInstant() renew_status_changed_at?: string | null;
  @IsOptional() @IsInstant() billing_issue_detected_at?: string | null;
  @IsOptional() @IsInstant() grace_period_expires_at?: string | null;
}
