import { IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { IsInstant } from '../validation/is-instant';

export class GrantAccessLevelDto {
  @IsString() @IsNotEmpty() @MaxLength(100) access_level_id: string;
  @IsOptional() @IsInstant() starts_at?: string | null;
  @IsOptional() @IsInstant() expires_at?: string | null;
}

export class RevokeAccessLevelDto {
  @IsString() @IsNotEmpty() @MaxLength(100) access_level_id: string;
  @IsOptional() @IsInstant() revoke_at?: string | null;
}
