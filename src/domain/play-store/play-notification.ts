import { Iso } from '../shared/time';

export const PLAY_STORE = 'play_store';

/** Google's DeveloperNotification: the base64 `data` of a Pub/Sub push, Google's field names. */
export interface DeveloperNotification {
  version?: string;
  packageName: string;
  eventTimeMillis: string;
  subscriptionNotification?: { version?: string; notificationType: number; purchaseToken: string; subscriptionId?: string };
  oneTimeProductNotification?: { version?: string; notificationType: number; purchaseToken: string; sku: string };
  voidedPurchaseNotification?: { purchaseToken: string; orderId: string; productType: number; refundType: number };
  testNotification?: { version?: string };
  [field: string]: unknown;
}

export interface PlayPush {
  message_id: string;
  publish_time: Iso | null;
  notification: DeveloperNotification;
}

const SUBSCRIPTION_TYPES: ReadonlyMap<number, string> = new Map([
  [1, 'SUBSCRIPTION_RECOVERED'],
  [2, 'SUBSCRIPTION_RENEWED'],
  [3, 'SUBSCRIPTION_CANCELED'],
  [4, 'SUBSCRIPTION_PURCHASED'],
  [5, 'SUBSCRIPTION_ON_HOLD'],
  [6, 'SUBSCRIPTION_IN_GRACE_PERIOD'],
  [7, 'SUBSCRIPTION_RESTARTED'],
  [8, 'SUBSCRIPTION_PRICE_CHANGE_CONFIRMED'],
  [9, 'SUBSCRIPTION_DEFERRED'],
  [10, 'SUBSCRIPTION_PAUSED'],
  [11, 'SUBSCRIPTION_PAUSE_SCHEDULE_CHANGED'],
  [12, 'SUBSCRIPTION_REVOKED'],
  [13, 'SUBSCRIPTION_EXPIRED'],
  [17, 'SUBSCRIPTION_ITEMS_CHANGED'],
  [19, 'SUBSCRIPTION_PRICE_CHANGE_UPDATED'],
  [20, 'SUBSCRIPTION_PENDING_PURCHASE_CANCELED'],
  [22, 'SUBSCRIPTION_PRICE_STEP_UP_CONSENT_UPDATED'],
]);

export const SUBSCRIPTION_REVOKED = 12;
export const ONE_TIME_PRODUCT_PURCHASED = 1;
/** voidedPurchaseNotification.refundType: a quantity-based partial refund of a one-time product (access stays). */
export const PARTIAL_REFUND = 2;

/** What the notification is, by Google's enum names (unknown numbers are kept as numbers). */
export function notificationTypeOf(n: DeveloperNotification): string {
  if (n.subscriptionNotification) {
    const type = n.subscriptionNotification.notificationType;
    return SUBSCRIPTION_TYPES.get(type) ?? `SUBSCRIPTION_${type}`;
  }
  if (n.oneTimeProductNotification) return n.oneTimeProductNotification.notificationType === 1 ? 'ONE_TIME_PRODUCT_PURCHASED' : 'ONE_TIME_PRODUCT_CANCELED';
  if (n.voidedPurchaseNotification) return n.voidedPurchaseNotification.refundType === PARTIAL_REFUND ? 'VOIDED_PURCHASE_PARTIAL' : 'VOIDED_PURCHASE';
  return n.testNotification ? 'TEST' : 'UNKNOWN';
}

/** The purchase token a notification is about (none for a test). */
export const purchaseTokenOf = (n: DeveloperNotification): string | null =>
  n.subscriptionNotification?.purchaseToken ?? n.oneTimeProductNotification?.purchaseToken ?? n.voidedPurchaseNotification?.purchaseToken ?? null;

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

function wellFormed(n: Record<string, unknown>): string | null {
  if (!isText(n.packageName)) return 'packageName is missing';
  if (!/^\d+$/.test(String(n.eventTimeMillis ?? ''))) return 'eventTimeMillis is missing';
  const s = n.subscriptionNotification;
  if (s !== undefined && (!isObject(s) || typeof s.notificationType !== 'number' || !isText(s.purchaseToken))) return 'subscriptionNotification needs notificationType and purchaseToken';
  const o = n.oneTimeProductNotification;
  if (o !== undefined && (!isObject(o) || typeof o.notificationType !== 'number' || !isText(o.purchaseToken) || !isText(o.sku))) {
    return 'oneTimeProductNotification needs notificationType, purchaseToken and sku';
  }
  const v = n.voidedPurchaseNotification;
  if (v !== undefined && (!isObject(v) || !isText(v.purchaseToken) || !isText(v.orderId))) return 'voidedPurchaseNotification needs purchaseToken and orderId';
  return null;
}

/**
 * A Pub/Sub push body (`{"message": {"data", "messageId", "publishTime", …}, "subscription"}`, either
 * spelling Pub/Sub uses) → the push, or why it is not one.
 */
export function parsePush(body: unknown): PlayPush | string {
  if (!isObject(body) || !isObject(body.message)) return 'the body must be a Pub/Sub push: {"message": {"data": …, "messageId": …}}';
  const m = body.message;
  const id = m.messageId ?? m.message_id;
  if (!isText(id)) return 'message.messageId is missing';
  if (!isText(m.data)) return 'message.data is missing';
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(m.data, 'base64').toString('utf8'));
  } catch {
    return 'message.data is not base64 JSON';
  }
  if (!isObject(decoded)) return 'message.data is not a developer notification';
  const fault = wellFormed(decoded);
  if (fault) return fault;
  const published = m.publishTime ?? m.publish_time;
  const time = isText(published) ? Date.parse(published) : Number.NaN;
  return { message_id: id, publish_time: Number.isNaN(time) ? null : new Date(time).toISOString(), notification: decoded as DeveloperNotification };
}
