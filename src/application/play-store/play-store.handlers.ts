import { STORE_SECRETS, STORE_INTAKE_STATS } from '../shared/store-ports';
import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler, IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { PLAY_STORE } from '../../domain/play-store/play-notification';
import { PlayPurchaseClaimed, PlayPurchaseRecorded, PlayPurchaseReplaced, playPurchaseStreamId } from '../../domain/play-store/play-purchase';
import { PlayRecord } from '../../domain/play-store/play-record';
import { playStoreNotConfigured, PlayStoreSetup, playStoreSetupStreamId, PlayStoreSetupState, removePlaySetup, savePlaySetup, UnattributedPurchase } from '../../domain/play-store/play-setup';
import { DomainError } from '../../domain/shared/domain-error';
import { EVENT_STORE, EventStore } from '../../event-store/event-store.port';
import { StoreIntakeStats } from '../../projections/store-intake/store-intake-stats';
import { CommandContext } from '../shared/command-context';
import { outcomeCounts } from '../shared/intake-outcomes';
import { PlayIntakeResult, PlayStoreIntake } from './play-store-intake';
import { PlaySecrets } from './play-store-ports';
import { StoreSecrets } from '../../projections/store-intake/store-secrets';
import { PlayLinkResult, PlayStorePurchases } from './play-store-purchases';
import { PlayStoreSetupRepository } from './play-store-repositories';
import {
  GetPlayPurchaseQuery,
  GetPlayStoreSetupQuery,
  LinkPlayPurchaseCommand,
  ListUnattributedPlayPurchasesQuery,
  ReceivePlayStoreNotificationCommand,
  RemovePlayStoreSetupCommand,
  SavePlayStoreSetupCommand,
} from './play-store.commands';

export interface PlayStoreSetupView extends PlayStoreSetup {
  notification_path: string;
  last_notification_at: string | null;
  last_test_notification_at: string | null;
  counts: Record<string, number | Record<string, number>>;
  unattributed_waiting: number;
  created_at: string;
  updated_at: string;
}

/** Outcomes of a push that was authenticated and recorded: what "last notification" means. */
const RECORDED = ['accepted', 'duplicate', 'unattributed', 'test', 'erased', 'not_found', 'ignored'];

export const playNotificationPath = (appId: string): string => `/stores/play-store/${encodeURIComponent(appId)}/notifications`;

async function setupView(appId: string, state: PlayStoreSetupState, stats: StoreIntakeStats): Promise<PlayStoreSetupView | DomainError> {
  if (state.setup === null) return playStoreNotConfigured();
  const { counts, last_at } = await outcomeCounts(stats, appId, PLAY_STORE, RECORDED);
  const { created_at, updated_at, ...setup } = state.setup;
  return {
    ...setup,
    notification_path: playNotificationPath(appId),
    last_notification_at: last_at,
    last_test_notification_at: state.last_test_notification_at,
    counts,
    unattributed_waiting: state.unattributed.size,
    created_at,
    updated_at,
  };
}

@CommandHandler(SavePlayStoreSetupCommand)
export class SavePlayStoreSetupHandler implements ICommandHandler<SavePlayStoreSetupCommand, PlayStoreSetupView | DomainError> {
  constructor(
    private readonly setups: PlayStoreSetupRepository,
    private readonly context: CommandContext,
    @Inject(STORE_SECRETS) private readonly secrets: StoreSecrets,
    @Inject(STORE_INTAKE_STATS) private readonly stats: StoreIntakeStats,
  ) {}

  async execute(cmd: SavePlayStoreSetupCommand): Promise<PlayStoreSetupView | DomainError> {
    const { input } = cmd;
    const setup: PlayStoreSetup = {
      package_name: input.package_name,
      service_account_email: input.service_account.client_email,
      service_account_key_id: input.service_account.private_key_id ?? null,
      push_auth: input.push_token !== null ? 'token' : 'oidc',
      push_audience: input.push_token !== null ? null : input.push_audience,
      push_service_account_email: input.push_token !== null ? null : input.push_service_account_email,
      acknowledge: input.acknowledge,
    };
    const secrets: PlaySecrets = { service_account: input.service_account, push_token: input.push_token };
    const kept = await this.secrets.get(cmd.appId, PLAY_STORE);
    const rotated = JSON.stringify(kept) !== JSON.stringify(secrets);
    // The secrets first: a setup in the log always has its secrets kept (a crash between the two is repaired by the PUT's retry).
    if (rotated) await this.secrets.put(cmd.appId, PLAY_STORE, secrets);
    const meta = this.context.metadata({ appId: cmd.appId, source: 'admin.put_play_store_setup' });
    const result = await this.setups.execute(playStoreSetupStreamId(cmd.appId), (s) => savePlaySetup(s, { setup, secretsRotated: rotated }, this.context.clock.now()), meta);
    if (!result.ok) return 'error' in result ? result.error : playStoreNotConfigured();
    return setupView(cmd.appId, result.state, this.stats);
  }
}

@CommandHandler(RemovePlayStoreSetupCommand)
export class RemovePlayStoreSetupHandler implements ICommandHandler<RemovePlayStoreSetupCommand, null | DomainError> {
  constructor(
    private readonly setups: PlayStoreSetupRepository,
    private readonly context: CommandContext,
    @Inject(STORE_SECRETS) private readonly secrets: StoreSecrets,
  ) {}

  async execute(cmd: RemovePlayStoreSetupCommand): Promise<null | DomainError> {
    const meta = this.context.metadata({ appId: cmd.appId, source: 'admin.delete_play_store_setup' });
    const result = await this.setups.execute(playStoreSetupStreamId(cmd.appId), (s) => removePlaySetup(s, this.context.clock.now()), meta);
    if (!result.ok) return 'error' in result ? result.error : playStoreNotConfigured();
    await this.secrets.remove(cmd.appId, PLAY_STORE);
    return null;
  }
}

@QueryHandler(GetPlayStoreSetupQuery)
export class GetPlayStoreSetupHandler implements IQueryHandler<GetPlayStoreSetupQuery, PlayStoreSetupView | DomainError> {
  constructor(
    private readonly setups: PlayStoreSetupRepository,
    @Inject(STORE_INTAKE_STATS) private readonly stats: StoreIntakeStats,
  ) {}

  async execute(query: GetPlayStoreSetupQuery): Promise<PlayStoreSetupView | DomainError> {
    const { state } = await this.setups.load(playStoreSetupStreamId(query.appId));
    return setupView(query.appId, state, this.stats);
  }
}

@CommandHandler(ReceivePlayStoreNotificationCommand)
export class ReceivePlayStoreNotificationHandler implements ICommandHandler<ReceivePlayStoreNotificationCommand, PlayIntakeResult | DomainError> {
  constructor(private readonly intake: PlayStoreIntake) {}

  execute(cmd: ReceivePlayStoreNotificationCommand): Promise<PlayIntakeResult | DomainError> {
    return this.intake.receive(cmd.appId, cmd.body, cmd.credentials);
  }
}

@CommandHandler(LinkPlayPurchaseCommand)
export class LinkPlayPurchaseHandler implements ICommandHandler<LinkPlayPurchaseCommand, PlayLinkResult | DomainError> {
  constructor(private readonly purchases: PlayStorePurchases) {}

  execute(cmd: LinkPlayPurchaseCommand): Promise<PlayLinkResult | DomainError> {
    return this.purchases.link(cmd.ref.appId, cmd.purchaseToken, cmd.ref, cmd.transfer, 'admin.play_store_link');
  }
}

export interface UnattributedPlayView extends Omit<UnattributedPurchase, 'record_ids'> {
  notifications: number;
}

@QueryHandler(ListUnattributedPlayPurchasesQuery)
export class ListUnattributedPlayPurchasesHandler implements IQueryHandler<ListUnattributedPlayPurchasesQuery, { data: UnattributedPlayView[]; next_offset: number | null }> {
  constructor(private readonly setups: PlayStoreSetupRepository) {}

  async execute(query: ListUnattributedPlayPurchasesQuery) {
    const { state } = await this.setups.load(playStoreSetupStreamId(query.appId));
    // Oldest wait first; the token settles ties, so pages do not overlap.
    const key = (u: UnattributedPurchase) => `${u.waiting_since}\n${u.purchase_token}`;
    const all = [...state.unattributed.values()].sort((a, b) => (key(a) < key(b) ? -1 : 1));
    const page = all.slice(query.offset, query.offset + query.limit);
    const next = query.offset + page.length;
    return { data: page.map(({ record_ids, ...u }) => ({ ...u, notifications: record_ids.length })), next_offset: next < all.length ? next : null };
  }
}

export interface PlayPurchaseView {
  purchase_token: string;
  chain_id: string | null;
  profile_id: string | null;
  records: Array<PlayRecord & { received_at: string }>;
  claims: Array<Omit<PlayPurchaseClaimed['data'], 'app_id' | 'purchase_token'>>;
  replaced_by: { purchase_token: string; at: string } | null;
  acknowledged_at: string | null;
}

@QueryHandler(GetPlayPurchaseQuery)
export class GetPlayPurchaseHandler implements IQueryHandler<GetPlayPurchaseQuery, PlayPurchaseView | DomainError> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute(query: GetPlayPurchaseQuery): Promise<PlayPurchaseView | DomainError> {
    const events = await this.store.readStream(playPurchaseStreamId(query.appId, query.purchaseToken));
    if (events.length === 0) return new DomainError('store_transaction_does_not_exist', null, 'No Google Play notification or link names this purchase token.');
    const view: PlayPurchaseView = { purchase_token: query.purchaseToken, chain_id: null, profile_id: null, records: [], claims: [], replaced_by: null, acknowledged_at: null };
    for (const e of events) {
      if (e.type === 'PlayPurchaseRecorded') {
        const d = e.data as unknown as PlayPurchaseRecorded['data'];
        view.chain_id ??= d.chain_id;
        view.records.push({ ...d.record, received_at: d.received_at });
      } else if (e.type === 'PlayPurchaseClaimed') {
        const { app_id: _app, purchase_token: _token, ...claim } = e.data as unknown as PlayPurchaseClaimed['data'];
        view.claims.push(claim);
        view.profile_id = claim.profile_id;
      } else if (e.type === 'PlayPurchaseReplaced') {
        const d = e.data as unknown as PlayPurchaseReplaced['data'];
        view.replaced_by = { purchase_token: d.by_purchase_token, at: d.replaced_at };
      } else if (e.type === 'PlayPurchaseAcknowledged') {
        view.acknowledged_at = (e.data as { acknowledged_at: string }).acknowledged_at;
      }
    }
    return view;
  }
}
