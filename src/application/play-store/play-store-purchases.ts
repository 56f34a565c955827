import { orderIdOf, baseOrderId, environmentOf, PlayRecord, accountIdOf } from '../../domain/play-store/play-record';
import { acknowledgePurchase, claimPurchase, PlayPurchaseEvent, PlayPurchaseState, playPurchaseStreamId, recordPurchase, replacePurchase } from '../../domain/play-store/play-purchase';
import { parkPurchase, PlayStoreSetupEvent, playStoreSetupStreamId, PlayStoreSetupState, unparkPurchase } from '../../domain/play-store/play-setup';
import { releasePlayPurchase, syncPlayPurchase } from '../../domain/play-store/play-sync';
import { DomainError } from '../../domain/shared/domain-error';
import { CommandContext } from '../shared/command-context';
import { EventMetadata } from '../shared/event-sourced-repository';
import { ProfileDecisions } from '../shared/profile-decisions';
import { ProfileRef } from '../shared/profile-ref';
import { CatalogueRepository, ProfileRepository } from '../shared/repositories';
import { StorePurchaseOwners, StorePurchaseRules } from '../shared/store-purchase-owners';
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

/** How Google Play purchase tokens are owned and followed (store-purchase-owners.ts). */
const RULES: StorePurchaseRules<PlayPurchaseState, PlayPurchaseEvent, PlayStoreSetupState, PlayStoreSetupEvent> = {
  purchaseStreamId: playPurchaseStreamId,
  setupStreamId: playStoreSetupStreamId,
  named: (state, appId, token) => ({ ...state, app_id: appId, purchase_token: token }),
  claim: (state, input, now) => claimPurchase(state, { appId: input.appId, token: input.key, claim: input.claim, transfer: input.transfer }, now),
  erased: purchaseErased,
  release: (profile, purchase, to, ctx) => (purchase.chain_id === null ? [] : releasePlayPurchase(profile, purchase.chain_id, to, ctx)),
  sync: syncPlayPurchase,
  unpark: unparkPurchase,
};

/** Google Play's purchase tokens: their records, how one replaces another, their acknowledgement and who owns them. */
export class PlayStorePurchases {
  private readonly owners: StorePurchaseOwners<PlayPurchaseState, PlayPurchaseEvent, PlayStoreSetupState, PlayStoreSetupEvent>;

  constructor(
    private readonly purchases: PlayPurchaseRepository,
    private readonly setups: PlayStoreSetupRepository,
    profiles: ProfileRepository,
    catalogues: CatalogueRepository,
    private readonly decisions: ProfileDecisions,
    private readonly context: CommandContext,
  ) {
    this.owners = new StorePurchaseOwners(purchases, setups, profiles, catalogues, decisions, context, RULES);
  }

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
      await this.owners.settle(appId, purchase, meta, record.id);
      if (result.before.owner === null) await this.owners.unpark(appId, token, purchase.owner, meta);
    }
    // The replaced token ends after the new one has started, so its owner's access never lapses in between.
    if (linked !== null && replaced !== null && replaced.records.size > 0) await this.replace(appId, linked, token, purchase, meta);
    return outcome;
  }

  /** POST …/links: a profile claims a token (moving it from another profile only when asked). */
  async link(appId: string, token: string, ref: ProfileRef, transfer: boolean, source: string): Promise<PlayLinkResult | DomainError> {
    const claimed = await this.owners.claim(appId, token, ref, transfer, source);
    if (claimed instanceof DomainError) return claimed;
    const { applied, ...rest } = claimed;
    return { purchase_token: token, ...rest, notifications_applied: applied };
  }

  /** The ledger acknowledged the purchase to Google: recorded, so a redelivered push does not acknowledge again. */
  async acknowledged(appId: string, token: string, meta: EventMetadata): Promise<void> {
    const now = this.context.clock.now();
    await this.purchases.execute(playPurchaseStreamId(appId, token), (s) => acknowledgePurchase(s, { appId, token }, now), meta);
  }

  forget(appId: string, profileId: string, tokens: Iterable<string>): Promise<void> {
    return this.owners.forget(appId, profileId, tokens);
  }

  /** The replaced token ends where the new one starts; its owner's copy follows. */
  private async replace(appId: string, token: string, by: string, successor: PlayPurchaseState, meta: EventMetadata): Promise<void> {
    const starts = [...successor.records.values()].map((r) => (r.resource?.kind === 'subscriptionsv2' ? Date.parse(r.resource.value.startTime ?? '') : Number.NaN)).filter((t) => !Number.isNaN(t));
    const at = new Date(starts.length > 0 ? Math.min(...starts) : Math.min(...[...successor.records.values()].map((r) => r.event_time)));
    const result = await this.purchases.execute(playPurchaseStreamId(appId, token), (s) => replacePurchase(s, { appId, token, by, at }), meta);
    if (result.ok && result.appended > 0 && result.state.owner !== null) await this.owners.settle(appId, result.state, meta, null);
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
