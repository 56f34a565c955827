import { ProfileRef } from '../shared/profile-ref';
import { ServiceAccountKey } from './play-store-ports';
import { PushCredentials } from './play-store-intake';

export interface PlaySetupInput {
  package_name: string;
  service_account: ServiceAccountKey;
  push_audience: string | null;
  push_service_account_email: string | null;
  push_token: string | null;
  acknowledge: boolean;
}

export class SavePlayStoreSetupCommand {
  constructor(
    readonly appId: string,
    readonly input: PlaySetupInput,
  ) {}
}

export class RemovePlayStoreSetupCommand {
  constructor(readonly appId: string) {}
}

export class GetPlayStoreSetupQuery {
  constructor(readonly appId: string) {}
}

/** Pub/Sub's push, body unchanged, with what authenticates it. */
export class ReceivePlayStoreNotificationCommand {
  constructor(
    readonly appId: string,
    readonly body: unknown,
    readonly credentials: PushCredentials,
  ) {}
}

export class LinkPlayPurchaseCommand {
  constructor(
    readonly ref: ProfileRef,
    readonly purchaseToken: string,
    readonly transfer: boolean,
  ) {}
}

export class ListUnattributedPlayPurchasesQuery {
  constructor(
    readonly appId: string,
    readonly limit: number,
    readonly offset: number,
  ) {}
}

/** A token's evidence: every push with the Play API's answer, and its claims. */
export class GetPlayPurchaseQuery {
  constructor(
    readonly appId: string,
    readonly purchaseToken: string,
  ) {}
}
