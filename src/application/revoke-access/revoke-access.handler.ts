import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { revokeAccess } from '../../domain/profile/profile.decide';
import { Ledger } from '../shared/ledger';
import { LEDGER } from '../shared/ledger.token';
import { ProfileResult, profileResult } from '../shared/profile-result';
import { RevokeAccessCommand } from './revoke-access.command';

@CommandHandler(RevokeAccessCommand)
export class RevokeAccessHandler implements ICommandHandler<RevokeAccessCommand, ProfileResult> {
  constructor(@Inject(LEDGER) private readonly ledger: Ledger) {}

  async execute(cmd: RevokeAccessCommand): Promise<ProfileResult> {
    const revoke = { access_level_id: cmd.accessLevelId, revoke_at: cmd.revokeAt };
    const executed = await this.ledger.decideOnPurchase(cmd.ref, cmd.source, (s, catalogue, ctx) => revokeAccess(s, revoke, catalogue, ctx));
    return profileResult(this.ledger, cmd.ref.appId, executed);
  }

}
