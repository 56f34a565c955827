import { AppStoreChainEvent, appStoreChainStreamId, AppStoreChainState, claimChain, claimIfUnowned, receiveNotification } from '../../domain/app-store/app-store-chain';
import { AppStoreSetupEvent, appStoreSetupStreamId, AppStoreSetupState, parkNotification, unparkChain } from '../../domain/app-store/app-store-setup';
import { releaseAppStoreChain, syncAppStoreChain } from '../../domain/app-store/app-store-sync';
import { AppleNotification } from '../../domain/app-store/apple-notification';
import { DomainError } from '../../domain/shared/domain-error';
import { CommandContext } from '../shared/command-context';
import { EventMetadata } from '../shared/event-sourced-repository';
import { ProfileDecisions } from '../shared/profile-decisions';
import { ProfileRef } from '../shared/profile-ref';
import { CatalogueRepository, ProfileRepository } from '../shared/repositories';
import { StorePurchaseOwners, StorePurchaseRules } from '../shared/store-purchase-owners';
import { AppStoreChainRepository, AppStoreSetupRepository } from './app-store-repositories';

/** What became of a notification about a transaction. */
export type ChainOutcome = 'accepted' | 'duplicate' | 'unattributed' | 'erased';

export interface LinkResult {
  original_transaction_id: string;
  profile_id: string;
  previous_profile_id: string | null;
  transferred: boolean;
  notifications_applied: number;
}

export const chainErased = (originalId: string): DomainError =>
  new DomainError('store_transaction_erased', 'original_transaction_id', `Original transaction ${originalId} belonged to an erased profile; it cannot be claimed again.`);

/** How App Store chains are owned and followed (store-purchase-owners.ts). */
const RULES: StorePurchaseRules<AppStoreChainState, AppStoreChainEvent, AppStoreSetupState, AppStoreSetupEvent> = {
  purchaseStreamId: appStoreChainStreamId,
  setupStreamId: appStoreSetupStreamId,
  named: (state, appId, originalId) => ({ ...state, app_id: appId, original_transaction_id: originalId }),
  claim: (state, input, now) => claimChain(state, { appId: input.appId, originalTransactionId: input.key, claim: input.claim, transfer: input.transfer }, now),
  erased: (originalId) => chainErased(originalId),
  release: (profile, chain, to, ctx) => releaseAppStoreChain(profile, chain.original_transaction_id, to, ctx),
  sync: syncAppStoreChain,
  unpark: unparkChain,
};

/** App Store chains: their notifications and who owns them (store-purchase-owners.ts). */
export class AppStoreChains {
  private readonly owners: StorePurchaseOwners<AppStoreChainState, AppStoreChainEvent, AppStoreSetupState, AppStoreSetupEvent>;

  constructor(
    private readonly chains: AppStoreChainRepository,
    private readonly setups: AppStoreSetupRepository,
    profiles: ProfileRepository,
    catalogues: CatalogueRepository,
    private readonly decisions: ProfileDecisions,
    private readonly context: CommandContext,
  ) {
    this.owners = new StorePurchaseOwners(chains, setups, profiles, catalogues, decisions, context, RULES);
  }

  async receive(appId: string, n: AppleNotification, signedPayload: string, meta: EventMetadata): Promise<ChainOutcome> {
    const t = n.transaction!;
    const tokenOwner = typeof t.appAccountToken === 'string' ? await this.profileNamedBy(appId, t.appAccountToken) : null;
    const streamId = appStoreChainStreamId(appId, t.originalTransactionId);
    const now = this.context.clock.now();
    const result = await this.chains.execute(streamId, (s) => receiveNotification(s, { appId, notification: n, signedPayload, tokenOwner }, now), meta);
    if (!result.ok) {
      if ('deleted' in result) return 'erased';
      throw new Error(result.error.message);
    }
    const duplicate = result.before.notifications.has(n.notification_uuid);
    const chain = result.state;
    if (chain.owner === null) {
      await this.setups.execute(appStoreSetupStreamId(appId), (s) => parkNotification(s, n, now), meta);
      return duplicate ? 'duplicate' : 'unattributed';
    }
    await this.owners.settle(appId, chain, meta, n.notification_uuid);
    if (result.before.owner === null) await this.owners.unpark(appId, chain.original_transaction_id, chain.owner, meta);
    return duplicate ? 'duplicate' : 'accepted';
  }

  /** POST …/links: a profile claims a chain (moving it from another profile only when asked). */
  async link(appId: string, originalId: string, ref: ProfileRef, transfer: boolean, source: string): Promise<LinkResult | DomainError> {
    const claimed = await this.owners.claim(appId, originalId, ref, transfer, source);
    if (claimed instanceof DomainError) return claimed;
    const { applied, ...rest } = claimed;
    return { original_transaction_id: originalId, ...rest, notifications_applied: applied };
  }

  /** A set-transaction with store app_store: the profile owns the chain if nobody does yet, and gets what waited for it. */
  async claimFromTransaction(appId: string, profileId: string, originalId: string, source: string): Promise<boolean> {
    const meta = this.context.metadata({ appId, source });
    const now = this.context.clock.now();
    const streamId = appStoreChainStreamId(appId, originalId);
    const result = await this.chains.execute(streamId, (s) => claimIfUnowned(s, { appId, originalTransactionId: originalId, profileId }, now), meta);
    if (!result.ok || result.appended === 0) return false;
    const applied = await this.owners.settle(appId, RULES.named(result.state, appId, originalId), meta, null);
    await this.owners.unpark(appId, originalId, profileId, meta);
    return applied > 0;
  }

  forget(appId: string, profileId: string, originalIds: Iterable<string>): Promise<void> {
    return this.owners.forget(appId, profileId, originalIds);
  }

  /** appAccountToken names a profile by its id or its customer_user_id (a UUID's letters may come back in either case). */
  private async profileNamedBy(appId: string, token: string): Promise<string | null> {
    const refs: ProfileRef[] = [{ appId, profileId: token.toLowerCase() }, ...new Set([token, token.toLowerCase(), token.toUpperCase()])].map((r) =>
      typeof r === 'string' ? { appId, customerUserId: r } : r,
    );
    for (const ref of refs) {
      const owned = await this.decisions.owned(ref);
      if (owned) return owned.profileId;
    }
    return null;
  }
}
