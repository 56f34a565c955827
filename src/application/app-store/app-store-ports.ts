import { AppleNotification } from '../../domain/app-store/apple-notification';
import { AppStoreSetup } from '../../domain/app-store/app-store-setup';

/** Why a notification was refused: the label it is counted by. */
export type RefusalReason = 'malformed' | 'signature' | 'bundle' | 'environment';

export interface VerifiedNotification {
  notification: AppleNotification;
  /** A notification about no transaction may carry a summary (RENEWAL_EXTENSION / SUMMARY). */
  summary: Record<string, unknown> | null;
}

export type Verification =
  | { ok: true; value: VerifiedNotification }
  /** `retryable`: the check itself could not run (an online revocation check failed to connect). */
  | { ok: false; reason: RefusalReason; retryable: boolean; detail: string };

/** Checks Apple's signatures (payload, transaction and renewal info) for one app's setup. */
export interface AppStoreVerifier {
  verify(setup: AppStoreSetup, signedPayload: string): Promise<Verification>;
}

