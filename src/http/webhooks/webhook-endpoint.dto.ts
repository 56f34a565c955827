import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsOptional, IsString, IsUrl, MaxLength } from 'class-validator';

const URL_OPTIONS = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };

export class CreateWebhookEndpointDto {
  @IsUrl(URL_OPTIONS) @MaxLength(2000) url: string;
  @IsOptional() @IsString() @MaxLength(2000) authorization?: string | null;
  @IsOptional() @IsArray() @ArrayMaxSize(50) @IsString({ each: true }) event_types?: string[] | null;
  @IsOptional() @IsIn(['Production', 'Sandbox']) environment?: 'Production' | 'Sandbox' | null;
}

export class UpdateWebhookEndpointDto {
  @IsOptional() @IsUrl(URL_OPTIONS) @MaxLength(2000) url?: string;
  @IsOptional() @IsString() @MaxLength(2000) authorization?: string | null;
  @IsOptional() @IsArray() @ArrayMaxSize(50) @IsString({ each: true }) event_types?: string[] | null;
  @IsOptional() @IsIn(['Production', 'Sandbox']) environment?: 'Production' | 'Sandbox' | null;
  @IsOptional() @IsBoolean() enabled?: boolean;
}
