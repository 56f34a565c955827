import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsEmail, IsNotEmpty, IsObject, IsString, Matches, MaxLength, MinLength, ValidateIf } from 'class-validator';
import { StoreLinkDto } from './app-store.dto';

/** Validated whenever present, null included. */
const Given = () => ValidateIf((_o, value) => value !== undefined);

export class SavePlayStoreSetupDto {
  @ApiProperty({ example: 'com.example.app' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  @Matches(/^[A-Za-z][\w]*(\.[A-Za-z][\w]*)+$/, { message: 'package_name must be an Android package name (com.example.app)' })
  package_name: string;

  @ApiProperty({ description: 'The service account\'s JSON key, as Google Cloud gives it (kept outside the log; never read back)', type: Object })
  @IsObject()
  service_account: Record<string, unknown>;

  @ApiPropertyOptional({ description: 'OIDC push authentication: the audience set on the Pub/Sub push subscription' })
  @Given()
  @IsString()
  @IsNotEmpty()
  @MaxLength(2048)
  push_audience?: string;

  @ApiPropertyOptional({ description: 'OIDC push authentication: the service account the push subscription signs its tokens as' })
  @Given()
  @IsEmail()
  push_service_account_email?: string;

  @ApiPropertyOptional({ description: 'Instead of OIDC: a secret the push URL carries as ?token=… (at least 32 characters; kept outside the log)' })
  @Given()
  @IsString()
  @MinLength(32)
  @MaxLength(512)
  push_token?: string;

  @ApiPropertyOptional({ description: 'Acknowledge new purchases for the app (Google refunds what is not acknowledged within 3 days); default false' })
  @Given()
  @IsBoolean()
  acknowledge?: boolean;
}

export class LinkPlayPurchaseDto extends StoreLinkDto {
  @ApiProperty({ description: 'The purchase token, as the app or Google gave it' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(4096)
  purchase_token: string;
}

/** Pub/Sub's push body: anything else is refused by the intake with store_notification_malformed. */
export class PlayStorePushDto {
  @ApiProperty({ description: '{"data": "<base64 DeveloperNotification>", "messageId": "…", "publishTime": "…"}', type: Object })
  message: Record<string, unknown>;

  @ApiPropertyOptional({ description: 'projects/…/subscriptions/…' })
  subscription?: string;
}

export class PlayPurchaseTokenQueryDto {
  @ApiProperty({ description: 'The purchase token' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(4096)
  purchase_token: string;
}
