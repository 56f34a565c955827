import { createHash } from 'node:crypto';

/**
 * A customer_user_id is unique per app. Its reservation stream is the lock: the first append
 * with expected revision "no stream" wins, whatever the number of processes.
 * The id itself is hashed into the stream name so no personal data sits in stream names.
 */
export interface CustomerUserIdReserved {
  type: 'CustomerUserIdReserved';
  data: { profile_id: string };
}

export interface CustomerUserIdReleased {
  type: 'CustomerUserIdReleased';
  data: { profile_id: string };
}

export type ReservationEvent = CustomerUserIdReserved | CustomerUserIdReleased;

export interface ReservationState {
  profile_id: string | null;
}

export const initialReservation = (): ReservationState => ({ profile_id: null });

export function evolveReservation(state: ReservationState, event: ReservationEvent): ReservationState {
  switch (event.type) {
    case 'CustomerUserIdReserved':
      return { profile_id: event.data.profile_id };
    case 'CustomerUserIdReleased':
      return state.profile_id === event.data.profile_id ? { profile_id: null } : state;
  }
}

export const reservationStreamId = (appId: string, customerUserId: string): string =>
  `customer-${appId}-${createHash('sha256').update(customerUserId).digest('hex').slice(0, 40)}`;

export function reserve(state: ReservationState, profileId: string): ReservationEvent[] {
  return state.profile_id === null ? [{ type: 'CustomerUserIdReserved', data: { profile_id: profileId } }] : [];
}

export function release(state: ReservationState, profileId: string): ReservationEvent[] {
  return state.profile_id === profileId ? [{ type: 'CustomerUserIdReleased', data: { profile_id: profileId } }] : [];
}

/** The anonymous record that a profile was erased: its stream is gone, this stays. */
export interface ProfileErased {
  type: 'ProfileErased';
  data: { profile_id: string; erased_at: string };
}

export const erasureStreamId = (appId: string): string => `erasures-${appId}`;
