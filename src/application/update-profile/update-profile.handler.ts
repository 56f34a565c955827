import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { updateAttributes } from '../../domain/profile/profile.decide';
import { CommandContext } from '../shared/command-context';
import { ProfileDecisions } from '../shared/profile-decisions';
import { ProfileResult, profileResult } from '../shared/profile-result';
import { UpdateProfileCommand } from './update-profile.command';

@CommandHandler(UpdateProfileCommand)
export class UpdateProfileHandler implements ICommandHandler<UpdateProfileCommand, ProfileResult> {
  constructor(
    private readonly decisions: ProfileDecisions,
    private readonly context: CommandContext,
  ) {}

  async execute(cmd: UpdateProfileCommand): Promise<ProfileResult> {
    const executed = await this.decisions.onProfile(cmd.ref, { appId: cmd.ref.appId, source: cmd.source }, (s) =>
      updateAttributes(s, { attributes: cmd.attributes, custom_attributes: cmd.customAttributes }),
    );
    return profileResult(cmd.ref.appId, executed, this.context.clock.now().getTime());
  }
}
