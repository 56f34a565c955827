import { nextExpiryAt } from '../../domain/profile/expiry';
import { PROFILE_EVENT_TYPES, ProfileEvent } from '../../domain/profile/profile.events';
import { ProfileState } from '../../domain/profile/profile.state';
import { RecordedEvent } from '../../event-store/event-store.port';
import { ProfileRow } from '../read-model-store.port';
import { toReadModel } from './profile-view';

const PROFILE_STREAM = /^profile-(.+)$/;

/** The profile id of a profile event, or null for any other event. */
export function profileIdOf(e: RecordedEvent): string | null {
  if (!PROFILE_EVENT_TYPES.has(e.type)) return null;
  const match = PROFILE_STREAM.exec(e.streamId);
  return match ? match[1] : null;
}

export const asProfileEvent = (e: RecordedEvent): ProfileEvent => ({ type: e.type, data: e.data }) as unknown as ProfileEvent;

/** The stored row of a profile that exists, folded up to `revision`. */
export function profileRowOf(state: ProfileState, revision: bigint): ProfileRow {
  return {
    profile_id: state.profile_id,
    app_id: state.app_id,
    customer_user_id: state.customer_user_id,
    revision,
    view: toReadModel(state),
    next_expiry_at: nextExpiryAt(state),
  };
}
