import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { grantAccess, purchaseProfileNotFound } from '../../domain/profile/profile.decide';
import { Ledger } from '../shared/ledger';
import { LEDGER } from '../shared/ledger.token';
import { ProfileResult, profileResult } from '../shared/profile-result';
import { GrantAccessCommand } from './grant-access.command';

@CommandHandler(GrantAccessCommand)
export class GrantAccessHandler implements ICommandHandler<GrantAccessCommand, ProfileResult> {
  constructor(@Inject(LEDGER) private readonly ledger: Ledger) {}

  async execute(cmd: GrantAccessCommand): Promise<ProfileResult> {
    const catalogue = await this.ledger.catalogue(cmd.ref.appId);
    const executed = await this.ledger.decideOnProfile(
      cmd.ref,
      { appId: cmd.ref.appId, source: cmd.source },
      (s) =>
        grantAccess(
          s,
          { access_level_id: cmd.accessLevelId, starts_at: cmd.startsAt, expires_at: cmd.expiresAt },
          catalogue,
          this.ledger.context(),
        ),
      purchaseProfileNotFound,
    );
    return profileResult(this.ledger, cmd.ref.appId, executed);
  }
}
