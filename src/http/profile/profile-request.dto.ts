import {
  IsArray,
  IsBoolean,
  IsEmail,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
} from 'class-validator';
import { IsCalendarDate } from '../validation/is-calendar-date';

/** Adapty's ProfileRequest (POST and PATCH /profile/). Every field may be null; absent fields are kept. */
export class ProfileRequestDto {
  @IsOptional() @IsString() @MaxLength(255) first_name?: string | null;
  @IsOptional() @IsString() @MaxLength(255) last_name?: string | null;
  @IsOptional() @IsIn(['f', 'm', 'o']) gender?: 'f' | 'm' | 'o' | null;
  @IsOptional() @IsEmail() @MaxLength(255) email?: string | null;
  @IsOptional() @IsString() @MaxLength(64) phone_number?: string | null;
  @IsOptional()
  @IsCalendarDate('birthday must be a date in YYYY-MM-DD format.')
  birthday?: string | null;
  @IsOptional() @Matches(/^[A-Za-z]{2}$/, { message: 'ip_country must be an ISO 3166-1 alpha-2 code.' }) ip_country?: string | null;
  @IsOptional() @IsString() @MaxLength(45) ip_v4_address?: string | null;
  @IsOptional() @Matches(/^[A-Za-z]{2}$/, { message: 'store_country must be an ISO 3166-1 alpha-2 code.' })
  store_country?: string | null;
  @IsOptional() @IsString() @MaxLength(100) store?: string | null;
  @IsOptional() @IsString() @MaxLength(255) store_account_token?: string | null;
  @IsOptional() @IsIn([0, 1, 2, 3]) att_status?: number | null;
  @IsOptional() @IsBoolean() analytics_disabled?: boolean | null;
  @IsOptional() @IsArray() custom_attributes?: unknown[];
  @IsOptional() @IsObject() installation_meta?: Record<string, unknown> | null;
}
