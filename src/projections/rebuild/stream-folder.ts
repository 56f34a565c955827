import { applyEvent, initialProfileState } from '../../domain/profile/profile.state';
import { ENDPOINT_EVENT_TYPES, EndpointEvent, EndpointsState, evolveEndpoints, initialEndpoints, WebhookEndpoint } from '../../domain/webhooks/webhook-endpoint';
import { RecordedEvent } from '../../event-store/event-store.port';
import { asProfileEvent, profileIdOf, profileRowOf } from '../profiles/profile-row';
import { ProfileRow, StreamFailure } from '../read-model-store.port';

const ENDPOINTS_STREAM = /^webhook-endpoints-(.+)$/;
const PROFILE_STREAM = /^profile-(.+)$/;
const ERASURES_STREAM = /^erasures-/;

/** Where a rebuild puts what it derives. */
export interface RebuildSink {
  profile(row: ProfileRow): void;
  endpoint(appId: string, endpoint: WebhookEndpoint): void;
  stopped(failure: StreamFailure): void;
  erased(profileId: string): void;
  /** Profiles erased before this point of the scan (their rows are not written). */
  isErased(profileId: string): boolean;
}

const failureOf = (e: RecordedEvent, error: unknown): StreamFailure => ({
  stream_id: e.streamId,
  position: e.position,
  event_type: e.type,
  error: error instanceof Error ? error.message : String(error),
});

/**
 * Derives the read models of one whole stream: what the projector would have written after applying
 * all of its events, since every read model depends on its own stream alone (the outbox, which
 * depends on endpoints at each instant, is history and is never rebuilt). Streams arrive sorted by id,
 * so an app's erasures come before its profiles.
 */
export function foldStream(streamId: string, events: RecordedEvent[], sink: RebuildSink): void {
  if (ERASURES_STREAM.test(streamId)) {
    for (const e of events) if (e.type === 'ProfileErased' && typeof e.data.profile_id === 'string') sink.erased(e.data.profile_id);
    return;
  }
  const profile = PROFILE_STREAM.exec(streamId);
  if (profile) {
    if (sink.isErased(profile[1])) return;
    const state = initialProfileState();
    let last: RecordedEvent | null = null;
    for (const e of events) {
      if (profileIdOf(e) === null) continue;
      try {
        applyEvent(state, asProfileEvent(e));
      } catch (error) {
        // The stream stops here, as the projector stops it: the row keeps the state before this event.
        if (last && state.exists) writeProfile(sink, streamId, last, () => profileRowOfUpTo(events, e));
        sink.stopped(failureOf(e, error));
        return;
      }
      last = e;
    }
    if (last && state.exists) writeProfile(sink, streamId, last, () => profileRowOf(state, last!.revision));
    return;
  }
  const endpoints = ENDPOINTS_STREAM.exec(streamId);
  if (endpoints) {
    let state: EndpointsState = initialEndpoints();
    for (const e of events) {
      if (!ENDPOINT_EVENT_TYPES.has(e.type)) continue;
      try {
        state = evolveEndpoints(state, { type: e.type, data: e.data } as unknown as EndpointEvent);
      } catch (error) {
        sink.stopped(failureOf(e, error));
        break;
      }
    }
    for (const endpoint of state.values()) sink.endpoint(endpoints[1], endpoint);
  }
}

function writeProfile(sink: RebuildSink, streamId: string, last: RecordedEvent, row: () => ProfileRow): void {
  try {
    sink.profile(row());
  } catch (error) {
    sink.stopped(failureOf({ ...last, streamId, type: 'read model' }, error));
  }
}

/** The row of a profile folded from the events before `stop` (a fresh fold: the live one was left mid-event). */
function profileRowOfUpTo(events: RecordedEvent[], stop: RecordedEvent): ProfileRow {
  const state = initialProfileState();
  let revision = -1n;
  for (const e of events) {
    if (e === stop) break;
    if (profileIdOf(e) === null) continue;
    applyEvent(state, asProfileEvent(e));
    revision = e.revision;
  }
  return profileRowOf(state, revision);
}
