import { Logger } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { APP_STORE } from '../../domain/app-store/app-store-sync';
import { recordTransaction } from '../../domain/profile/profile.decide';
import { DomainError } from '../../domain/shared/domain-error';
import { toReadModel } from '../../projections/profiles/profile-view';
import { AppStoreChains } from '../app-store/app-store-chains';
import { CommandContext } from '../shared/command-context';
import { ProfileDecisions } from '../shared/profile-decisions';
import { decidedState, ProfileResult, profileResult } from '../shared/profile-result';
import { RecordTransactionCommand } from './record-transaction.command';

const logger = new Logger('AppStore');

@CommandHandler(RecordTransactionCommand)
export class RecordTransactionHandler implements ICommandHandler<RecordTransactionCommand, ProfileResult> {
  constructor(
    private readonly decisions: ProfileDecisions,
    private readonly context: CommandContext,
    private readonly appStoreChains: AppStoreChains,
  ) {}

  async execute(cmd: RecordTransactionCommand): Promise<ProfileResult> {
    const { appId } = cmd.ref;
    const t = cmd.transaction;
    const executed = await this.decisions.onPurchase(cmd.ref, cmd.source, (s, catalogue, ctx) => recordTransaction(s, t, catalogue, ctx));
    const state = decidedState(appId, executed);
    // Only a transaction new to the profile can claim its chain (an update of one it holds was its chance already):
    // re-sending a transaction costs no read of the chain.
    const isNew = !(executed instanceof DomainError) && executed.ok && !executed.before.transactions.has(t.store_transaction_id);
    if (state instanceof DomainError || t.store !== APP_STORE || !isNew || !state.transactions.has(t.store_transaction_id)) {
      return profileResult(appId, executed, this.context.clock.now().getTime());
    }
    // The profile that records an App Store transaction owns its chain if nobody does; notifications that waited for it apply now.
    let claimed = false;
    try {
      claimed = await this.appStoreChains.claimFromTransaction(appId, state.profile_id, t.store_original_transaction_id, cmd.source);
    } catch (error) {
      logger.error(`claiming App Store transaction ${t.store_original_transaction_id}: ${error instanceof Error ? error.message : String(error)}`);
    }
    const now = this.context.clock.now().getTime();
    if (!claimed) return profileResult(appId, executed, now);
    const current = await this.decisions.owned({ appId, profileId: state.profile_id });
    return current ? { model: toReadModel(current.state), at: now } : profileResult(appId, executed, now);
  }
}
