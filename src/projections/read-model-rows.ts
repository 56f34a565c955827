import { DeliveryView, StoredProfile, StreamFailure } from './read-model-store.port';

/*
 * Rows as both read-model adapters select them, and what the port makes of them. Integer columns
 * arrive as numbers from SQLite and as strings from PostgreSQL (pg keeps bigint's full range);
 * every value here fits a double, so both convert the same way.
 */
type Int = number | string;

export interface DeliveryRow {
  seq: Int;
  id: string;
  endpoint_id: string;
  profile_id: string;
  profile_sequence: Int;
  event_type: string;
  status: DeliveryView['status'];
  attempts: number;
  last_status: number | null;
  last_response_excerpt: string | null;
  last_error: string | null;
  last_attempt_at: Int | null;
  next_attempt_at: Int;
  delivered_at: Int | null;
  created_at: Int;
}

export const DELIVERY_COLUMNS =
  'seq, id, endpoint_id, profile_id, profile_sequence, event_type, status, attempts, last_status, last_response_excerpt, last_error, last_attempt_at, next_attempt_at, delivered_at, created_at';

const iso = (ms: Int | null) => (ms === null ? null : new Date(Number(ms)).toISOString());

export const deliveryView = (r: DeliveryRow): DeliveryView => ({
  id: r.id,
  endpoint_id: r.endpoint_id,
  profile_id: r.profile_id,
  profile_sequence: Number(r.profile_sequence),
  event_type: r.event_type,
  status: r.status,
  attempts: r.attempts,
  last_response_status: r.last_status,
  last_response_excerpt: r.last_response_excerpt,
  last_error: r.last_error,
  last_attempt_at: iso(r.last_attempt_at),
  next_attempt_at: r.status === 'pending' ? iso(r.next_attempt_at) : null,
  delivered_at: iso(r.delivered_at),
  created_at: iso(r.created_at)!,
});

export interface FailureRow {
  stream_id: string;
  position: Int;
  event_type: string;
  error: string;
}

export const failureOf = (r: FailureRow): StreamFailure => ({ stream_id: r.stream_id, position: BigInt(r.position), event_type: r.event_type, error: r.error });

/** A profile's row joined with the failure that stopped its stream, if any. */
export interface ProfileLookupRow {
  profile_id: string;
  revision: Int;
  view: string;
  stopped_position: Int | null;
  stopped_type: string | null;
  stopped_error: string | null;
}

export const storedProfile = (r: ProfileLookupRow | undefined): StoredProfile | null =>
  r === undefined
    ? null
    : {
        profile_id: r.profile_id,
        revision: BigInt(r.revision),
        view: r.view,
        stopped:
          r.stopped_position === null
            ? null
            : { stream_id: `profile-${r.profile_id}`, position: BigInt(r.stopped_position), event_type: r.stopped_type!, error: r.stopped_error! },
      };
