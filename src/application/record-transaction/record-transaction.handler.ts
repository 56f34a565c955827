import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { recordTransaction } from '../../domain/profile/profile.decide';
import { CommandContext } from '../shared/command-context';
import { ProfileDecisions } from '../shared/profile-decisions';
import { ProfileResult, profileResult } from '../shared/profile-result';
import { RecordTransactionCommand } from './record-transaction.command';

@CommandHandler(RecordTransactionCommand)
export class RecordTransactionHandler implements ICommandHandler<RecordTransactionCommand, ProfileResult> {
  constructor(
    private readonly decisions: ProfileDecisions,
    private readonly context: CommandContext,
  ) {}

  async execute(cmd: RecordTransactionCommand): Promise<ProfileResult> {
    const executed = await this.decisions.onPurchase(cmd.ref, cmd.source, (s, catalogue, ctx) => recordTransaction(s, cmd.transaction, catalogue, ctx));
    return profileResult(cmd.ref.appId, executed, this.context.clock.now().getTime());
  }
}
