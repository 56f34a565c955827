import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

class JsonApiErrorSourceDto {
  @ApiProperty({ example: '/data/attributes/stripe_token' })
  pointer: string;
}

class JsonApiErrorDto {
  @ApiProperty({ example: 'none is not an allowed value' })
  detail: string;

  @ApiProperty({ type: JsonApiErrorSourceDto })
  source: JsonApiErrorSourceDto;

  @ApiProperty({ example: '400', description: 'A string, as Adapty sends it' })
  status: string;

  @ApiPropertyOptional({ example: 'stripe_api_key_not_found', description: "The ledger's error code, when a rule refused the call" })
  code?: string;
}

/** Adapty's JSON:API errors of the Stripe validation call. */
export class JsonApiErrorsDto {
  @ApiProperty({ type: [JsonApiErrorDto] })
  errors: JsonApiErrorDto[];
}

export class StripeValidatedDto {
  @ApiProperty({ nullable: true, example: null, type: Object, description: 'Always null' })
  data: null;
}
