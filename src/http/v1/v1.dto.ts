import {
  IsBoolean,
  IsEmail,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { IsCalendarDate } from '../validation/is-calendar-date';
import { IsInstant } from '../validation/is-instant';

/** v1 gender: the server API's `f`/`m`/`o`, or the SDK's `female`/`male`/`other`. */
export const V1_GENDERS = ['f', 'm', 'o', 'female', 'male', 'other'] as const;

/** The v1 PATCH `/profiles/{id}/` body (contract §2.12): custom attributes are a dict; null deletes a key. */
export class V1ProfileRequestDto {
  @IsOptional() @Matches(/^[A-Za-z]{2}$/, { message: 'ip_country must be an ISO 3166-1 alpha-2 code.' }) ip_country?: string | null;
  @IsOptional() @IsEmail() @MaxLength(255) email?: string | null;
  @IsOptional() @IsString() @MaxLength(64) phone_number?: string | null;
  @IsOptional() @IsString() @MaxLength(255) first_name?: string | null;
  @IsOptional() @IsString() @MaxLength(255) last_name?: string | null;
  @IsOptional() @IsIn(V1_GENDERS) gender?: (typeof V1_GENDERS)[number] | null;
  @IsOptional() @IsCalendarDate('birthday must be a date in YYYY-MM-DD format.') birthday?: string | null;
  @IsOptional() @IsObject({ message: 'custom_attributes must be a dictionary of key: value.' }) custom_attributes?: Record<string, unknown> | null;
}

/** The v1 POST `/profiles/` body: the customer user id (never encoded in a body) and the PATCH attributes. */
export class V1CreateProfileRequestDto extends V1ProfileRequestDto {
  // NUL: no store can index it (PostgreSQL text cannot hold it), and no client means it.
  @IsString() @IsNotEmpty() @MaxLength(255) @Matches(/^[^\u0000]*$/, { message: 'customer_user_id must not contain NUL characters.' }) customer_user_id: string;
}

/** The v1 grant body: at least one of is_lifetime, expires_at, duration_days (checked after validation). */
export class V1GrantRequestDto {
  @IsOptional() @IsBoolean() is_lifetime?: boolean | null;
  @IsOptional() @IsInstant() expires_at?: string | null;
  @IsOptional() @IsInt() @Min(1) @Max(365_000) duration_days?: number | null;
  @IsOptional() @IsInstant() starts_at?: string | null;
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(255) vendor_product_id?: string | null;
  @IsOptional() @IsString() @MaxLength(255) base_plan_id?: string | null;
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(255) vendor_transaction_id?: string | null;
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(255) vendor_original_transaction_id?: string | null;
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(100) store?: string | null;
  @IsOptional() @IsIn(['free_trial', 'pay_as_you_go', 'pay_up_front']) introductory_offer_type?:
    | 'free_trial'
    | 'pay_as_you_go'
    | 'pay_up_front'
    | null;
  @IsOptional() @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(0) @Max(1e9) price?: number | null;
  @IsOptional() @Matches(/^[A-Za-z]{3}$/, { message: 'price_locale must be an ISO 4217 currency code, e.g. USD.' }) price_locale?: string | null;
  @IsOptional() @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(0) @Max(1e9) proceeds?: number | null;
  @IsOptional() @IsBoolean() is_sandbox?: boolean | null;
}

export class V1RevokeRequestDto {
  @IsBoolean() is_refund: boolean;
}
