import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { grantAccess } from '../../domain/profile/profile.decide';
import { decideV1Grant } from '../../domain/profile/v1-grant';
import { CommandContext } from '../shared/command-context';
import { ProfileDecisions } from '../shared/profile-decisions';
import { ProfileResult, profileResult } from '../shared/profile-result';
import { GrantAccessCommand } from './grant-access.command';

@CommandHandler(GrantAccessCommand)
export class GrantAccessHandler implements ICommandHandler<GrantAccessCommand, ProfileResult> {
  constructor(
    private readonly decisions: ProfileDecisions,
    private readonly context: CommandContext,
  ) {}

  async execute({ ref, accessLevelId, terms, source }: GrantAccessCommand): Promise<ProfileResult> {
    const executed = await this.decisions.onPurchase(ref, source, (s, catalogue, ctx) =>
      terms.kind === 'window'
        ? grantAccess(s, { access_level_id: accessLevelId, starts_at: terms.starts_at, expires_at: terms.expires_at }, catalogue, ctx)
        : decideV1Grant(s, { ...terms, access_level_id: accessLevelId }, catalogue, ctx),
    );
    return profileResult(ref.appId, executed, this.context.clock.now().getTime());
  }
}
