import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { CreateProfileCommand } from '../../application/create-profile/create-profile.command';
import { DeleteProfileCommand } from '../../application/delete-profile/delete-profile.command';
import { ProfileRef } from '../../application/shared/profile-ref';
import { ProfileResult } from '../../application/shared/profile-result';
import { UpdateProfileCommand } from '../../application/update-profile/update-profile.command';
import { ProfileV1Result } from '../../application/v1/v1.handlers';
import {
  GetV1ProfileQuery,
  ResolveV1ProfileQuery,
  V1GrantAccessCommand,
  V1ProfileId,
  V1RevokeAccessCommand,
} from '../../application/v1/v1.commands';
import { DomainError } from '../../domain/shared/domain-error';
import { unwrap } from '../errors/domain-error.exception';
import { AppId } from '../profile/profile-ref.decorator';
import { v1GrantInput, v1ProfileInput } from './v1-input';
import { isExtended, v1ProfileIdOf } from './v1-profile-id';
import { V1CreateProfileRequestDto, V1GrantRequestDto, V1ProfileRequestDto, V1RevokeRequestDto } from './v1.dto';
import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { ApiErrors, ApiKeyedErrors } from '../openapi/api-errors.decorator';
import { V1_RESPONSE_MODELS, V1ProfileResponseDto } from './v1-response.dto';

const ApiProfileIdParams = () =>
  applyDecorators(
    ApiParam({ name: 'id', description: 'The profile id (UUID) or your customer user id' }),
    ApiQuery({ name: 'is_user_id_base64url_encoded', type: String, required: false, description: '1: `id` is a base64url-encoded customer user id (for ids with / ? +)' }),
  );

type QueryParams = Record<string, unknown>;

/**
 * Adapty's legacy v1 server API (contract §1.4, §2.12, §3.5): the profile is named in the path.
 * A second face over the same commands, events and read model as v2; only the shapes differ.
 */
@ApiTags('v1 (legacy)')
@ApiSecurity('Api-Key')
@ApiKeyedErrors()
@ApiExtraModels(...V1_RESPONSE_MODELS)
@Controller('api/v1/sdk')
export class V1ProfileController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Get('profiles/:id')
  @ApiOperation({ summary: 'A profile by profile id or customer user id' })
  @ApiProfileIdParams()
  @ApiQuery({ name: 'extended', type: String, required: false, description: '1: add created_at and the built-in attributes' })
  @ApiOkResponse({ type: V1ProfileResponseDto })
  @ApiErrors(400, 404)
  async get(@AppId() appId: string, @Param('id') id: string, @Query() query: QueryParams) {
    const q = new GetV1ProfileQuery(appId, v1ProfileIdOf(id, query), isExtended(query));
    return { data: unwrap(await this.queries.execute<GetV1ProfileQuery, ProfileV1Result>(q)) };
  }

  @Post('profiles')
  @HttpCode(200)
  @ApiOperation({ summary: 'Create a profile for a customer user id (idempotent)' })
  @ApiOkResponse({ type: V1ProfileResponseDto })
  @ApiErrors(400, 413, 415)
  async create(@AppId() appId: string, @Body() body: V1CreateProfileRequestDto) {
    const { attributes, customAttributes } = v1ProfileInput(body);
    const cmd = new CreateProfileCommand({ appId, customerUserId: body.customer_user_id }, attributes, customAttributes, 'api.v1.create_profile');
    const created = unwrap(await this.commands.execute<CreateProfileCommand, ProfileResult>(cmd));
    return this.view(appId, created.profile_id);
  }

  @Patch('profiles/:id')
  @ApiOperation({ summary: 'Update attributes; custom attributes are a dictionary (null deletes a key)' })
  @ApiProfileIdParams()
  @ApiOkResponse({ type: V1ProfileResponseDto })
  @ApiErrors(400, 404, 413, 415)
  async update(@AppId() appId: string, @Param('id') id: string, @Query() query: QueryParams, @Body() body: V1ProfileRequestDto) {
    const { attributes, customAttributes } = v1ProfileInput(body);
    const ref = await this.resolve(appId, v1ProfileIdOf(id, query));
    const updated = unwrap(
      await this.commands.execute<UpdateProfileCommand, ProfileResult>(
        new UpdateProfileCommand(ref, attributes, customAttributes, 'api.v1.update_profile'),
      ),
    );
    return this.view(appId, updated.profile_id);
  }

  // Documented without a trailing slash; the router ignores trailing slashes, so both work.
  @Delete('profiles/:id/delete')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a profile: its events are erased' })
  @ApiProfileIdParams()
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiErrors(400, 404)
  async remove(@AppId() appId: string, @Param('id') id: string, @Query() query: QueryParams): Promise<void> {
    const ref = await this.resolve(appId, v1ProfileIdOf(id, query));
    unwrap(await this.commands.execute<DeleteProfileCommand, null | DomainError>(new DeleteProfileCommand(ref, 'api.v1.delete_profile')));
  }

  @Post('profiles/:id/paid-access-levels/:access_level/grant')
  @HttpCode(200)
  @ApiOperation({ summary: 'Grant an access level: is_lifetime, else expires_at, else duration_days (a transaction is recorded when vendor ids and store are given)' })
  @ApiProfileIdParams()
  @ApiOkResponse({ type: V1ProfileResponseDto })
  @ApiErrors(400, 404, 413, 415)
  async grant(
    @AppId() appId: string,
    @Param('id') id: string,
    @Param('access_level') accessLevel: string,
    @Query() query: QueryParams,
    @Body() body: V1GrantRequestDto,
  ) {
    const grant = v1GrantInput(accessLevel, body);
    const ref = await this.resolve(appId, v1ProfileIdOf(id, query));
    return { data: unwrap(await this.commands.execute<V1GrantAccessCommand, ProfileV1Result>(new V1GrantAccessCommand(ref, grant))) };
  }

  @Post('profiles/:id/paid-access-levels/:access_level/revoke')
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke an access level now (is_refund: the transaction is refunded)' })
  @ApiProfileIdParams()
  @ApiOkResponse({ type: V1ProfileResponseDto })
  @ApiErrors(400, 404, 413, 415)
  async revoke(
    @AppId() appId: string,
    @Param('id') id: string,
    @Param('access_level') accessLevel: string,
    @Query() query: QueryParams,
    @Body() body: V1RevokeRequestDto,
  ) {
    const ref = await this.resolve(appId, v1ProfileIdOf(id, query));
    const cmd = new V1RevokeAccessCommand(ref, accessLevel, body.is_refund);
    return { data: unwrap(await this.commands.execute<V1RevokeAccessCommand, ProfileV1Result>(cmd)) };
  }

  private resolve(appId: string, id: V1ProfileId): Promise<ProfileRef> {
    return this.queries.execute<ResolveV1ProfileQuery, ProfileRef>(new ResolveV1ProfileQuery(appId, id));
  }

  /** A write answers with the profile as a plain (not extended) v1 GET shows it. */
  private async view(appId: string, profileId: string) {
    const q = new GetV1ProfileQuery(appId, { value: profileId, customerUserIdOnly: false }, false);
    return { data: unwrap(await this.queries.execute<GetV1ProfileQuery, ProfileV1Result>(q)) };
  }
}
