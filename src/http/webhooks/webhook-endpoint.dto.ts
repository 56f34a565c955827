import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsOptional, IsString, IsUrl, MaxLength, ValidateIf } from 'class-validator';
import { VERIFICATION_MODES, VerificationMode } from '../../domain/webhooks/webhook-endpoint';

// Any scheme passes the format check: the address policy refuses all but http/https with its own code.
const URL_OPTIONS = { require_tld: false, require_protocol: true, require_valid_protocol: false };
/** Validated whenever present, null included (IsOptional would let null through). */
const Given = () => ValidateIf((_o, value) => value !== undefined);

export class CreateWebhookEndpointDto {
  @IsUrl(URL_OPTIONS) @MaxLength(2000) url: string;
  @Given() @IsIn(VERIFICATION_MODES) verification?: VerificationMode;
  @IsOptional() @IsString() @MaxLength(2000) authorization?: string | null;
  @IsOptional() @IsArray() @ArrayMaxSize(50) @IsString({ each: true }) event_types?: string[] | null;
  @IsOptional() @IsIn(['Production', 'Sandbox']) environment?: 'Production' | 'Sandbox' | null;
}

export class UpdateWebhookEndpointDto {
  @Given() @IsUrl(URL_OPTIONS) @MaxLength(2000) url?: string;
  @Given() @IsIn(VERIFICATION_MODES) verification?: VerificationMode;
  @IsOptional() @IsString() @MaxLength(2000) authorization?: string | null;
  @IsOptional() @IsArray() @ArrayMaxSize(50) @IsString({ each: true }) event_types?: string[] | null;
  @IsOptional() @IsIn(['Production', 'Sandbox']) environment?: 'Production' | 'Sandbox' | null;
  @Given() @IsBoolean() enabled?: boolean;
}
