import { CatalogueState } from '../../domain/catalogue/catalogue';
import { DecideContext, Decision } from '../../domain/profile/profile.decide';
import { profileStreamId } from '../../domain/profile/profile.events';
import { ProfileState } from '../../domain/profile/profile.state';
import { DomainError, profileNotFound } from '../../domain/shared/domain-error';
import { Claim, Ownership } from '../../domain/stores/store-ownership';
import { CommandContext } from './command-context';
import { EventMetadata, EventSourcedRepository, TypedEvent } from './event-sourced-repository';
import { ProfileDecisions } from './profile-decisions';
import { ProfileRef } from './profile-ref';
import { CatalogueRepository, ProfileRepository } from './repositories';

export interface PurchaseClaimed {
  profile_id: string;
  previous_profile_id: string | null;
  transferred: boolean;
  /** How many of the store's words the owner recorded. */
  applied: number;
}

/** What one store says about its purchases' streams and how a profile follows them. */
export interface StorePurchaseRules<P extends Ownership, E extends TypedEvent, S, SE extends TypedEvent> {
  purchaseStreamId(appId: string, key: string): string;
  setupStreamId(appId: string): string;
  /** The purchase as a claim leaves it (a purchase first named by a link has no records yet: it gets its app and key). */
  named(state: P, appId: string, key: string): P;
  claim(state: P, input: { appId: string; key: string; claim: Claim; transfer: boolean }, now: Date): E[] | DomainError;
  erased(key: string): DomainError;
  release(profile: ProfileState, purchase: P, toProfileId: string, ctx: DecideContext): Decision;
  sync(profile: ProfileState, purchase: P, catalogue: CatalogueState, ctx: DecideContext, arrived: string | null): Decision;
  unpark(setup: S, key: string, profileId: string, now: Date): SE[];
}

/**
 * Who owns a store purchase, and keeping the owner's profile in step with it, for every store alike.
 * The purchase's stream decides ownership; every change of it is followed by the same settling step
 * (the former owners let it go, the owner records what it has not yet), which is idempotent, so a
 * step cut short by a crash is completed by the store's retry, the next word or a link.
 */
export class StorePurchaseOwners<P extends Ownership, E extends TypedEvent, S, SE extends TypedEvent> {
  constructor(
    readonly purchases: EventSourcedRepository<P, E>,
    readonly setups: EventSourcedRepository<S, SE>,
    private readonly profiles: ProfileRepository,
    private readonly catalogues: CatalogueRepository,
    private readonly decisions: ProfileDecisions,
    private readonly context: CommandContext,
    private readonly rules: StorePurchaseRules<P, E, S, SE>,
  ) {}

  /** A profile claims a purchase (a link, a validation call), moving it from another profile only when asked. */
  async claim(appId: string, key: string, ref: ProfileRef, transfer: boolean, source: string): Promise<PurchaseClaimed | DomainError> {
    const owned = await this.decisions.owned(ref);
    if (!owned) return profileNotFound();
    const profileId = owned.profileId;
    const meta = this.context.metadata({ appId, source });
    const now = this.context.clock.now();
    const claim = { profileId, via: transfer ? ('transfer' as const) : ('link' as const) };
    const result = await this.purchases.execute(this.rules.purchaseStreamId(appId, key), (s) => this.rules.claim(s, { appId, key, claim, transfer }, now), meta);
    if (!result.ok) return 'deleted' in result ? this.rules.erased(key) : result.error;
    const purchase = this.rules.named(result.state, appId, key);
    const applied = await this.settle(appId, purchase, meta, null);
    await this.unpark(appId, key, profileId, meta);
    const previous = result.before.owner !== profileId ? result.before.owner : null;
    return { profile_id: profileId, previous_profile_id: previous, transferred: previous !== null, applied };
  }

  /** Erasure: the purchases a deleted profile owned go with it (their evidence names the customer). */
  async forget(appId: string, profileId: string, keys: Iterable<string>): Promise<void> {
    for (const key of new Set(keys)) {
      const streamId = this.rules.purchaseStreamId(appId, key);
      const { state } = await this.purchases.load(streamId);
      if (state.owner === profileId) await this.purchases.erase(streamId);
    }
  }

  /** Former owners let the purchase go; the owner records what it has not. Answers how many words the owner recorded. */
  async settle(appId: string, purchase: P, meta: EventMetadata, arrived: string | null): Promise<number> {
    const owner = purchase.owner!;
    const ctx = this.context.decide();
    for (const former of purchase.former_owners) {
      await this.profiles.execute(profileStreamId(former), (s) => (s.exists && s.app_id === appId ? this.rules.release(s, purchase, owner, ctx) : []), meta);
    }
    const catalogue = await this.catalogues.catalogue(appId);
    const result = await this.profiles.execute(profileStreamId(owner), (s) => (s.exists && s.app_id === appId ? this.rules.sync(s, purchase, catalogue, ctx, arrived) : []), meta);
    return result.ok ? result.state.store_notifications.size - result.before.store_notifications.size : 0;
  }

  /** The purchase has an owner: it no longer waits in the app's list. */
  async unpark(appId: string, key: string, profileId: string, meta: EventMetadata): Promise<void> {
    const now = this.context.clock.now();
    await this.setups.execute(this.rules.setupStreamId(appId), (s) => this.rules.unpark(s, key, profileId, now), meta);
  }
}
