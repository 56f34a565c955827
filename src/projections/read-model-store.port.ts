import { WebhookEndpoint } from '../domain/webhooks/webhook-endpoint';
import { ProfileReadModel } from './profiles/profile-view';

/**
 * The read models: what the projector derives from the global log, in one store with one
 * checkpoint. Adapters: SQLite (a file beside the log) and PostgreSQL (shared by every node).
 *
 * - profiles: one row per profile, the view GET serves and when its next expiry falls due;
 * - webhook endpoints: each app's configuration as the outbox must see it at a log position;
 * - webhook deliveries: the outbox. History, not derived state: rebuilds never enqueue again;
 * - stopped streams: a stream whose event a projection could not apply stops there (and only that
 *   stream): its rows keep their last good state and reads of them answer 503 until a rebuild.
 */

/** Why a stream stopped: the event it stopped at and what went wrong. */
export interface StreamFailure {
  stream_id: string;
  position: bigint;
  event_type: string;
  error: string;
}

export interface ProfileRow {
  profile_id: string;
  app_id: string;
  customer_user_id: string | null;
  /** Revision of the profile's stream this row reflects. */
  revision: bigint;
  view: ProfileReadModel;
  /** When the next expiry of this profile falls due (ms), or null. */
  next_expiry_at: number | null;
}

/** A profile as stored, for reads: its view, or the failure that stopped it. */
export interface StoredProfile {
  profile_id: string;
  revision: bigint;
  /** JSON of the view; parsed by the reader that caches it. */
  view: string;
  stopped: StreamFailure | null;
}

export interface NewDelivery {
  id: string;
  endpoint_id: string;
  app_id: string;
  profile_id: string;
  profile_sequence: number;
  event_type: string;
  payload: string;
  /** When it may be sent first (ms): the event's instant. */
  due_at: number;
}

/** A delivery ready to be claimed and sent. */
export interface ReadyDelivery {
  seq: number;
  id: string;
  endpoint_id: string;
  app_id: string;
  profile_id: string;
  payload: string;
  attempts: number;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'rejected' | 'failed';

/** One attempt's result as the outbox records it. */
export interface AttemptRecord {
  seq: number;
  status: DeliveryStatus;
  response_status: number | null;
  response_excerpt: string | null;
  error: string | null;
  attempted_at: number;
  /** Pending: when to try again. */
  next_attempt_at: number | null;
}

export interface DeliveryView {
  id: string;
  endpoint_id: string;
  profile_id: string;
  profile_sequence: number;
  event_type: string;
  status: DeliveryStatus;
  attempts: number;
  last_response_status: number | null;
  last_response_excerpt: string | null;
  last_error: string | null;
  last_attempt_at: string | null;
  next_attempt_at: string | null;
  delivered_at: string | null;
  created_at: string;
}

/** Everything one pass over a batch of the log changes, committed at once with the new checkpoint. */
export interface ProjectionBatch {
  /** The checkpoint this batch was computed from: the commit is refused if another writer moved it. */
  from: bigint;
  to: bigint;
  profiles: ProfileRow[];
  removedProfiles: string[];
  endpoints: Array<{ app_id: string; endpoint: WebhookEndpoint }>;
  removedEndpoints: string[];
  deliveries: NewDelivery[];
  stopped: StreamFailure[];
}

/** The projector's side: one writer at a time per store (several processes may try; one wins each batch). */
export interface ReadModelWriter {
  checkpoint(): Promise<bigint>;
  /**
   * The position after which the outbox enqueues: set once, to the log's head when the store is
   * created, so a store made afresh (lost, or moved to another database) does not send history again.
   */
  outboxHorizon(initial: bigint): Promise<bigint>;
  stoppedStreams(): Promise<StreamFailure[]>;
  endpointsOf(appId: string): Promise<WebhookEndpoint[]>;
  /**
   * Applies the batch and moves the checkpoint to `to`, if the checkpoint is still `from` (null
   * otherwise: another writer got there first). Answers the deliveries it enqueued (not those
   * already in the outbox).
   */
  commit(batch: ProjectionBatch): Promise<{ enqueued: ReadyDelivery[] } | null>;
  /** Reserves deliveries for this process until `leaseUntil`; answers those it got (not leased elsewhere, next in their profile's order). */
  claim(seqs: number[], now: number, leaseUntil: number): Promise<number[]>;
  recordAttempts(records: AttemptRecord[]): Promise<void>;
  /** Gives leases back (shutdown), so another process takes them at once. */
  release(seqs: number[]): Promise<void>;
  redeliver(appId: string, deliveryId: string, now: number): Promise<DeliveryView | null>;
  close(): Promise<void>;
}

/** Reads, from any thread or node. */
export interface ReadModelReader {
  checkpoint(): Promise<bigint>;
  profileById(appId: string, profileId: string): Promise<StoredProfile | null>;
  profileByCustomer(appId: string, customerUserId: string): Promise<StoredProfile | null>;
  dueExpiries(now: number, limit: number): Promise<Array<{ profile_id: string; app_id: string; due_at: number }>>;
  /** Pending deliveries that may be sent now, oldest first, whatever process enqueued them. */
  dueDeliveries(now: number, limit: number): Promise<ReadyDelivery[]>;
  endpoint(id: string): Promise<WebhookEndpoint | null>;
  deliveries(appId: string, endpointId: string, limit: number): Promise<DeliveryView[]>;
  profileDeliveries(appId: string, profileId: string, limit: number, beforeSeq: number | null): Promise<{ data: DeliveryView[]; nextBeforeSeq: number | null }>;
  stoppedStreams(): Promise<StreamFailure[]>;
  /** Deliveries waiting to be sent (or retried), and those that used up their attempts, across apps. */
  outboxCounts(): Promise<{ pending: number; failed: number }>;
  close(): Promise<void>;
}
