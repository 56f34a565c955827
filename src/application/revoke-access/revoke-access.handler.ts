import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { revokeAccess } from '../../domain/profile/profile.decide';
import { decideV1Revoke } from '../../domain/profile/v1-revoke';
import { CommandContext } from '../shared/command-context';
import { ProfileDecisions } from '../shared/profile-decisions';
import { ProfileResult, profileResult } from '../shared/profile-result';
import { RevokeAccessCommand } from './revoke-access.command';

@CommandHandler(RevokeAccessCommand)
export class RevokeAccessHandler implements ICommandHandler<RevokeAccessCommand, ProfileResult> {
  constructor(
    private readonly decisions: ProfileDecisions,
    private readonly context: CommandContext,
  ) {}

  async execute({ ref, accessLevelId, terms, source }: RevokeAccessCommand): Promise<ProfileResult> {
    const executed = await this.decisions.onPurchase(ref, source, (s, catalogue, ctx) =>
      terms.kind === 'at'
        ? revokeAccess(s, { access_level_id: accessLevelId, revoke_at: terms.revoke_at }, catalogue, ctx)
        : decideV1Revoke(s, { access_level_id: accessLevelId, is_refund: terms.is_refund }, catalogue, ctx),
    );
    return profileResult(ref.appId, executed, this.context.clock.now().getTime());
  }
}
