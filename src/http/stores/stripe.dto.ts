import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsString, Matches, MaxLength, ValidateIf } from 'class-validator';
import { StoreLinkDto } from './app-store.dto';

export class SaveStripeSetupDto {
  @ApiProperty({ description: "The endpoint's signing secret (whsec_…; kept outside the log, never read back)" })
  @IsString()
  @Matches(/^whsec_\S+$/, { message: 'webhook_secret must be the endpoint signing secret (whsec_…)' })
  @MaxLength(255)
  webhook_secret: string;

  @ApiPropertyOptional({ description: 'A restricted key (rk_…) or secret key (sk_…) with read access: re-reads before applying, and Adapty\'s Stripe validation' })
  @ValidateIf((_o, value) => value !== undefined && value !== null)
  @IsString()
  @Matches(/^(rk|sk)_(test|live)_\S+$/, { message: 'api_key must be a Stripe restricted (rk_…) or secret (sk_…) key' })
  @MaxLength(255)
  api_key?: string | null;
}

export class LinkStripeCustomerDto extends StoreLinkDto {
  @ApiProperty({ description: 'The Stripe customer (cus_…), or one of its subscriptions (sub_…) the ledger has seen', example: 'cus_Q1w2e3r4' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  customer_id: string;
}
