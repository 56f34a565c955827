import { STORE_INTAKE_STATS } from '../shared/store-ports';
import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler, IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { AppStoreChainClaimed, AppStoreNotificationReceived, appStoreChainStreamId } from '../../domain/app-store/app-store-chain';
import {
  appStoreNotConfigured,
  AppStoreSetup,
  appStoreSetupStreamId,
  AppStoreSetupState,
  removeSetup,
  saveSetup,
  UnattributedChain,
} from '../../domain/app-store/app-store-setup';
import { DomainError } from '../../domain/shared/domain-error';
import { EVENT_STORE, EventStore } from '../../event-store/event-store.port';
import { CommandContext } from '../shared/command-context';
import { outcomeCounts, OutcomeCounts } from '../shared/intake-outcomes';
import { AppStoreChains, LinkResult } from './app-store-chains';
import { APP_STORE, AppStoreIntake, IntakeResult } from './app-store-intake';
import { StoreIntakeStats } from '../../projections/store-intake/store-intake-stats';
import { AppStoreSetupRepository } from './app-store-repositories';
import {
  GetAppStoreChainQuery,
  GetAppStoreSetupQuery,
  LinkAppStoreTransactionCommand,
  ListUnattributedQuery,
  ReceiveAppStoreNotificationCommand,
  RemoveAppStoreSetupCommand,
  SaveAppStoreSetupCommand,
} from './app-store.commands';

export interface AppStoreSetupView extends AppStoreSetup {
  notification_path: string;
  last_notification_at: string | null;
  last_test_notification_at: string | null;
  counts: OutcomeCounts['counts'];
  unattributed_waiting: number;
  created_at: string;
  updated_at: string;
}

/** Outcomes of a notification that was verified and recorded: what "last notification" means. */
const RECORDED = ['accepted', 'duplicate', 'unattributed', 'test', 'erased'];

export const notificationPath = (appId: string): string => `/stores/app-store/${encodeURIComponent(appId)}/notifications`;

async function setupView(appId: string, state: AppStoreSetupState, stats: StoreIntakeStats): Promise<AppStoreSetupView | DomainError> {
  if (state.setup === null) return appStoreNotConfigured();
  const { counts, last_at } = await outcomeCounts(stats, appId, APP_STORE, RECORDED);
  const { created_at, updated_at, ...setup } = state.setup;
  return {
    ...setup,
    notification_path: notificationPath(appId),
    last_notification_at: last_at,
    last_test_notification_at: state.last_test_notification_at,
    counts,
    unattributed_waiting: state.unattributed.size,
    created_at,
    updated_at,
  };
}

@CommandHandler(SaveAppStoreSetupCommand)
export class SaveAppStoreSetupHandler implements ICommandHandler<SaveAppStoreSetupCommand, AppStoreSetupView | DomainError> {
  constructor(
    private readonly setups: AppStoreSetupRepository,
    private readonly context: CommandContext,
    @Inject(STORE_INTAKE_STATS) private readonly stats: StoreIntakeStats,
  ) {}

  async execute(cmd: SaveAppStoreSetupCommand): Promise<AppStoreSetupView | DomainError> {
    const meta = this.context.metadata({ appId: cmd.appId, source: 'admin.put_app_store_setup' });
    const result = await this.setups.execute(appStoreSetupStreamId(cmd.appId), (s) => saveSetup(s, cmd.setup, this.context.clock.now()), meta);
    if (!result.ok) return 'error' in result ? result.error : appStoreNotConfigured();
    return setupView(cmd.appId, result.state, this.stats);
  }
}

@CommandHandler(RemoveAppStoreSetupCommand)
export class RemoveAppStoreSetupHandler implements ICommandHandler<RemoveAppStoreSetupCommand, null | DomainError> {
  constructor(
    private readonly setups: AppStoreSetupRepository,
    private readonly context: CommandContext,
  ) {}

  async execute(cmd: RemoveAppStoreSetupCommand): Promise<null | DomainError> {
    const meta = this.context.metadata({ appId: cmd.appId, source: 'admin.delete_app_store_setup' });
    const result = await this.setups.execute(appStoreSetupStreamId(cmd.appId), (s) => removeSetup(s, this.context.clock.now()), meta);
    return result.ok ? null : 'error' in result ? result.error : appStoreNotConfigured();
  }
}

@QueryHandler(GetAppStoreSetupQuery)
export class GetAppStoreSetupHandler implements IQueryHandler<GetAppStoreSetupQuery, AppStoreSetupView | DomainError> {
  constructor(
    private readonly setups: AppStoreSetupRepository,
    @Inject(STORE_INTAKE_STATS) private readonly stats: StoreIntakeStats,
  ) {}

  async execute(query: GetAppStoreSetupQuery): Promise<AppStoreSetupView | DomainError> {
    const { state } = await this.setups.load(appStoreSetupStreamId(query.appId));
    return setupView(query.appId, state, this.stats);
  }
}

@CommandHandler(ReceiveAppStoreNotificationCommand)
export class ReceiveAppStoreNotificationHandler implements ICommandHandler<ReceiveAppStoreNotificationCommand, IntakeResult | DomainError> {
  constructor(private readonly intake: AppStoreIntake) {}

  execute(cmd: ReceiveAppStoreNotificationCommand): Promise<IntakeResult | DomainError> {
    return this.intake.receive(cmd.appId, cmd.body);
  }
}

@CommandHandler(LinkAppStoreTransactionCommand)
export class LinkAppStoreTransactionHandler implements ICommandHandler<LinkAppStoreTransactionCommand, LinkResult | DomainError> {
  constructor(private readonly chains: AppStoreChains) {}

  execute(cmd: LinkAppStoreTransactionCommand): Promise<LinkResult | DomainError> {
    return this.chains.link(cmd.ref.appId, cmd.originalTransactionId, cmd.ref, cmd.transfer, 'admin.app_store_link');
  }
}

export interface UnattributedView {
  original_transaction_id: string;
  product_id: string;
  environment: string;
  notifications: number;
  first_signed_at: string;
  last_signed_at: string;
  last_notification_type: string;
  last_subtype: string | null;
  waiting_since: string;
}

const unattributedView = (c: UnattributedChain): UnattributedView => ({
  original_transaction_id: c.original_transaction_id,
  product_id: c.product_id,
  environment: c.environment,
  notifications: c.notification_ids.length,
  first_signed_at: c.first_signed_at,
  last_signed_at: c.last_signed_at,
  last_notification_type: c.last_notification_type,
  last_subtype: c.last_subtype,
  waiting_since: c.waiting_since,
});

@QueryHandler(ListUnattributedQuery)
export class ListUnattributedHandler implements IQueryHandler<ListUnattributedQuery, { data: UnattributedView[]; next_offset: number | null }> {
  constructor(private readonly setups: AppStoreSetupRepository) {}

  async execute(query: ListUnattributedQuery) {
    const { state } = await this.setups.load(appStoreSetupStreamId(query.appId));
    // Oldest wait first; the original id settles ties, so pages do not overlap.
    const all = [...state.unattributed.values()].sort(
      (a, b) => (a.waiting_since < b.waiting_since ? -1 : a.waiting_since > b.waiting_since ? 1 : a.original_transaction_id < b.original_transaction_id ? -1 : 1),
    );
    const page = all.slice(query.offset, query.offset + query.limit);
    const next = query.offset + page.length;
    return { data: page.map(unattributedView), next_offset: next < all.length ? next : null };
  }
}

export interface AppStoreChainView {
  original_transaction_id: string;
  profile_id: string | null;
  notifications: Array<AppStoreNotificationReceived['data']['notification'] & { signed_payload: string; received_at: string }>;
  claims: Array<Omit<AppStoreChainClaimed['data'], 'app_id' | 'original_transaction_id'>>;
}

@QueryHandler(GetAppStoreChainQuery)
export class GetAppStoreChainHandler implements IQueryHandler<GetAppStoreChainQuery, AppStoreChainView | DomainError> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute(query: GetAppStoreChainQuery): Promise<AppStoreChainView | DomainError> {
    const events = await this.store.readStream(appStoreChainStreamId(query.appId, query.originalTransactionId));
    if (events.length === 0) return new DomainError('store_transaction_does_not_exist', null, 'No App Store notification or link names this original transaction.');
    const view: AppStoreChainView = { original_transaction_id: query.originalTransactionId, profile_id: null, notifications: [], claims: [] };
    for (const e of events) {
      if (e.type === 'AppStoreNotificationReceived') {
        const d = e.data as AppStoreNotificationReceived['data'];
        view.notifications.push({ ...d.notification, signed_payload: d.signed_payload, received_at: d.received_at });
      } else if (e.type === 'AppStoreChainClaimed') {
        const { app_id: _app, original_transaction_id: _id, ...claim } = e.data as unknown as AppStoreChainClaimed['data'];
        view.claims.push(claim);
        view.profile_id = claim.profile_id;
      }
    }
    return view;
  }
}
