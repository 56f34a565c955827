import { Environment } from '../profile/profile.events';
import { DeveloperNotification } from './play-notification';

/** Google's answers, as Google names their fields: only what the mapping reads is typed; the rest is kept as it came. */
export interface PlayMoney {
  currencyCode?: string;
  units?: string;
  nanos?: number;
}

export interface PlayLineItem {
  productId?: string;
  expiryTime?: string;
  latestSuccessfulOrderId?: string;
  autoRenewingPlan?: { autoRenewEnabled?: boolean; recurringPrice?: PlayMoney; [field: string]: unknown };
  prepaidPlan?: { allowExtendAfterTime?: string };
  offerDetails?: { basePlanId?: string; offerId?: string; offerTags?: string[] };
  offerPhase?: { freeTrial?: object; introductoryPrice?: object; basePrice?: object; prorationPeriod?: object };
  [field: string]: unknown;
}

/** `purchases.subscriptionsv2.get`. */
export interface PlaySubscriptionV2 {
  startTime?: string;
  subscriptionState?: string;
  latestOrderId?: string;
  linkedPurchaseToken?: string;
  regionCode?: string;
  testPurchase?: object;
  acknowledgementState?: string;
  externalAccountIdentifiers?: { obfuscatedExternalAccountId?: string; obfuscatedExternalProfileId?: string };
  canceledStateContext?: {
    userInitiatedCancellation?: { cancelTime?: string };
    systemInitiatedCancellation?: object;
    developerInitiatedCancellation?: object;
    replacementCancellation?: object;
  };
  lineItems?: PlayLineItem[];
  [field: string]: unknown;
}

/** `purchases.products.get`. */
export interface PlayProductPurchase {
  purchaseTimeMillis?: string;
  /** 0 purchased, 1 cancelled, 2 pending. */
  purchaseState?: number;
  orderId?: string;
  regionCode?: string;
  /** 0 a license tester's purchase. */
  purchaseType?: number;
  acknowledgementState?: number;
  obfuscatedExternalAccountId?: string;
  [field: string]: unknown;
}

/** An entry of `purchases.voidedpurchases.list`. */
export interface PlayVoidedPurchase {
  purchaseToken?: string;
  orderId?: string;
  voidedTimeMillis?: string;
  [field: string]: unknown;
}

export type PlayResource =
  | { kind: 'subscriptionsv2'; value: PlaySubscriptionV2 }
  | { kind: 'product'; value: PlayProductPurchase }
  | { kind: 'voided_purchase'; value: PlayVoidedPurchase };

/**
 * One word of Google's about a purchase token, kept as evidence: the push (when one came) and the
 * Play Developer API's answer read for it, as one record. A re-read from the command line has no
 * push; a voided purchase from Google's list has the list entry as its resource.
 */
export interface PlayRecord {
  /** The push's messageId; `sync:…` for a re-read, `voided:<orderId>` from the voided-purchases list. */
  id: string;
  /** Google's eventTimeMillis (a re-read: when it was read; a listed refund: voidedTimeMillis). */
  event_time: number;
  notification_type: string;
  notification: DeveloperNotification | null;
  product_id: string | null;
  resource: PlayResource | null;
}

/** A license tester's purchase is Sandbox. */
export function environmentOf(resource: PlayResource | null): Environment {
  if (resource?.kind === 'subscriptionsv2') return resource.value.testPurchase ? 'Sandbox' : 'Production';
  if (resource?.kind === 'product') return resource.value.purchaseType === 0 ? 'Sandbox' : 'Production';
  return 'Production';
}

/** Store order: Google's event time, the record id settling ties, so any arrival order folds the same. */
export const recordOrder = (a: PlayRecord, b: PlayRecord): number => a.event_time - b.event_time || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** `GPA.1234-5678-9012-34567..2` → `GPA.1234-5678-9012-34567`: every renewal's order id extends the first one's. */
export const baseOrderId = (orderId: string): string => orderId.replace(/\.\.\d+$/, '');

/** The order a subscription read is about: the line item's latest successful order (older answers: latestOrderId). */
export function orderIdOf(s: PlaySubscriptionV2): string | null {
  const li = s.lineItems?.[0];
  return li?.latestSuccessfulOrderId || s.latestOrderId || null;
}

/** The account the app set at purchase (BillingFlowParams.setObfuscatedAccountId). */
export function accountIdOf(resource: PlayResource | null): string | null {
  if (resource?.kind === 'subscriptionsv2') return resource.value.externalAccountIdentifiers?.obfuscatedExternalAccountId || null;
  if (resource?.kind === 'product') return resource.value.obfuscatedExternalAccountId || null;
  return null;
}
