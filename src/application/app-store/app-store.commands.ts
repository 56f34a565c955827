import { AppStoreSetup } from '../../domain/app-store/app-store-setup';
import { ProfileRef } from '../shared/profile-ref';

export class SaveAppStoreSetupCommand {
  constructor(
    readonly appId: string,
    readonly setup: AppStoreSetup,
  ) {}
}

export class RemoveAppStoreSetupCommand {
  constructor(readonly appId: string) {}
}

export class GetAppStoreSetupQuery {
  constructor(readonly appId: string) {}
}

/** Apple's POST, body unchanged: Apple's signature is its authentication. */
export class ReceiveAppStoreNotificationCommand {
  constructor(
    readonly appId: string,
    readonly body: unknown,
  ) {}
}

export class LinkAppStoreTransactionCommand {
  constructor(
    readonly ref: ProfileRef,
    readonly originalTransactionId: string,
    readonly transfer: boolean,
  ) {}
}

export class ListUnattributedQuery {
  constructor(
    readonly appId: string,
    readonly limit: number,
    /** Entries already listed (the cursor). */
    readonly offset: number,
  ) {}
}

/** A chain's evidence: every notification with Apple's signed payload, and its claims. */
export class GetAppStoreChainQuery {
  constructor(
    readonly appId: string,
    readonly originalTransactionId: string,
  ) {}
}
