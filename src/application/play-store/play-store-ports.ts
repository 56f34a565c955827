import { PlayResource, PlayVoidedPurchase } from '../../domain/play-store/play-record';
import { StoreAnswer } from '../shared/store-answer';

/** A Google service-account JSON key, as Google Cloud hands it out. */
export interface ServiceAccountKey {
  client_email: string;
  private_key: string;
  private_key_id?: string;
  token_uri?: string;
  [field: string]: unknown;
}

/** What the ledger keeps for an app outside the log: never read back by any API, never logged. */
export interface PlaySecrets {
  service_account: ServiceAccountKey;
  push_token: string | null;
}


export interface PlayDeveloperApi {
  subscription(key: ServiceAccountKey, packageName: string, token: string): Promise<StoreAnswer<PlayResource | null>>;
  product(key: ServiceAccountKey, packageName: string, productId: string, token: string): Promise<StoreAnswer<PlayResource | null>>;
  /** Answers false when Google refused it for good (acknowledged already, or cancelled). */
  acknowledge(key: ServiceAccountKey, packageName: string, kind: 'subscription' | 'product', productId: string, token: string): Promise<StoreAnswer<boolean>>;
  voided(key: ServiceAccountKey, packageName: string, since: Date, until: Date): Promise<StoreAnswer<PlayVoidedPurchase[]>>;
}

/** The push's OIDC token, checked against Google's certificates for an audience: its email claims, or why not. */
export type PushIdentity = { ok: true; email: string | null; email_verified: boolean } | { ok: false; retryable: boolean; detail: string };

export interface PushVerifier {
  verify(idToken: string, audience: string): Promise<PushIdentity>;
}
