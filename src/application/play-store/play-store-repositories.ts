import { PlayPurchaseEvent, PlayPurchaseState } from '../../domain/play-store/play-purchase';
import { PlayStoreSetupEvent, PlayStoreSetupState } from '../../domain/play-store/play-setup';
import { EventSourcedRepository } from '../shared/event-sourced-repository';

/** One stream per app: its Google Play setup (no secrets), test notifications, tokens waiting for an owner. */
export class PlayStoreSetupRepository extends EventSourcedRepository<PlayStoreSetupState, PlayStoreSetupEvent> {}

/** One stream per (app, purchase token): its records (the evidence), its chain and its owner. */
export class PlayPurchaseRepository extends EventSourcedRepository<PlayPurchaseState, PlayPurchaseEvent> {}
