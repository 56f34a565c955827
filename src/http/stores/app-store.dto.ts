import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsBoolean, IsIn, IsInt, IsNotEmpty, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateIf } from 'class-validator';

/** Validated whenever present, null included. */
const Given = () => ValidateIf((_o, value) => value !== undefined);

export class SaveAppStoreSetupDto {
  @ApiProperty({ example: 'com.example.app' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  @Matches(/^\S+$/, { message: 'bundle_id must not contain spaces' })
  bundle_id: string;

  @ApiPropertyOptional({ example: 1234567890, description: 'The app Apple ID (App Store Connect → App Information); required to accept Production' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  app_apple_id?: number | null;

  @ApiPropertyOptional({ example: ['Production', 'Sandbox'], description: 'Environments accepted (default both); Xcode and LocalTesting never are' })
  @Given()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(2)
  @ArrayUnique()
  @IsIn(['Production', 'Sandbox'], { each: true })
  environments?: Array<'Production' | 'Sandbox'>;
}

/** Who claims a store purchase: a profile by either id, and whether to move it from another owner. */
export class StoreLinkDto {
  @ApiPropertyOptional({ description: 'The profile, by your own user id' })
  @Given()
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  customer_user_id?: string;

  @ApiPropertyOptional({ description: "The profile, by the ledger's id (wins over customer_user_id)" })
  @Given()
  @IsString()
  @Matches(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, { message: 'profile_id must be a valid UUID.' })
  profile_id?: string;

  @ApiPropertyOptional({ description: 'Move the purchase from the profile that owns it (a shared store account)' })
  @Given()
  @IsBoolean()
  transfer?: boolean;
}

export class LinkAppStoreTransactionDto extends StoreLinkDto {
  @ApiProperty({ example: '2000000123456789' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  original_transaction_id: string;
}

/** Apple's body: anything else is refused by the intake with store_notification_malformed. */
export class AppStoreNotificationDto {
  @ApiProperty({ description: "Apple's signed JWS" })
  signedPayload: string;
}
