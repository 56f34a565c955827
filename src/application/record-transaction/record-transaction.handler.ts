import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { recordTransaction } from '../../domain/profile/profile.decide';
import { Ledger } from '../shared/ledger';
import { LEDGER } from '../shared/ledger.token';
import { ProfileResult, profileResult } from '../shared/profile-result';
import { RecordTransactionCommand } from './record-transaction.command';

@CommandHandler(RecordTransactionCommand)
export class RecordTransactionHandler implements ICommandHandler<RecordTransactionCommand, ProfileResult> {
  constructor(@Inject(LEDGER) private readonly ledger: Ledger) {}

  async execute(cmd: RecordTransactionCommand): Promise<ProfileResult> {
    const executed = await this.ledger.decideOnPurchase(cmd.ref, cmd.source, (s, catalogue, ctx) =>
      recordTransaction(s, cmd.transaction, catalogue, ctx),
    );
    return profileResult(this.ledger, cmd.ref.appId, executed);
  }

}
