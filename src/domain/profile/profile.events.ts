import { Iso } from '../shared/time';

export type Environment = 'Production' | 'Sandbox';
export type PurchaseType = 'subscription' | 'one_time_purchase';

export interface Offer {
  category: 'introductory' | 'promotional' | 'offer_code' | 'win_back';
  type: 'free_trial' | 'pay_as_you_go' | 'pay_up_front';
  id: string | null;
}

export interface Price {
  country: string;
  currency: string;
  value: number;
}

/** A transaction exactly as the store reported it (dates normalised to ISO). */
export interface Transaction {
  purchase_type: PurchaseType;
  store: string;
  environment: Environment;
  store_product_id: string;
  store_transaction_id: string;
  store_original_transaction_id: string;
  is_family_shared: boolean;
  price: Price;
  purchased_at: Iso;
  variation_id: string | null;
  offer: Offer | null;
  refunded_at: Iso | null;
  cancellation_reason: string | null;
  originally_purchased_at: Iso | null;
  expires_at: Iso | null;
  renew_status: boolean | null;
  renew_status_changed_at: Iso | null;
  billing_issue_detected_at: Iso | null;
  grace_period_expires_at: Iso | null;
  /** Google Play: the base plan of the subscription product (the catalogue maps the product id). */
  store_base_plan_id?: string | null;
}

export const BUILT_IN_ATTRIBUTES = [
  'first_name',
  'last_name',
  'gender',
  'email',
  'phone_number',
  'birthday',
  'ip_country',
  'ip_v4_address',
  'store_country',
  'store',
  'store_account_token',
  'att_status',
  'analytics_disabled',
  'installation_meta',
] as const;
export type BuiltInAttribute = (typeof BUILT_IN_ATTRIBUTES)[number];
export type Attributes = Partial<Record<BuiltInAttribute, unknown>>;

/** Custom attribute changes: a null value deletes the key. */
export type CustomAttributeChanges = Record<string, string | number | null>;

export interface ProfileCreated {
  type: 'ProfileCreated';
  data: {
    app_id: string;
    profile_id: string;
    customer_user_id: string | null;
    created_at: Iso;
    attributes: Attributes;
    custom_attributes: CustomAttributeChanges;
  };
}

export interface CustomerUserIdAttached {
  type: 'CustomerUserIdAttached';
  data: { customer_user_id: string };
}

export interface AttributesUpdated {
  type: 'AttributesUpdated';
  data: { attributes: Attributes; custom_attributes: CustomAttributeChanges };
}

/**
 * `effects` are the Adapty webhook event types this change means, decided once when it is
 * recorded so every later reader (webhooks, history) agrees on them.
 */
export interface TransactionRecorded {
  type: 'TransactionRecorded';
  data: {
    transaction: Transaction;
    access_level_id: string | null;
    purchase_id: string;
    effects: string[];
    recorded_at: Iso;
    /** The store notification whose signed words made this change (store intakes only). */
    store_notification_id?: string;
  };
}

/**
 * A store's verified notification about one of the profile's chains, as the profile's history shows
 * it: which notification, what it said (decoded), and how it reached the profile. The signed payload
 * itself stays with the chain (the evidence); the transaction changes it caused follow as
 * TransactionRecorded events naming it.
 */
export interface StoreNotificationRecorded {
  type: 'StoreNotificationRecorded';
  data: {
    store: string;
    original_transaction_id: string;
    notification_id: string;
    notification_type: string;
    subtype: string | null;
    signed_at: Iso;
    environment: Environment;
    transaction: Record<string, unknown> | null;
    renewal: Record<string, unknown> | null;
    /** Google Play: the purchase token the notification is about (its evidence stream is named by it). */
    purchase_token?: string;
    /** Stripe: the customer the event is about (its evidence stream is named by it). */
    stripe_customer?: string;
    /** notification: it arrived for this profile; claim: it waited until the profile claimed the chain; transfer: it came with the chain from another profile. */
    via: 'notification' | 'claim' | 'transfer';
    recorded_at: Iso;
  };
}

/** A store chain moved to another profile (a transfer): its transactions leave this profile. */
export interface StoreChainReleased {
  type: 'StoreChainReleased';
  data: { store: string; original_transaction_id: string; to_profile_id: string; released_at: Iso };
}

export interface AccessGranted {
  type: 'AccessGranted';
  data: { grant_id: string; access_level_id: string; starts_at: Iso | null; expires_at: Iso | null; granted_at: Iso };
}

export interface AccessRevoked {
  type: 'AccessRevoked';
  data: { access_level_id: string; revoke_at: Iso; revoked_at: Iso };
}

/**
 * Recorded by the ledger itself when a source of access runs out (a subscription period
 * ends without renewal, a grant ends, a scheduled revoke comes due), at that instant.
 */
export interface SourceExpired {
  type: 'SourceExpired';
  data: {
    source: 'chain' | 'grant';
    /** The chain's store_original_transaction_id or the grant id. */
    id: string;
    until: Iso;
    access_level_id: string | null;
    store_transaction_id: string;
    is_trial: boolean;
    /** The end came from a revoke, not from the source running its course. */
    revoked: boolean;
    cancellation_reason: string;
    recorded_at: Iso;
  };
}

export interface ProfileDeleted {
  type: 'ProfileDeleted';
  data: { profile_id: string; app_id: string; deleted_at: Iso };
}

export type ProfileEvent =
  | ProfileCreated
  | CustomerUserIdAttached
  | AttributesUpdated
  | TransactionRecorded
  | AccessGranted
  | AccessRevoked
  | SourceExpired
  | StoreNotificationRecorded
  | StoreChainReleased
  | ProfileDeleted;

export const PROFILE_EVENT_TYPES: ReadonlySet<string> = new Set([
  'ProfileCreated',
  'CustomerUserIdAttached',
  'AttributesUpdated',
  'TransactionRecorded',
  'AccessGranted',
  'AccessRevoked',
  'SourceExpired',
  'StoreNotificationRecorded',
  'StoreChainReleased',
  'ProfileDeleted',
]);

export const profileStreamId = (profileId: string): string => `profile-${profileId}`;
