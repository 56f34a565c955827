import { Body, Controller, Delete, Get, HttpCode, Patch, Post } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { CreateProfileCommand } from '../../application/create-profile/create-profile.command';
import { DeleteProfileCommand } from '../../application/delete-profile/delete-profile.command';
import { GetProfileQuery } from '../../application/get-profile/get-profile.query';
import { ProfileRef } from '../../application/shared/profile-ref';
import { ProfileResult } from '../../application/shared/profile-result';
import { UpdateProfileCommand } from '../../application/update-profile/update-profile.command';
import { DomainError } from '../../domain/shared/domain-error';
import { unwrap } from '../errors/domain-error.exception';
import { profileInput } from './profile-input';
import { Profile } from './profile-ref.decorator';
import { ProfileRequestDto } from './profile-request.dto';

@Controller('api/v2/server-side-api/profile')
export class ProfileController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Post()
  @HttpCode(200)
  async create(@Profile() ref: ProfileRef, @Body() body: ProfileRequestDto) {
    const { attributes, customAttributes } = profileInput(body);
    return { data: unwrap(await this.commands.execute<CreateProfileCommand, ProfileResult>(new CreateProfileCommand(ref, attributes, customAttributes))) };
  }

  @Get()
  async get(@Profile() ref: ProfileRef) {
    return { data: unwrap(await this.queries.execute<GetProfileQuery, ProfileResult>(new GetProfileQuery(ref))) };
  }

  @Patch()
  async update(@Profile() ref: ProfileRef, @Body() body: ProfileRequestDto) {
    const { attributes, customAttributes } = profileInput(body);
    return { data: unwrap(await this.commands.execute<UpdateProfileCommand, ProfileResult>(new UpdateProfileCommand(ref, attributes, customAttributes))) };
  }

  @Delete()
  @HttpCode(204)
  async remove(@Profile() ref: ProfileRef): Promise<void> {
    unwrap(await this.commands.execute<DeleteProfileCommand, null | DomainError>(new DeleteProfileCommand(ref)));
  }
}
