import { orderIdOf, baseOrderId, environmentOf, PlayRecord, accountIdOf } from '../../domain/play-store/play-record';
import { acknowledgePurchase, claimPurchase, PlayPurchaseState, playPurchaseStreamId, recordPurchase, replacePurchase } from '../../domain/play-store/play-purchase';
import { parkPurchase, playStoreSetupStreamId, unparkPurchase } from '../../domain/play-store/play-setup';
import { releasePlayPurchase, syncPlayPurchase } from '../../domain/play-store/play-sync';
import { profileStreamId } from '../../domain/profile/profile.events';
import { DomainError, profileNotFound } from '../../domain/shared/domain-error';
import { CommandContext } from '../shared/command-context';
import { EventMetadata } from '../shared/event-sourced-repository';
import { ProfileDecisions } from '../shared/profile-decisions';
import { ProfileRef } from '../shared/profile-ref';
import { CatalogueRepository, ProfileRepository } from '../shared/repositories';
import { PlayPurchaseRepository, PlayStoreSetupRepository } from './play-store-repositories';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type PurchaseOutcome = 'accepted' | 'duplicate' | 'unattributed' | 'erased';

export interface PlayLinkResult {
  purchase_token: string;
  profile_id: string;
  previous_profile_id: string | null;
  transferred: boolean;
  notifications_applied: number;
}

export const purchaseErased = (): DomainError =>
  new DomainError('store_transaction_erased', 'purchase_token', 'The purchase token belonged to an erased profile; it cannot be claimed again.');

/** The ledger chain of a token: the chain of the token it replaced, else its own first order, else the token itself. */
function chainIdOf(record: PlayRecord, token: string, replaced: PlayPurchaseState | null): string {
  if (replaced?.chain_id) return replaced.chain_id;
  const r = record.resource;
  const order =
    r?.kind === 'subscriptionsv2' ? orderIdOf(r.value) : r?.kind === 'product' ? r.value.orderId : r?.kind === 'voided_purchase' ? r.value.orderId : record.notification?.voidedPurchaseNotification?.orderId;
  return order ? baseOrderId(order) : token;
}

/**
 * Who owns which Google Play purchase token, and keeping the owner's profile in step with it. The
 * token's stream decides ownership; every change of it is followed by the same settling step (the
 * former owners let the chain go, the owner records what it has not yet), which is idempotent, so a
 * step cut short by a crash is completed by the next record, retry or link of that token.
 */
export class PlayStorePurchases {
  constructor(
    private readonly purchases: PlayPurchaseRepository,
    private readonly setups: PlayStoreSetupRepository,
    private readonly profiles: ProfileRepository,
    private readonly catalogues: CatalogueRepository,
    private readonly decisions: ProfileDecisions,
    private readonly context: CommandContext,
  ) {}

  async known(appId: string, token: string): Promise<PlayPurchaseState> {
    return (await this.purchases.load(playPurchaseStreamId(appId, token))).state;
  }

  async record(appId: string, token: string, record: PlayRecord, meta: EventMetadata): Promise<PurchaseOutcome> {
    const account = accountIdOf(record.resource);
    const accountOwner = account === null ? null : await this.profileNamedBy(appId, account);
    const linked = record.resource?.kind === 'subscriptionsv2' ? record.resource.value.linkedPurchaseToken || null : null;
    const replaced = linked === null ? null : await this.known(appId, linked);
    const chainId = chainIdOf(record, token, replaced);
    const now = this.context.clock.now();
    const result = await this.purchases.execute(
      playPurchaseStreamId(appId, token),
      (s) => recordPurchase(s, { appId, token, chainId, record, accountOwner, linkedOwner: replaced?.owner ?? null }, now),
      meta,
    );
    if (!result.ok) {
      if ('deleted' in result) return 'erased';
      throw new Error(result.error.message);
    }
    const duplicate = result.before.records.has(record.id);
    const purchase = result.state;
    let outcome: PurchaseOutcome = duplicate ? 'duplicate' : 'accepted';
    if (purchase.owner === null) {
      const park = { token, recordId: record.id, notificationType: record.notification_type, eventAt: record.event_time, productId: record.product_id, environment: environmentOf(record.resource) };
      await this.setups.execute(playStoreSetupStreamId(appId), (s) => parkPurchase(s, park, now), meta);
      outcome = duplicate ? 'duplicate' : 'unattributed';
    } else {
      await this.settle(appId, purchase, meta, record.id);
      if (result.before.owner === null) await this.unpark(appId, purchase, meta);
    }
    // The replaced token ends after the new one has started, so its owner's access never lapses in between.
    if (linked !== null && replaced !== null && replaced.records.size > 0) await this.replace(appId, linked, token, purchase, meta);
    return outcome;
  }

  /** POST …/links: a profile claims a token (moving it from another profile only when asked). */
  async link(appId: string, token: string, ref: ProfileRef, transfer: boolean, source: string): Promise<PlayLinkResult | DomainError> {
    const owned = await this.decisions.owned(ref);
    if (!owned) return profileNotFound();
    const profileId = owned.profileId;
    const meta = this.context.metadata({ appId, source });
    const now = this.context.clock.now();
    const claim = { profileId, via: transfer ? ('transfer' as const) : ('link' as const) };
    const result = await this.purchases.execute(playPurchaseStreamId(appId, token), (s) => claimPurchase(s, { appId, token, claim, transfer }, now), meta);
    if (!result.ok) return 'deleted' in result ? purchaseErased() : result.error;
    const purchase = { ...result.state, app_id: appId, purchase_token: token };
    const applied = await this.settle(appId, purchase, meta, null);
    await this.unpark(appId, purchase, meta);
    const previous = result.before.owner !== profileId ? result.before.owner : null;
    return { purchase_token: token, profile_id: profileId, previous_profile_id: previous, transferred: previous !== null, notifications_applied: applied };
  }

  /** The ledger acknowledged the purchase to Google: recorded, so a redelivered push does not acknowledge again. */
  async acknowledged(appId: string, token: string, meta: EventMetadata): Promise<void> {
    const now = this.context.clock.now();
    await this.purchases.execute(playPurchaseStreamId(appId, token), (s) => acknowledgePurchase(s, { appId, token }, now), meta);
  }

  /** Erasure: the tokens a deleted profile owned go with it (their evidence names the customer). */
  async forget(appId: string, profileId: string, tokens: Iterable<string>): Promise<void> {
    for (const token of new Set(tokens)) {
      const streamId = playPurchaseStreamId(appId, token);
      const { state } = await this.purchases.load(streamId);
      if (state.owner === profileId) await this.purchases.erase(streamId);
    }
  }

  /** The replaced token ends where the new one starts; its owner's copy follows. */
  private async replace(appId: string, token: string, by: string, successor: PlayPurchaseState, meta: EventMetadata): Promise<void> {
    const starts = [...successor.records.values()].map((r) => (r.resource?.kind === 'subscriptionsv2' ? Date.parse(r.resource.value.startTime ?? '') : Number.NaN)).filter((t) => !Number.isNaN(t));
    const at = new Date(starts.length > 0 ? Math.min(...starts) : Math.min(...[...successor.records.values()].map((r) => r.event_time)));
    const result = await this.purchases.execute(playPurchaseStreamId(appId, token), (s) => replacePurchase(s, { appId, token, by, at }), meta);
    if (result.ok && result.appended > 0 && result.state.owner !== null) await this.settle(appId, result.state, meta, null);
  }

  /** Former owners let the chain go; the owner records what it has not. Answers how many records the owner recorded. */
  private async settle(appId: string, purchase: PlayPurchaseState, meta: EventMetadata, arrived: string | null): Promise<number> {
    const owner = purchase.owner!;
    const ctx = this.context.decide();
    if (purchase.chain_id !== null) {
      for (const former of purchase.former_owners) {
        await this.profiles.execute(profileStreamId(former), (s) => (s.exists && s.app_id === appId ? releasePlayPurchase(s, purchase.chain_id!, owner, ctx) : []), meta);
      }
    }
    const catalogue = await this.catalogues.catalogue(appId);
    const result = await this.profiles.execute(profileStreamId(owner), (s) => (s.exists && s.app_id === appId ? syncPlayPurchase(s, purchase, catalogue, ctx, arrived) : []), meta);
    return result.ok ? result.state.store_notifications.size - result.before.store_notifications.size : 0;
  }

  private async unpark(appId: string, purchase: PlayPurchaseState, meta: EventMetadata): Promise<void> {
    const now = this.context.clock.now();
    await this.setups.execute(playStoreSetupStreamId(appId), (s) => unparkPurchase(s, purchase.purchase_token, purchase.owner!, now), meta);
  }

  /** The obfuscated account id names a profile by its id or its customer_user_id. */
  private async profileNamedBy(appId: string, account: string): Promise<string | null> {
    const refs: ProfileRef[] = [{ appId, customerUserId: account }];
    if (UUID.test(account)) refs.push({ appId, profileId: account.toLowerCase() });
    for (const ref of refs) {
      const owned = await this.decisions.owned(ref);
      if (owned) return owned.profileId;
    }
    return null;
  }
}
