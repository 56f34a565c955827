import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { grantAccess } from '../../domain/profile/profile.decide';
import { Ledger } from '../shared/ledger';
import { LEDGER } from '../shared/ledger.token';
import { ProfileResult, profileResult } from '../shared/profile-result';
import { GrantAccessCommand } from './grant-access.command';

@CommandHandler(GrantAccessCommand)
export class GrantAccessHandler implements ICommandHandler<GrantAccessCommand, ProfileResult> {
  constructor(@Inject(LEDGER) private readonly ledger: Ledger) {}

  async execute(cmd: GrantAccessCommand): Promise<ProfileResult> {
    const grant = { access_level_id: cmd.accessLevelId, starts_at: cmd.startsAt, expires_at: cmd.expiresAt };
    const executed = await this.ledger.decideOnPurchase(cmd.ref, cmd.source, (s, catalogue, ctx) => grantAccess(s, grant, catalogue, ctx));
    return profileResult(this.ledger, cmd.ref.appId, executed);
  }

}
