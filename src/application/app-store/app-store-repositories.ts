import { AppStoreChainEvent, AppStoreChainState } from '../../domain/app-store/app-store-chain';
import { AppStoreSetupEvent, AppStoreSetupState } from '../../domain/app-store/app-store-setup';
import { EventSourcedRepository } from '../shared/event-sourced-repository';

/** One stream per app: its App Store setup, notifications about no transaction, chains waiting for an owner. */
export class AppStoreSetupRepository extends EventSourcedRepository<AppStoreSetupState, AppStoreSetupEvent> {}

/** One stream per (app, original transaction): its notifications (the evidence) and its owner. */
export class AppStoreChainRepository extends EventSourcedRepository<AppStoreChainState, AppStoreChainEvent> {}
