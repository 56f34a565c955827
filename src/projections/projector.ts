import { applyEvent, initialProfileState, ProfileState } from '../domain/profile/profile.state';
import { deterministicUuid } from '../domain/shared/uuid';
import {
  ENDPOINT_EVENT_TYPES,
  EndpointEvent,
  EndpointsState,
  endpointWants,
  evolveEndpoints,
  WebhookEndpoint,
} from '../domain/webhooks/webhook-endpoint';
import { levelsBefore, webhookEventsFor } from '../domain/webhooks/webhook-events';
import { EventStore, RecordedEvent } from '../event-store/event-store.port';
import { RevisionCache } from '../shared/revision-cache';
import { asProfileEvent, profileIdOf, profileRowOf } from './profiles/profile-row';
import { NewDelivery, ProjectionBatch, ReadModelWriter, ReadyDelivery, StreamFailure } from './read-model-store.port';
import { profileSequence, webhookPayload } from './webhook-outbox/webhook-payload';

const ENDPOINTS_STREAM = /^webhook-endpoints-(.+)$/;
const ERASURES_STREAM = /^erasures-/;

export interface ProjectorOptions {
  /** Events read and applied per transaction. */
  batch: number;
  /** Folded profile states kept between batches. */
  foldCacheSize: number;
}

/** What one step changed, for the caches and waiters of the process that runs it. */
export interface Applied {
  position: bigint;
  /**
   * Profiles whose rows this step rewrote (with the revision they now reflect) or removed (null);
   * null when the read models moved without this projector (another process applied events):
   * anything may have changed.
   */
  touched: Array<[string, bigint | null]> | null;
  enqueued: ReadyDelivery[];
  /** Streams this step stopped. */
  stopped: StreamFailure[];
  /** When `touched` is null: every stream stopped now (the read models moved without us: others may have stopped or resumed some). */
  allStopped: StreamFailure[] | null;
}

/** A projection could not apply an event: the event's stream stops there (see ReadModelWriter). */
class StreamStopped extends Error {}

/**
 * The one pass over the global log. Each batch is read once and feeds every read model — profiles,
 * expiry schedule, webhook endpoints and the outbox — in one transaction with one checkpoint.
 * Folds update the projector's own states in place (no copy per event); a stream whose event
 * cannot be applied stops at that event while every other stream goes on.
 */
export class Projector {
  private known: bigint | null = null;
  private horizon = -1n;
  private readonly stopped = new Map<string, StreamFailure>();
  private readonly folds: RevisionCache<string, ProfileState>;
  /** Each app's endpoints as of the checkpoint (dropped whenever the read models move without us). */
  private readonly endpoints = new Map<string, EndpointsState>();

  constructor(
    private readonly store: EventStore,
    private readonly models: ReadModelWriter,
    private readonly options: ProjectorOptions,
  ) {
    this.folds = new RevisionCache(options.foldCacheSize);
  }

  get position(): bigint {
    return this.known ?? -1n;
  }

  get stoppedStreams(): StreamFailure[] {
    return [...this.stopped.values()];
  }

  /** Takes up the read models where they stand. */
  async init(): Promise<void> {
    await this.resync(await this.models.checkpoint());
  }

  /**
   * The read models were replaced under this projector (a rebuild's swap): its next step starts
   * again from what they hold, and reports them moved (touched: null) so caches start afresh.
   */
  forget(): void {
    this.known = null;
  }

  /** Applies the next batch of the log, if any. Null: nothing new. */
  async step(): Promise<Applied | null> {
    const from = await this.models.checkpoint();
    const moved = this.known !== from;
    if (moved) await this.resync(from);
    const events = await this.store.readAll({ after: from, maxCount: this.options.batch });
    if (events.length === 0) return moved ? { position: from, touched: null, enqueued: [], stopped: [], allStopped: this.stoppedStreams } : null;
    const batch = await this.project(from, events);
    const committed = await this.models.commit(batch.changes);
    if (committed === null) {
      // Another process applied (part of) these events first: start again from where it left the models.
      this.known = null;
      return this.step();
    }
    this.known = batch.changes.to;
    for (const f of batch.changes.stopped) this.stopped.set(f.stream_id, f);
    return {
      position: batch.changes.to,
      touched: moved ? null : batch.touched,
      enqueued: committed.enqueued,
      stopped: batch.changes.stopped,
      allStopped: moved ? this.stoppedStreams : null,
    };
  }

  /** The read models are not where this projector left them: forget what it kept, read what it needs again. */
  private async resync(checkpoint: bigint): Promise<void> {
    this.folds.clear();
    this.endpoints.clear();
    this.stopped.clear();
    for (const f of await this.models.stoppedStreams()) this.stopped.set(f.stream_id, f);
    this.horizon = await this.models.outboxHorizon(await this.store.headPosition());
    this.known = checkpoint;
  }

  private async project(from: bigint, events: RecordedEvent[]) {
    const changes: ProjectionBatch = {
      from,
      to: events[events.length - 1].position,
      profiles: [],
      removedProfiles: [],
      endpoints: [],
      removedEndpoints: [],
      deliveries: [],
      stopped: [],
    };
    const dirty = new Map<string, { state: ProfileState; revision: bigint }>();
    const removed = new Set<string>();
    const stop = (e: RecordedEvent, error: unknown) => {
      const failure = { stream_id: e.streamId, position: e.position, event_type: e.type, error: error instanceof Error ? error.message : String(error) };
      changes.stopped.push(failure);
      this.stopped.set(e.streamId, failure);
    };
    for (const e of events) {
      if (this.stopped.has(e.streamId)) continue;
      try {
        const profileId = profileIdOf(e);
        if (profileId !== null) {
          const state = await this.foldBefore(profileId, e);
          const event = asProfileEvent(e);
          // Webhook events are derived only for an app that has endpoints (and not for history before the outbox began).
          const endpoints = e.position > this.horizon && state.exists ? [...(await this.endpointsOf(state.app_id)).values()] : [];
          const was = endpoints.length > 0 ? levelsBefore(state, event) : null;
          applyEvent(state, event);
          this.folds.set(profileId, state, e.revision);
          dirty.set(profileId, { state, revision: e.revision });
          removed.delete(profileId);
          if (was !== null && state.exists) changes.deliveries.push(...this.deliveriesFor(e, was, state, endpoints));
          continue;
        }
        const endpoints = ENDPOINTS_STREAM.exec(e.streamId);
        if (endpoints && ENDPOINT_EVENT_TYPES.has(e.type)) {
          await this.applyEndpointEvent(endpoints[1], e, changes);
          continue;
        }
        if (ERASURES_STREAM.test(e.streamId) && e.type === 'ProfileErased') {
          const id = e.data.profile_id;
          if (typeof id !== 'string') throw new StreamStopped('ProfileErased without a profile_id');
          this.folds.delete(id);
          dirty.delete(id);
          removed.add(id);
          this.stopped.delete(`profile-${id}`);
        }
      } catch (error) {
        const profileId = profileIdOf(e);
        if (profileId !== null) {
          // The fold was left mid-event: the row keeps the state just before the event that stopped it.
          this.folds.delete(profileId);
          dirty.delete(profileId);
          const before = await this.foldBefore(profileId, e).catch(() => null);
          if (before?.exists) dirty.set(profileId, { state: before, revision: e.revision - 1n });
        }
        stop(e, error);
      }
    }
    const touched: Array<[string, bigint | null]> = [];
    for (const [id, { state, revision }] of dirty) {
      if (!state.exists) {
        removed.add(id);
        continue;
      }
      try {
        changes.profiles.push(profileRowOf(state, revision));
        touched.push([id, revision]);
      } catch (error) {
        this.folds.delete(id);
        stop({ streamId: `profile-${id}`, position: changes.to, type: 'read model', revision } as RecordedEvent, error);
      }
    }
    for (const id of removed) {
      changes.removedProfiles.push(id);
      touched.push([id, null]);
    }
    // A stopped profile's row keeps its last good view, which readers must no longer serve from memory.
    for (const f of changes.stopped) {
      const id = /^profile-(.+)$/.exec(f.stream_id)?.[1];
      if (id !== undefined) touched.push([id, null]);
    }
    return { changes, touched };
  }

  /** The profile's state just before `e`, owned by the projector (folded in place from here on). */
  private async foldBefore(profileId: string, e: RecordedEvent): Promise<ProfileState> {
    const cached = this.folds.get(profileId);
    if (cached && cached.revision === e.revision - 1n) return cached.value;
    const state = initialProfileState();
    if (e.revision > 0n) {
      for (const prior of await this.store.readStream(e.streamId, 0n, Number(e.revision))) applyEvent(state, asProfileEvent(prior));
    }
    return state;
  }

  private async endpointsOf(appId: string): Promise<EndpointsState> {
    let state = this.endpoints.get(appId);
    if (state === undefined) {
      const list = await this.models.endpointsOf(appId);
      state = new Map(list.map((ep): [string, WebhookEndpoint] => [ep.id, ep]));
      this.endpoints.set(appId, state);
    }
    return state;
  }

  private async applyEndpointEvent(appId: string, e: RecordedEvent, changes: ProjectionBatch): Promise<void> {
    const before = await this.endpointsOf(appId);
    const after = evolveEndpoints(before, { type: e.type, data: e.data } as unknown as EndpointEvent);
    if (after === before) return;
    this.endpoints.set(appId, after);
    for (const [id, endpoint] of after) if (before.get(id) !== endpoint) changes.endpoints.push({ app_id: appId, endpoint });
    for (const id of before.keys()) if (!after.has(id)) changes.removedEndpoints.push(id);
  }

  /** One delivery per webhook event and endpoint that wants it; ids derive from the event, so replays enqueue nothing twice. */
  private deliveriesFor(e: RecordedEvent, was: ReturnType<typeof levelsBefore>, state: ProfileState, endpoints: WebhookEndpoint[]): NewDelivery[] {
    const events = webhookEventsFor(was, asProfileEvent(e), state);
    if (events.length === 0) return [];
    const out: NewDelivery[] = [];
    events.forEach((w, index) => {
      const wanting = endpoints.filter((ep) => endpointWants(ep, w.event_type, w.environment));
      if (wanting.length === 0) return;
      const sequence = profileSequence(e.revision, index);
      const payload = JSON.stringify(webhookPayload(state, w, deterministicUuid(`${e.eventId}:${index}`), sequence));
      for (const endpoint of wanting) {
        out.push({
          id: deterministicUuid(`${e.eventId}:${index}:${endpoint.id}`),
          endpoint_id: endpoint.id,
          app_id: state.app_id,
          profile_id: state.profile_id,
          profile_sequence: sequence,
          event_type: w.event_type,
          payload,
          due_at: e.recordedAt.getTime(),
        });
      }
    });
    return out;
  }
}
