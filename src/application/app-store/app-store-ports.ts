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

export const APP_STORE_VERIFIER = Symbol('APP_STORE_VERIFIER');

export const STORE_INTAKE_STATS = Symbol('STORE_INTAKE_STATS');

/** What the intake reports to monitoring (Prometheus in the server, nothing in the CLI). */
export interface IntakeMetrics {
  storeNotification(store: string, outcome: string): void;
}
