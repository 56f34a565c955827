import { ApiProperty } from '@nestjs/swagger';
import { MAPPED_ERROR_CODES } from '../errors/error-envelope';

export class ErrorItemDto {
  /** The field at fault (`non_field_errors` for the request as a whole), or null. */
  @ApiProperty({ type: 'string', nullable: true, example: 'non_field_errors' })
  source: string | null;
  @ApiProperty({ type: [String], example: ['Authentication credentials were not provided.'] })
  errors: string[];
}

/** Adapty's error body: every error the API answers has this shape. */
export class ErrorEnvelopeDto {
  @ApiProperty({ type: [ErrorItemDto] })
  errors: ErrorItemDto[];
  @ApiProperty({ enum: MAPPED_ERROR_CODES, example: 'not_authenticated' })
  error_code: string;
  @ApiProperty({ example: 401 })
  status_code: number;
}

/** A field Adapty has and this ledger does not fill: always null. */
export const AlwaysNull = () => ApiProperty({ type: 'null', description: 'Always null (Adapty has this field; the ledger does not fill it)' } as object);
