import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { purchaseProfileNotFound, recordTransaction } from '../../domain/profile/profile.decide';
import { Ledger } from '../shared/ledger';
import { LEDGER } from '../shared/ledger.token';
import { ProfileResult, profileResult } from '../shared/profile-result';
import { RecordTransactionCommand } from './record-transaction.command';

@CommandHandler(RecordTransactionCommand)
export class RecordTransactionHandler implements ICommandHandler<RecordTransactionCommand, ProfileResult> {
  constructor(@Inject(LEDGER) private readonly ledger: Ledger) {}

  async execute(cmd: RecordTransactionCommand): Promise<ProfileResult> {
    const catalogue = await this.ledger.catalogue(cmd.ref.appId);
    const executed = await this.ledger.decideOnProfile(
      cmd.ref,
      { appId: cmd.ref.appId, source: cmd.source },
      (s) => recordTransaction(s, cmd.transaction, catalogue, this.ledger.context()),
      purchaseProfileNotFound,
    );
    return profileResult(this.ledger, cmd.ref.appId, executed);
  }
}
