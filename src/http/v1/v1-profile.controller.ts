import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { CreateProfileCommand } from '../../application/create-profile/create-profile.command';
import { DeleteProfileCommand } from '../../application/delete-profile/delete-profile.command';
import { GetProfileQuery } from '../../application/get-profile/get-profile.query';
import { GrantAccessCommand } from '../../application/grant-access/grant-access.command';
import { RevokeAccessCommand } from '../../application/revoke-access/revoke-access.command';
import { ProfileRef } from '../../application/shared/profile-ref';
import { ProfileResult, ProfileSnapshot } from '../../application/shared/profile-result';
import { UpdateProfileCommand } from '../../application/update-profile/update-profile.command';
import { ResolveV1ProfileQuery, V1ProfileId } from '../../application/v1/resolve-v1-profile.query';
import { DomainError } from '../../domain/shared/domain-error';
import { isUuid } from '../../domain/shared/uuid';
import { unwrap } from '../errors/domain-error.exception';
import { AppId } from '../profile/profile-ref.decorator';
import { renderProfileV1 } from './profile-v1.presenter';
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

/** The v1 answer to a write: the profile as a plain (not extended) v1 GET now shows it. */
const v1View = (result: ProfileResult, extended = false) => {
  const { model, at }: ProfileSnapshot = unwrap(result);
  return { data: renderProfileV1(model, at, { extended }) };
};

/**
 * Adapty's legacy v1 server API (contract §1.4, §2.12, §3.5): the profile is named in the path.
 * A second face over the same commands, queries, events and read model as v2; only the shapes differ.
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
    const path = v1ProfileIdOf(id, query);
    const read = (ref: ProfileRef) => this.queries.execute<GetProfileQuery, ProfileResult>(new GetProfileQuery(ref));
    // An id shaped like a profile id is tried as one first, then as a customer user id.
    let result: ProfileResult | null = null;
    if (!path.customerUserIdOnly && isUuid(path.value)) result = await read({ appId, profileId: path.value.toLowerCase() });
    if (result === null || (result instanceof DomainError && result.code === 'profile_does_not_exist')) result = await read({ appId, customerUserId: path.value });
    return v1View(result, isExtended(query));
  }

  @Post('profiles')
  @HttpCode(200)
  @ApiOperation({ summary: 'Create a profile for a customer user id (idempotent)' })
  @ApiOkResponse({ type: V1ProfileResponseDto })
  @ApiErrors(400, 413, 415)
  async create(@AppId() appId: string, @Body() body: V1CreateProfileRequestDto) {
    const { attributes, customAttributes } = v1ProfileInput(body);
    const cmd = new CreateProfileCommand({ appId, customerUserId: body.customer_user_id }, attributes, customAttributes, 'api.v1.create_profile');
    return v1View(await this.commands.execute<CreateProfileCommand, ProfileResult>(cmd));
  }

  @Patch('profiles/:id')
  @ApiOperation({ summary: 'Update attributes; custom attributes are a dictionary (null deletes a key)' })
  @ApiProfileIdParams()
  @ApiOkResponse({ type: V1ProfileResponseDto })
  @ApiErrors(400, 404, 413, 415)
  async update(@AppId() appId: string, @Param('id') id: string, @Query() query: QueryParams, @Body() body: V1ProfileRequestDto) {
    const { attributes, customAttributes } = v1ProfileInput(body);
    const ref = await this.resolve(appId, v1ProfileIdOf(id, query));
    return v1View(await this.commands.execute<UpdateProfileCommand, ProfileResult>(new UpdateProfileCommand(ref, attributes, customAttributes, 'api.v1.update_profile')));
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
    const { access_level_id: _level, ...terms } = v1GrantInput(accessLevel, body);
    const ref = await this.resolve(appId, v1ProfileIdOf(id, query));
    const cmd = new GrantAccessCommand(ref, accessLevel, { kind: 'legacy', ...terms }, 'api.v1.grant_paid_access_level');
    return v1View(await this.commands.execute<GrantAccessCommand, ProfileResult>(cmd));
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
    const cmd = new RevokeAccessCommand(ref, accessLevel, { kind: 'legacy', is_refund: body.is_refund }, 'api.v1.revoke_paid_access_level');
    return v1View(await this.commands.execute<RevokeAccessCommand, ProfileResult>(cmd));
  }

  private resolve(appId: string, id: V1ProfileId): Promise<ProfileRef> {
    return this.queries.execute<ResolveV1ProfileQuery, ProfileRef>(new ResolveV1ProfileQuery(appId, id));
  }
}
