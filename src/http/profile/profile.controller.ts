import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { CreateProfileCommand } from '../../application/create-profile/create-profile.command';
import { DeleteProfileCommand } from '../../application/delete-profile/delete-profile.command';
import { GetProfileQuery } from '../../application/get-profile/get-profile.query';
import { ProfileRef } from '../../application/shared/profile-ref';
import { ProfileResult } from '../../application/shared/profile-result';
import { UpdateProfileCommand } from '../../application/update-profile/update-profile.command';
import { DomainError, validationError } from '../../domain/shared/domain-error';
import { parseInstant } from '../../domain/shared/time';
import { GetProfileAsOfQuery, GetProfileHistoryQuery, HistoryPage } from '../../application/profile-history/profile-history.query';
import { cursorOf, pageLimit, positionOf } from '../paging';
import { unwrap } from '../errors/domain-error.exception';
import { profileV2Response } from '../presenters/profile-v2.response';
import { profileInput } from './profile-input';
import { Profile } from './profile-ref.decorator';
import { ProfileRequestDto } from './profile-request.dto';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { ApiErrors, ApiKeyedErrors, ApiProfileHeaders } from '../openapi/api-errors.decorator';
import { HistoryPageDto, ProfileResponseDto } from './profile-response.dto';

/** History cursors name a revision of the profile's stream. */
const REVISION = 'r';

@ApiTags('v2 profile')
@ApiSecurity('Api-Key')
@ApiProfileHeaders()
@ApiKeyedErrors()
@Controller('api/v2/server-side-api/profile')
export class ProfileController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'Create a profile (idempotent per customer user id), with attributes' })
  @ApiOkResponse({ type: ProfileResponseDto })
  @ApiErrors(400, 404, 413, 415)
  async create(@Profile() ref: ProfileRef, @Body() body: ProfileRequestDto) {
    const { attributes, customAttributes } = profileInput(body);
    return profileV2Response(await this.commands.execute<CreateProfileCommand, ProfileResult>(new CreateProfileCommand(ref, attributes, customAttributes)));
  }

  @Get()
  @ApiOperation({ summary: 'The profile and its access levels now, or as the ledger knew it at `as_of`' })
  @ApiQuery({ name: 'as_of', type: String, required: false, description: 'An ISO 8601 instant: the profile as recorded up to then, access judged then' })
  @ApiOkResponse({ type: ProfileResponseDto })
  @ApiErrors(400, 404)
  async get(@Profile() ref: ProfileRef, @Query('as_of') asOf?: string) {
    if (asOf !== undefined) {
      const instant = parseInstant(asOf);
      if (instant === null) unwrap(validationError('as_of', 'as_of must be an ISO 8601 date-time, e.g. 2026-03-03T14:00:00Z.'));
      return profileV2Response(await this.queries.execute<GetProfileAsOfQuery, ProfileResult>(new GetProfileAsOfQuery(ref, instant!)));
    }
    return profileV2Response(await this.queries.execute<GetProfileQuery, ProfileResult>(new GetProfileQuery(ref)));
  }

  /** Every event of the profile in commit order; `cursor` pages on (opaque), `limit` 1–1000 (default 100). */
  @Get('history')
  @ApiOperation({ summary: "The profile's events in commit order, paged" })
  @ApiQuery({ name: 'limit', type: String, required: false, description: '1 to 1000 (default 100)' })
  @ApiQuery({ name: 'cursor', type: String, required: false, description: 'next_cursor of the previous page' })
  @ApiOkResponse({ type: HistoryPageDto })
  @ApiErrors(400, 404)
  async history(@Profile() ref: ProfileRef, @Query('limit') limit?: string, @Query('cursor') cursor?: string) {
    const page = unwrap(
      await this.queries.execute<GetProfileHistoryQuery, HistoryPage | DomainError>(
        new GetProfileHistoryQuery(ref, pageLimit(limit), positionOf(REVISION, cursor) ?? 0n),
      ),
    );
    return { data: page.data, next_cursor: page.next_revision === null ? null : cursorOf(REVISION, page.next_revision) };
  }

  @Patch()
  @ApiOperation({ summary: 'Update attributes (fields not sent are kept; null or "" deletes a custom attribute)' })
  @ApiOkResponse({ type: ProfileResponseDto })
  @ApiErrors(400, 404, 413, 415)
  async update(@Profile() ref: ProfileRef, @Body() body: ProfileRequestDto) {
    const { attributes, customAttributes } = profileInput(body);
    return profileV2Response(await this.commands.execute<UpdateProfileCommand, ProfileResult>(new UpdateProfileCommand(ref, attributes, customAttributes)));
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({ summary: "Delete the profile: its events are erased" })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiErrors(400, 404)
  async remove(@Profile() ref: ProfileRef): Promise<void> {
    unwrap(await this.commands.execute<DeleteProfileCommand, null | DomainError>(new DeleteProfileCommand(ref)));
  }
}
