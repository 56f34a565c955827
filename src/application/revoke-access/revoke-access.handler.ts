import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { purchaseProfileNotFound, revokeAccess } from '../../domain/profile/profile.decide';
import { Ledger } from '../shared/ledger';
import { LEDGER } from '../shared/ledger.token';
import { ProfileResult, profileResult } from '../shared/profile-result';
import { RevokeAccessCommand } from './revoke-access.command';

@CommandHandler(RevokeAccessCommand)
export class RevokeAccessHandler implements ICommandHandler<RevokeAccessCommand, ProfileResult> {
  constructor(@Inject(LEDGER) private readonly ledger: Ledger) {}

  async execute(cmd: RevokeAccessCommand): Promise<ProfileResult> {
    const catalogue = await this.ledger.catalogue(cmd.ref.appId);
    const executed = await this.ledger.decideOnProfile(
      cmd.ref,
      { appId: cmd.ref.appId, source: cmd.source },
      (s) => revokeAccess(s, { access_level_id: cmd.accessLevelId, revoke_at: cmd.revokeAt }, catalogue, this.ledger.context()),
      purchaseProfileNotFound,
    );
    return profileResult(this.ledger, cmd.ref.appId, executed);
  }
}
