/**
 * A verified App Store Server Notification V2 as the ledger keeps it: Apple's own field names,
 * decoded (the signatures were checked before anything here sees them). Only the fields the
 * mapping reads are typed; the rest of Apple's payload is kept as it came.
 */
export interface AppleTransactionInfo {
  transactionId: string;
  originalTransactionId: string;
  productId: string;
  purchaseDate: number;
  originalPurchaseDate?: number;
  expiresDate?: number;
  type?: string;
  inAppOwnershipType?: string;
  signedDate?: number;
  environment?: string;
  storefront?: string;
  price?: number;
  currency?: string;
  offerType?: number;
  offerIdentifier?: string;
  offerDiscountType?: string;
  revocationDate?: number;
  isUpgraded?: boolean;
  appAccountToken?: string;
  [field: string]: unknown;
}

export interface AppleRenewalInfo {
  originalTransactionId?: string;
  productId?: string;
  autoRenewProductId?: string;
  autoRenewStatus?: number;
  isInBillingRetryPeriod?: boolean;
  gracePeriodExpiresDate?: number;
  expirationIntent?: number;
  signedDate?: number;
  [field: string]: unknown;
}

export type AppleEnvironment = 'Production' | 'Sandbox';

export interface AppleNotification {
  notification_uuid: string;
  notification_type: string;
  subtype: string | null;
  /** Apple's signedDate of the notification (ms). */
  signed_date: number;
  environment: AppleEnvironment;
  transaction: AppleTransactionInfo | null;
  renewal: AppleRenewalInfo | null;
}

/** Newest signed first wins; equal instants are settled by the notification id, so any arrival order folds the same. */
export const signedOrder = (a: AppleNotification, b: AppleNotification): number =>
  a.signed_date - b.signed_date || (a.notification_uuid < b.notification_uuid ? -1 : a.notification_uuid > b.notification_uuid ? 1 : 0);

export const transactionSignedAt = (n: AppleNotification): number => n.transaction?.signedDate ?? n.signed_date;
export const renewalSignedAt = (n: AppleNotification): number => n.renewal?.signedDate ?? n.signed_date;

export const isSubscriptionInfo = (t: AppleTransactionInfo): boolean => t.type === 'Auto-Renewable Subscription';

/** The chain a transaction belongs to: one-time purchases are their own chain (a restore repeats the original id). */
export const chainIdOf = (t: AppleTransactionInfo): string => t.originalTransactionId;
