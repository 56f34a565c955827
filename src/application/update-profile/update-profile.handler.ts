import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { updateAttributes } from '../../domain/profile/profile.decide';
import { Ledger } from '../shared/ledger';
import { LEDGER } from '../shared/ledger.token';
import { ProfileResult, profileResult } from '../shared/profile-result';
import { UpdateProfileCommand } from './update-profile.command';

@CommandHandler(UpdateProfileCommand)
export class UpdateProfileHandler implements ICommandHandler<UpdateProfileCommand, ProfileResult> {
  constructor(@Inject(LEDGER) private readonly ledger: Ledger) {}

  async execute(cmd: UpdateProfileCommand): Promise<ProfileResult> {
    const executed = await this.ledger.decideOnProfile(cmd.ref, { appId: cmd.ref.appId, source: cmd.source }, (s) =>
      updateAttributes(s, { attributes: cmd.attributes, custom_attributes: cmd.customAttributes }),
    );
    return profileResult(this.ledger, cmd.ref.appId, executed);
  }
}
