import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { GrantAccessCommand } from '../../application/grant-access/grant-access.command';
import { RecordTransactionCommand } from '../../application/record-transaction/record-transaction.command';
import { RevokeAccessCommand } from '../../application/revoke-access/revoke-access.command';
import { ProfileRef } from '../../application/shared/profile-ref';
import { ProfileResult } from '../../application/shared/profile-result';
import { profileV2Response } from '../presenters/profile-v2.response';
import { Profile } from '../profile/profile-ref.decorator';
import { instantOrNull } from '../validation/is-instant';
import { GrantAccessLevelDto, RevokeAccessLevelDto } from './access-level.dto';
import { SetTransactionDto } from './set-transaction.dto';
import { transactionInput } from './transaction-input';
import { ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { ApiErrors, ApiKeyedErrors, ApiProfileHeaders } from '../openapi/api-errors.decorator';
import { ProfileResponseDto } from '../profile/profile-response.dto';

@ApiTags('v2 purchases and access')
@ApiSecurity('Api-Key')
@ApiProfileHeaders()
@ApiKeyedErrors()
@ApiOkResponse({ type: ProfileResponseDto, description: 'The profile after the change' })
@ApiErrors(400, 413, 415)
@Controller('api/v2/server-side-api')
export class PurchaseController {
  constructor(private readonly commands: CommandBus) {}

  @Post('purchase/set/transaction')
  @HttpCode(200)
  @ApiOperation({ summary: 'Record a purchase (a subscription or a one-time purchase); re-send the same store_transaction_id to update it' })
  async setTransaction(@Profile() ref: ProfileRef, @Body() body: SetTransactionDto) {
    const cmd = new RecordTransactionCommand(ref, transactionInput(body));
    return profileV2Response(await this.commands.execute<RecordTransactionCommand, ProfileResult>(cmd));
  }

  // The migration guide names the shorter path; the reference names the longer one. Both work.
  @Post(['purchase/profile/grant/access-level', 'grant/access-level'])
  @HttpCode(200)
  @ApiOperation({ summary: 'Grant an access level: now or from starts_at, for life or until expires_at' })
  async grant(@Profile() ref: ProfileRef, @Body() body: GrantAccessLevelDto) {
    const terms = { kind: 'window', starts_at: instantOrNull(body.starts_at), expires_at: instantOrNull(body.expires_at) } as const;
    return profileV2Response(await this.commands.execute<GrantAccessCommand, ProfileResult>(new GrantAccessCommand(ref, body.access_level_id, terms)));
  }

  @Post('purchase/profile/revoke/access-level')
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke an access level now, or at revoke_at' })
  async revoke(@Profile() ref: ProfileRef, @Body() body: RevokeAccessLevelDto) {
    const cmd = new RevokeAccessCommand(ref, body.access_level_id, { kind: 'at', revoke_at: instantOrNull(body.revoke_at) });
    return profileV2Response(await this.commands.execute<RevokeAccessCommand, ProfileResult>(cmd));
  }
}
