import { appStoreChainStreamId, AppStoreChainState, claimChain, claimIfUnowned, receiveNotification } from '../../domain/app-store/app-store-chain';
import { appStoreSetupStreamId, parkNotification, unparkChain } from '../../domain/app-store/app-store-setup';
import { releaseAppStoreChain, syncAppStoreChain } from '../../domain/app-store/app-store-sync';
import { AppleNotification } from '../../domain/app-store/apple-notification';
import { profileStreamId } from '../../domain/profile/profile.events';
import { DomainError, profileNotFound } from '../../domain/shared/domain-error';
import { CommandContext } from '../shared/command-context';
import { EventMetadata } from '../shared/event-sourced-repository';
import { ProfileDecisions } from '../shared/profile-decisions';
import { ProfileRef } from '../shared/profile-ref';
import { CatalogueRepository, ProfileRepository } from '../shared/repositories';
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

/**
 * Who owns which App Store chain, and keeping the owner's profile in step with the chain. The chain
 * stream decides ownership; every change of it is followed by the same settling step (the former
 * owners let the chain go, the owner records what it has not yet), which is idempotent, so a step
 * cut short by a crash is completed by the next notification, retry or link of that chain.
 */
export class AppStoreChains {
  constructor(
    private readonly chains: AppStoreChainRepository,
    private readonly setups: AppStoreSetupRepository,
    private readonly profiles: ProfileRepository,
    private readonly catalogues: CatalogueRepository,
    private readonly decisions: ProfileDecisions,
    private readonly context: CommandContext,
  ) {}

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
    await this.settle(appId, chain, meta, n.notification_uuid);
    if (result.before.owner === null) await this.unpark(appId, chain, meta);
    return duplicate ? 'duplicate' : 'accepted';
  }

  /** POST …/links: a profile claims a chain (moving it from another profile only when asked). */
  async link(appId: string, originalId: string, ref: ProfileRef, transfer: boolean, source: string): Promise<LinkResult | DomainError> {
    const owned = await this.decisions.owned(ref);
    if (!owned) return profileNotFound();
    const profileId = owned.profileId;
    const meta = this.context.metadata({ appId, source });
    const now = this.context.clock.now();
    const claim = { profileId, via: transfer ? ('transfer' as const) : ('link' as const) };
    const result = await this.chains.execute(appStoreChainStreamId(appId, originalId), (s) => claimChain(s, { appId, originalTransactionId: originalId, claim, transfer }, now), meta);
    if (!result.ok) return 'deleted' in result ? chainErased(originalId) : result.error;
    const chain = { ...result.state, original_transaction_id: originalId, app_id: appId };
    const applied = await this.settle(appId, chain, meta, null);
    await this.unpark(appId, chain, meta);
    const previous = result.before.owner !== profileId ? result.before.owner : null;
    return { original_transaction_id: originalId, profile_id: profileId, previous_profile_id: previous, transferred: previous !== null, notifications_applied: applied };
  }

  /** A set-transaction with store app_store: the profile owns the chain if nobody does yet, and gets what waited for it. */
  async claimFromTransaction(appId: string, profileId: string, originalId: string, source: string): Promise<boolean> {
    const meta = this.context.metadata({ appId, source });
    const now = this.context.clock.now();
    const streamId = appStoreChainStreamId(appId, originalId);
    const result = await this.chains.execute(streamId, (s) => claimIfUnowned(s, { appId, originalTransactionId: originalId, profileId }, now), meta);
    if (!result.ok || result.appended === 0) return false;
    const chain = { ...result.state, original_transaction_id: originalId, app_id: appId };
    const applied = await this.settle(appId, chain, meta, null);
    await this.unpark(appId, chain, meta);
    return applied > 0;
  }

  /** Erasure: the chains a deleted profile owned go with it (their evidence names the customer). */
  async forget(appId: string, profileId: string, originalIds: Iterable<string>): Promise<void> {
    for (const originalId of new Set(originalIds)) {
      const streamId = appStoreChainStreamId(appId, originalId);
      const { state } = await this.chains.load(streamId);
      if (state.owner === profileId) await this.chains.erase(streamId);
    }
  }

  /** Former owners let the chain go; the owner records what it has not. Answers how many notifications the owner recorded. */
  private async settle(appId: string, chain: AppStoreChainState, meta: EventMetadata, arrived: string | null): Promise<number> {
    const owner = chain.owner!;
    const originalId = chain.original_transaction_id;
    const ctx = this.context.decide();
    for (const former of chain.former_owners) {
      await this.profiles.execute(profileStreamId(former), (s) => (s.exists && s.app_id === appId ? releaseAppStoreChain(s, originalId, owner, ctx) : []), meta);
    }
    const catalogue = await this.catalogues.catalogue(appId);
    const result = await this.profiles.execute(
      profileStreamId(owner),
      (s) => (s.exists && s.app_id === appId ? syncAppStoreChain(s, chain, catalogue, ctx, arrived) : []),
      meta,
    );
    return result.ok ? result.state.store_notifications.size - result.before.store_notifications.size : 0;
  }

  private async unpark(appId: string, chain: AppStoreChainState, meta: EventMetadata): Promise<void> {
    const now = this.context.clock.now();
    await this.setups.execute(appStoreSetupStreamId(appId), (s) => unparkChain(s, chain.original_transaction_id, chain.owner!, now), meta);
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
